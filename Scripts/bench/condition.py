# condition: a bounded buffer (capacity 64) guarded by one condition; a producer thread
# passes 100,000 items to a consumer thread.
import threading


class Buffer:
    def __init__(self, capacity):
        self.items = []
        self.capacity = capacity
        self.cv = threading.Condition()

    def put(self, x):
        with self.cv:
            while len(self.items) >= self.capacity:
                self.cv.wait()
            self.items.append(x)
            self.cv.notify()

    def get(self):
        with self.cv:
            while len(self.items) == 0:
                self.cv.wait()
            x = self.items.pop(0)
            self.cv.notify()
            return x


def producer(buf, n):
    i = 0
    while i < n:
        buf.put(i)
        i += 1


def consumer(buf, n, out):
    total = 0
    i = 0
    while i < n:
        total += buf.get()
        i += 1
    out.append(total)


def main():
    n = 100_000
    buf = Buffer(64)
    out = []
    c = threading.Thread(target=consumer, args=(buf, n, out))
    p = threading.Thread(target=producer, args=(buf, n))
    c.start()
    p.start()
    p.join()
    c.join()
    print("condition", n, out[0])


main()
