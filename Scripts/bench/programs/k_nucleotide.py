# k_nucleotide — Benchmarks Game k-nucleotide, the single-process Python 3
# program (gen_freq counting every k-length slice in a defaultdict, sort_seq /
# find_seq), made standalone.
# Port changes: instead of reading `fasta N` output from stdin, the input is
# generated in-process: make_fasta_three() below follows the Benchmarks Game
# fasta program (LCG IM=139968, IA=3877, IC=29573, seed 42; the IUB section TWO
# draws N*3 numbers first, then section THREE, Homo sapiens frequencies, draws
# N*5), written as plain loops (a linear scan of the cumulative table instead of
# bisect, no generator) identically in both languages; the lines of section
# THREE are then read as upstream reads stdin. N = 150,000. Output is upstream's.
from collections import defaultdict

N = 150000

IM = 139968
IA = 3877
IC = 29573
seed = 42

IUB = list(zip('acgtBDHKMNRSVWY', [0.27, 0.12, 0.12, 0.27] + [0.02] * 11))

HOMOSAPIENS = [
    ('a', 0.3029549426680),
    ('c', 0.1979883004921),
    ('g', 0.1975473066391),
    ('t', 0.3015094502008),
]


def gen_random(lim):
    global seed
    seed = (seed * IA + IC) % IM
    return lim * seed / IM


def make_cumulative(table):
    probs = []
    chars = []
    prob = 0.0
    for char, p in table:
        prob += p
        probs.append(prob)
        chars.append(char)
    return probs, chars


def random_fasta(table, n):
    width = 60
    probs, chars = make_cumulative(table)
    last = len(probs) - 1
    lines = []
    done = 0
    while done < n:
        m = min(width, n - done)
        line = []
        for _ in range(m):
            r = gen_random(1.0)
            k = 0
            while k < last and probs[k] <= r:
                k += 1
            line.append(chars[k])
        lines.append(''.join(line))
        done += m
    return lines


def make_fasta_three(n):
    random_fasta(IUB, n * 3)                # section TWO: advances the generator
    return random_fasta(HOMOSAPIENS, n * 5)  # section THREE


def gen_freq(seq, frame):
    frequencies = defaultdict(int)
    ns = len(seq) + 1 - frame
    for ii in range(ns):
        frequencies[seq[ii:ii + frame]] += 1
    return ns, frequencies


def sort_seq(seq, length):
    n, frequencies = gen_freq(seq, length)
    l = sorted(frequencies.items(), reverse=True,
               key=lambda seq_freq: (seq_freq[1], seq_freq[0]))
    print('\n'.join("%s %.3f" % (st, 100.0 * fr / n) for st, fr in l))
    print()


def find_seq(seq, s):
    n, t = gen_freq(seq, len(s))
    print("%d\t%s" % (t.get(s, 0), s))


def main():
    seq = []
    for line in make_fasta_three(N):
        seq.append(line)
    sequence = "".join(seq).upper()

    for nl in 1, 2:
        sort_seq(sequence, nl)

    for se in "GGT GGTA GGTATT GGTATTTTAATT GGTATTTTAATTTATAGT".split():
        find_seq(sequence, se)


main()
