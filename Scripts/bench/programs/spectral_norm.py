# spectral_norm — pyperformance bm_spectral_norm (Sebastien Loisel, Isaac Gouy,
# Josh Goldfoot, Simon Descarpentries, Vadim Zelenin), made standalone.
# Port changes: no pyperf; main() runs the benchmark body once with N = 350
# (upstream DEFAULT_N = 130) and prints the spectral norm sqrt(vBv / vv), as the
# Benchmarks Game program does, as a float repr instead of "%0.9f".
import math

DEFAULT_N = 350


def eval_A(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def eval_times_u(func, u):
    return [func((i, u)) for i in range(len(list(u)))]


def eval_AtA_times_u(u):
    return eval_times_u(part_At_times_u, eval_times_u(part_A_times_u, u))


def part_A_times_u(i_u):
    i, u = i_u
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += eval_A(i, j) * u_j
    return partial_sum


def part_At_times_u(i_u):
    i, u = i_u
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += eval_A(j, i) * u_j
    return partial_sum


def main():
    u = [1] * DEFAULT_N

    for dummy in range(10):
        v = eval_AtA_times_u(u)
        u = eval_AtA_times_u(v)

    vBv = vv = 0

    for ue, ve in zip(u, v):
        vBv += ue * ve
        vv += ve * ve

    print("spectral_norm", math.sqrt(vBv / vv))


main()
