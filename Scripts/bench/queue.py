# queue: 200,000 items from a producer thread to a consumer thread through a queue of
# maxsize 1000; None marks the end.
import queue
import threading


def producer(q, n):
    i = 0
    while i < n:
        q.put(i)
        i += 1
    q.put(None)


def consumer(q, out):
    total = 0
    count = 0
    while True:
        x = q.get()
        if x is None:
            break
        total += x
        count += 1
    out.append(count)
    out.append(total)


def main():
    q = queue.Queue(maxsize=1000)
    out = []
    c = threading.Thread(target=consumer, args=(q, out))
    p = threading.Thread(target=producer, args=(q, 200_000))
    c.start()
    p.start()
    p.join()
    c.join()
    print("queue", out[0], out[1])


main()
