# parallel1: the `parallel` workload's function (sum of i*i % 7 over 10,000,000
# iterations; `parallel` does 3,000,000, too little to time well), run with 1 thread(s)
# only. Scripts/bench/speedup.sh compares the times.
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
    print("parallel", run(10_000_000, 1))


main()
