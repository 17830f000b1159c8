# Python's side of `Plexus.Bench shm`: attaching to a named segment by name in another process.
# Prints "name value" lines.
import multiprocessing as mp
import sys
import time
from multiprocessing import shared_memory

SIZE = 64 << 20


def attach_loop(name, n, out):
    for _ in range(n // 10):  # warm-up, as in ShmBench.cs
        shared_memory.SharedMemory(name=name).close()
    start = time.perf_counter()
    for _ in range(n):
        shared_memory.SharedMemory(name=name).close()
    out.put((time.perf_counter() - start) / n)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seg = shared_memory.SharedMemory(create=True, size=SIZE)
    try:
        out = mp.Queue()
        p = mp.Process(target=attach_loop, args=(seg.name, n, out))
        p.start()
        print("attach_us", out.get() * 1e6, flush=True)
        p.join()
    finally:
        seg.close()
        seg.unlink()
