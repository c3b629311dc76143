# strings: repeated `s += piece` concatenation, then one join of many short strings.
def main():
    n = 200_000
    s = ""
    for i in range(n):
        s += str(i % 10)
    parts = []
    for i in range(n):
        parts.append(str(i))
    joined = "".join(parts)
    print("strings", len(s), len(joined))


main()
