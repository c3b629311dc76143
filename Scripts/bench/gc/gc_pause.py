# gc_pause, CPython side: the same live heap and churn as gc_pause.weft, then the time
# of a full gc.collect() on that heap (5 runs: p50, p99 = max of 5, max), in ms.
import gc
import time
def ms(seconds):
    return round(seconds * 1000, 1)
def main():
    n = 1_500_000
    keep = []
    for i in range(n):
        keep.append([i, "x"])
    total = 0
    for r in range(3_000_000):
        keep[r % n] = [r, "y"]
        garbage = [r, r]
        total += len(garbage)
    pauses = []
    for _ in range(5):
        t = time.perf_counter()
        gc.collect()
        pauses.append(time.perf_counter() - t)
    pauses.sort()
    collections = sum(s["collections"] for s in gc.get_stats())
    print("gc_pause p50", ms(pauses[2]), "p99", ms(pauses[4]), "max", ms(pauses[4]),
          "collections", collections, "live", len(gc.get_objects()), "check", total)
main()
