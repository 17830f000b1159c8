# Python's multiprocessing.Manager baseline for ManagerBench: one line per number, "name value".
import multiprocessing as mp
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--slices" else 5000


def set_get(d, n, base):
    for i in range(n):
        d[base + i] = i
        d[base + i]


def worker(d, n, base, barrier, out):
    barrier.wait()
    t0 = time.time()
    set_get(d, n, base)
    out.put((t0, time.time()))


def serve_slices():
    """Interleaved mode: for each line "n" on stdin, time n blocking set+get pairs and print the seconds."""
    with mp.Manager() as m:
        d = m.dict()
        set_get(d, 2000, 0)
        print("ready", flush=True)
        for line in sys.stdin:
            n = int(line)
            t0 = time.perf_counter()
            set_get(d, n, 0)
            print(time.perf_counter() - t0, flush=True)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--slices":
    serve_slices()
elif __name__ == "__main__":
    with mp.Manager() as m:
        d = m.dict()
        t0 = time.perf_counter()
        set_get(d, N, 0)
        print("dict1", 2 * N / (time.perf_counter() - t0))
        barrier = mp.Barrier(4)
        out = mp.Queue()
        ps = [mp.Process(target=worker, args=(d, N, (k + 1) * 10_000_000, barrier, out)) for k in range(4)]
        for p in ps:
            p.start()
        spans = [out.get() for _ in ps]
        for p in ps:
            p.join()
        print("dict4", 4 * 2 * N / (max(e for _, e in spans) - min(s for s, _ in spans)))
        l = m.list()
        t0 = time.perf_counter()
        for i in range(N):
            l.append(i)
        print("list1", N / (time.perf_counter() - t0))
