# maps: insert string keys into a map, then look each one up and sum the values.
def main():
    n = 500_000
    m = {}
    for i in range(n):
        m["k" + str(i)] = i
    total = 0
    for i in range(n):
        total += m["k" + str(i)]
    print("maps", len(m), total)


main()
