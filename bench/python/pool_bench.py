# Python's multiprocessing.Pool(2), the baseline for bench/Plexus.Bench/PoolBench.cs.
# Prints "name value" lines that the C# side parses.
import multiprocessing as mp
import time


def noop(x):
    return x


def work(n):
    # The same CPU-bound workload as PoolBench.Work: an integer LCG loop.
    x = 0
    for i in range(n):
        x = (x * 1103515245 + 12345 + i) & 0x7FFFFFFF
    return x


if __name__ == "__main__":
    mp.set_start_method("spawn")
    t = time.perf_counter()
    pool = mp.Pool(2)
    pool.apply(noop, (1,))
    print("start_ms", (time.perf_counter() - t) * 1000)
    n = 2000
    t = time.perf_counter()
    for i in range(n):
        pool.apply(noop, (i,))
    print("apply_per_s", n / (time.perf_counter() - t))
    n = 20000
    t = time.perf_counter()
    rs = [pool.apply_async(noop, (i,)) for i in range(n)]
    for r in rs:
        r.get()
    print("apply_async_per_s", n / (time.perf_counter() - t))
    n = 200000
    t = time.perf_counter()
    pool.map(noop, range(n))
    print("map_per_s", n / (time.perf_counter() - t))
    pool.terminate()
