# json_dumps — pyperformance bm_json_dumps, made standalone.
# Port changes: no pyperf and no --cases option (all four cases run); main()
# runs bench_json_dumps LOOPS = 60 times and prints how many documents were
# encoded and their total length. json.dumps(obj) becomes the `encode` method of
# one module-level JSONEncoder(separators=(",", ":"), ensure_ascii=False): the
# same C encoder path json.dumps takes with default arguments, but producing
# Weft's json.stringify format (compact, non-ASCII written as is), so the
# lengths agree.
import json

LOOPS = 60

EMPTY = ({}, 2000)
SIMPLE_DATA = {'key1': 0, 'key2': True, 'key3': 'value', 'key4': 'foo',
               'key5': 'string'}
SIMPLE = (SIMPLE_DATA, 1000)
NESTED_DATA = {'key1': 0, 'key2': SIMPLE[0], 'key3': 'value', 'key4': SIMPLE[0],
               'key5': SIMPLE[0], 'key': '\u0105\u0107\u017c'}
NESTED = (NESTED_DATA, 1000)
HUGE = ([NESTED[0]] * 1000, 1)

cases = ['EMPTY', 'SIMPLE', 'NESTED', 'HUGE']

dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def bench_json_dumps(data):
    count = 0
    total = 0
    for obj, count_it in data:
        for _ in count_it:
            s = dumps(obj)
            count += 1
            total += len(s)
    return count, total


def main():
    data = []
    for case in cases:
        obj, count = globals()[case]
        data.append((obj, range(count)))
    for _ in range(LOOPS):
        count, total = bench_json_dumps(data)
    print("json_dumps", LOOPS, count, total)


main()
