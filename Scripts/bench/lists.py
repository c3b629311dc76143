# lists: append many ints, then sum them by index in a while loop.
def main():
    n = 2_000_000
    xs = []
    for j in range(n):
        xs.append(j)
    i = 0
    total = 0
    count = len(xs)
    while i < count:
        total += xs[i]
        i += 1
    print("lists", count, total)


main()
