# lock_contended: 2 threads each do 500,000 increments of one counter under one lock.
import threading


class Counter:
    def __init__(self):
        self.value = 0
        self.guard = threading.Lock()


def work(c, n):
    i = 0
    while i < n:
        with c.guard:
            c.value += 1
        i += 1


def main():
    c = Counter()
    threads = [threading.Thread(target=work, args=(c, 500_000)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("lock_contended", c.value)


main()
