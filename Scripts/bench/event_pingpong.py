# event_pingpong: 20,000 round trips between two threads, signalled with two events.
import threading


def ponger(ping, pong, n):
    i = 0
    while i < n:
        ping.wait()
        ping.clear()
        pong.set()
        i += 1


def main():
    n = 20_000
    ping = threading.Event()
    pong = threading.Event()
    t = threading.Thread(target=ponger, args=(ping, pong, n))
    t.start()
    trips = 0
    while trips < n:
        ping.set()
        pong.wait()
        pong.clear()
        trips += 1
    t.join()
    print("event_pingpong", trips)


main()
