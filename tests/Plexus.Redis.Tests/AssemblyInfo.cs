// Every test starts its own redis-server and worker processes; on a small machine they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
