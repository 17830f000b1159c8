// Tests here close descriptors and then check what a selector says about that number; a test running
// beside them would reuse the number at once (the kernel hands out the lowest free one). The suite takes
// seconds, so it runs one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
