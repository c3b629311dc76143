# parallel: a CPU-bound pure function (sum of i*i % 7 over 3,000,000 iterations), run
# once in 1 thread and then split over 2 threads; both must agree.
import threading


def work(lo, hi):
    total = 0
    i = lo
    while i < hi:
        total += i * i % 7
        i += 1
    return total


def run(n, nthreads):
    if nthreads == 1:
        return work(0, n)
    step = n // nthreads
    results = [0] * nthreads
    threads = []

    def body(k, lo, hi):
        results[k] = work(lo, hi)

    k = 0
    while k < nthreads:
        hi = n if k == nthreads - 1 else (k + 1) * step
        t = threading.Thread(target=body, args=(k, k * step, hi))
        t.start()
        threads.append(t)
        k += 1
    for t in threads:
        t.join()
    return sum(results)


def main():
    n = 3_000_000
    one = run(n, 1)
    two = run(n, 2)
    if one != two:
        raise RuntimeError(f"1 thread gave {one}, 2 threads gave {two}")
    print("parallel", one)


main()
