# fannkuch — pyperformance bm_fannkuch (Sokolov Yura, modified by Tupteq),
# made standalone.
# Port changes: no pyperf; main() calls fannkuch(DEFAULT_ARG) LOOPS = 3 times
# (as pyperf's loops do) and prints the maximum flip count (upstream discards
# it). DEFAULT_ARG = 9 as upstream.

DEFAULT_ARG = 9
LOOPS = 3


def fannkuch(n):
    count = list(range(1, n + 1))
    max_flips = 0
    m = n - 1
    r = n
    perm1 = list(range(n))
    perm = list(range(n))
    perm1_ins = perm1.insert
    perm1_pop = perm1.pop

    while 1:
        while r != 1:
            count[r - 1] = r
            r -= 1

        if perm1[0] != 0 and perm1[m] != m:
            perm = perm1[:]
            flips_count = 0
            k = perm[0]
            while k:
                perm[:k + 1] = perm[k::-1]
                flips_count += 1
                k = perm[0]

            if flips_count > max_flips:
                max_flips = flips_count

        while r != n:
            perm1_ins(r, perm1_pop(0))
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1
        else:
            return max_flips


def main():
    for _ in range(LOOPS):
        res = fannkuch(DEFAULT_ARG)
    print("fannkuch", DEFAULT_ARG, res)


main()
