# spawn_join: start 5,000 short threads (each stores one result), then join them all.
import threading


def work(i, out):
    out[i] = i * 2


def main():
    n = 5_000
    out = [0] * n
    threads = []
    i = 0
    while i < n:
        t = threading.Thread(target=work, args=(i, out))
        t.start()
        threads.append(t)
        i += 1
    for t in threads:
        t.join()
    print("spawn_join", len(threads), sum(out))


main()
