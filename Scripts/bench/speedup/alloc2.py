# alloc2: the Weft workload of the same name, in Python (small trees and big ints).
import threading

def make_tree(d):
    if d > 0:
        d -= 1
        return [make_tree(d), make_tree(d)]
    return [None, None]

def check_tree(node):
    l = node[0]
    if l is None:
        return 1
    return 1 + check_tree(l) + check_tree(node[1])

def work(lo, hi, out, slot):
    total = 0
    i = lo
    while i < hi:
        total += check_tree(make_tree(7)) + (i * 1_000_000_000_000) % 7
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

print("alloc", run(40_000, 2))
