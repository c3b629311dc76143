# pool: 50,000 trivial tasks submitted to a pool of 4 workers; sum the futures' results.
from concurrent.futures import ThreadPoolExecutor


def task(x):
    return x + 1


def main():
    n = 50_000
    p = ThreadPoolExecutor(max_workers=4)
    futures = []
    i = 0
    while i < n:
        futures.append(p.submit(task, i))
        i += 1
    total = 0
    for f in futures:
        total += f.result()
    p.shutdown()
    print("pool", len(futures), total)


main()
