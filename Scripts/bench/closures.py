# closures: create many closures, each capturing a different value, and call each once.
def make_adder(k):
    return lambda x: x + k


def main():
    total = 0
    for i in range(1_000_000):
        add = make_adder(i)
        total += add(1)
    print("closures", total)


main()
