# lock_uncontended: 2,000,000 acquire/release pairs on a lock no other thread touches.
import threading


def main():
    l = threading.Lock()
    n = 2_000_000
    i = 0
    count = 0
    while i < n:
        l.acquire()
        count += 1
        l.release()
        i += 1
    print("lock_uncontended", count)


main()
