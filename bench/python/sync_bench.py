# Python's multiprocessing side of `Plexus.Bench sync`: prints "name value" lines.
import multiprocessing as mp
import time

N_SMALL = 200_000
N_BIG = 20_000
BIG = b"x" * 4096
N_UNCONTENDED = 2_000_000
N_CONTENDED = 500_000


WARM_ROUNDS = 2  # as in SyncBench.cs: two rounds of n/10 items before the measured n


def consume(q, n, done):
    for _ in range(WARM_ROUNDS):
        for _ in range(n // 10):
            q.get()
        done.put(0)
    for _ in range(n):
        q.get()
    done.put(time.perf_counter())


def queue_rate(item, n):
    q = mp.Queue()
    done = mp.Queue()
    p = mp.Process(target=consume, args=(q, n, done))
    p.start()
    for _ in range(WARM_ROUNDS):
        for _ in range(n // 10):
            q.put(item)
        done.get()
        time.sleep(0.2)
    start = time.perf_counter()
    for _ in range(n):
        q.put(item)
    end = done.get()
    p.join()
    return n / (end - start)


def hammer(lock, n, go, out):
    go.wait()
    start = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    out.put(time.perf_counter() - start)


if __name__ == "__main__":
    print("queue_small_msgs", queue_rate([11, None, "hello"], N_SMALL), flush=True)
    print("queue_4k_mbs", queue_rate(BIG, N_BIG) * 4096 / 1e6, flush=True)
    lock = mp.Lock()
    start = time.perf_counter()
    for _ in range(N_UNCONTENDED):
        lock.acquire()
        lock.release()
    print("lock_uncontended_pairs", N_UNCONTENDED / (time.perf_counter() - start), flush=True)
    go = mp.Event()
    out = mp.Queue()
    ps = [mp.Process(target=hammer, args=(lock, N_CONTENDED, go, out)) for _ in range(2)]
    for p in ps:
        p.start()
    time.sleep(0.5)
    go.set()
    elapsed = max(out.get(), out.get())
    for p in ps:
        p.join()
    print("lock_contended_pairs", 2 * N_CONTENDED / elapsed, flush=True)
