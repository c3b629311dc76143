# loop: a plain while loop with a mutable counter and accumulator.
def main():
    n = 10_000_000
    i = 0
    total = 0
    while i < n:
        total += i
        i += 1
    print("loop", total)


main()
