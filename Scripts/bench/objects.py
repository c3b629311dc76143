# objects: many method calls on one instance, each updating a field.
class Counter:
    def __init__(self):
        self.n = 0

    def incr(self):
        self.n += 1


def main():
    c = Counter()
    for i in range(3_000_000):
        c.incr()
    print("objects", c.n)


main()
