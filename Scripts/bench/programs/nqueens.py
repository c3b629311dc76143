# nqueens — pyperformance bm_nqueens (simple, brute-force N-Queens solver by
# collinwinter), made standalone.
# Port changes: no pyperf; main() runs bench_n_queens(8) LOOPS = 8 times and
# prints the number of solutions and the first and last one. The generators are
# kept (upstream); the Weft port has no `yield` and builds lists instead.

LOOPS = 8


# Pure-Python implementation of itertools.permutations().
def permutations(iterable, r=None):
    """permutations(range(3), 2) --> (0,1) (0,2) (1,0) (1,2) (2,0) (2,1)"""
    pool = tuple(iterable)
    n = len(pool)
    if r is None:
        r = n
    indices = list(range(n))
    cycles = list(range(n - r + 1, n + 1))[::-1]
    yield tuple(pool[i] for i in indices[:r])
    while n:
        for i in reversed(range(r)):
            cycles[i] -= 1
            if cycles[i] == 0:
                indices[i:] = indices[i + 1:] + indices[i:i + 1]
                cycles[i] = n - i
            else:
                j = cycles[i]
                indices[i], indices[-j] = indices[-j], indices[i]
                yield tuple(pool[i] for i in indices[:r])
                break
        else:
            return


# From http://code.activestate.com/recipes/576647/
def n_queens(queen_count):
    """N-Queens solver: yields every solution as a tuple of column positions,
    one per row."""
    cols = range(queen_count)
    for vec in permutations(cols):
        if (queen_count == len(set(vec[i] + i for i in cols))
                        == len(set(vec[i] - i for i in cols))):
            yield vec


def bench_n_queens(queen_count):
    return list(n_queens(queen_count))


def main():
    for _ in range(LOOPS):
        res = bench_n_queens(8)
    print("nqueens", len(res), list(res[0]), list(res[-1]))


main()
