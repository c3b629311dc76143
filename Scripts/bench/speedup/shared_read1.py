# shared_read1: the Weft workload of the same name, in Python (threads only read).
import threading

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

xs = list(range(1000))
keys = [f"k{i}" for i in range(64)]
m = {k: i for i, k in enumerate(keys)}
p = Point(3, 4)

def work(lo, hi, out, slot):
    total = 0
    i = lo
    while i < hi:
        total += xs[i % 1000] + m[keys[i % 64]] + p.x * p.y
        i += 1
    out[slot] = total

def run(n, nthreads):
    step = n // nthreads
    out = [0] * nthreads
    threads = []
    for k in range(nthreads):
        hi = n if k == nthreads - 1 else (k + 1) * step
        t = threading.Thread(target=work, args=(k * step, hi, out, k))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return sum(out)

print("shared_read", run(16_000_000, 1))
