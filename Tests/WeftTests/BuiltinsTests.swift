// Unit tests for the builtin functions (Sources/Weft/Builtins: BuiltinFunctions,
// Conversions, Sequences, Numbers, Copying, TypeObjects), through the public
// Interpreter API. The conformance scripts cover everyday use; these pin down
// edge cases: parsing, rounding, overflow, laziness and copying semantics.

import XCTest
@testable import Weft

final class BuiltinsTests: XCTestCase {
    /// repr() of the value of `source`'s last expression.
    private func value(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let interp = Interpreter()
        do {
            let v = try interp.eval("repr(\(source))")
            if let s = try? v.as(String.self) { return s }
            return "not a str: \(v)"
        } catch let e as ScriptError {
            return "\(e.kind): \(e.message)"
        } catch {
            return "\(error)"
        }
    }

    private func check(_ source: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(value(source), expected, source, file: file, line: line)
    }

    /// The output of running `source`, or the uncaught error as "Kind: message".
    private func run(_ source: String) -> String {
        let interp = Interpreter()
        var out = ""
        interp.output = { out += $0 }
        do { try interp.eval(source) } catch let e as ScriptError { out += "\(e.kind): \(e.message)" } catch { out += "\(error)" }
        return out
    }

    func testIntConversion() {
        check(#"int("ff", base: 16)"#, "255")
        check(#"int("0xff", base: 0)"#, "255")
        check(#"int("0b101", base: 2)"#, "5")
        check(#"int(" -1_000 ")"#, "-1000")
        check(#"int("-9223372036854775808")"#, "-9223372036854775808")
        check(#"int("9223372036854775808")"#,
              #"OverflowError: int() literal too large for a 64-bit int: "9223372036854775808""#)
        check(#"int("1__0")"#, #"ValueError: invalid literal for int() with base 10: "1__0""#)
        check(#"int("010", base: 0)"#, #"ValueError: invalid literal for int() with base 0: "010""#)
        check(#"int("x")"#, #"ValueError: invalid literal for int() with base 10: "x""#)
        check("int(3.9)", "3")
        check("int(-3.9)", "-3")
        check("int(true)", "1")
        check("int(1e19)", "OverflowError: float 1e+19 is too large to convert to int")
        check(#"int(1, base: 2)"#, "TypeError: int() can't convert non-string with explicit base")
        check(#"int("1", base: 37)"#, "ValueError: int() base must be >= 2 and <= 36, or 0")
        check("int([])", "TypeError: int() argument must be a str, bytes or a number, not 'list'")
    }

    func testFloatConversion() {
        check(#"float("1.5")"#, "1.5")
        check(#"float("1.")"#, "1.0")
        check(#"float("-.5")"#, "-0.5")
        check(#"float(" 1_0e-1 ")"#, "1.0")
        check(#"float("1e999")"#, "inf")
        check(#"float("-Infinity")"#, "-inf")
        check(#"float("0x10")"#, #"ValueError: could not convert string to float: "0x10""#)
        check(#"float(".")"#, #"ValueError: could not convert string to float: ".""#)
        check("float(2)", "2.0")
    }

    func testOtherConversions() {
        check("str(1.0)", #""1.0""#)
        check(#"str([1, "a"])"#, #""[1, \"a\"]""#)
        check("bool([])", "false")
        check("bool(0.0)", "false")
        check(#"list("ab")"#, #"["a", "b"]"#)
        check("list(0..<3)", "[0, 1, 2]")
        check(#"map([["a", 1], [2, "b"]])"#, #"{"a": 1, 2: "b"}"#)
        check(#"map([["a"]])"#, "ValueError: map() element #0 has length 1; 2 is required")
        check(#"map({"a": 1})"#, #"{"a": 1}"#)
        check("bytes([104, 105])", #"b"hi""#)
        check("bytes([256])", "ValueError: bytes must be in range(0, 256), got 256")
        check("range(3)", "0..<3")
        check("range(1, 10, 3)", "range(1, 10, 3)")
        check("range(1, 2, 0)", "ValueError: range() step must not be zero")
        check("range(-9223372036854775807 - 1, 9223372036854775807)",
              "OverflowError: range has more than 9223372036854775807 elements")
    }

    func testTypesAndIsinstance() {
        check("[type(nil), type(true), type(1), type(1.5), type(\"\"), type([]), type({})]",
              "[nil, bool, int, float, str, list, map]")
        check("[type(0..<1), type(print), type(fn() => 1), type(int), type(\"a\".encode())]",
              "[range, fn, fn, class, bytes]")
        check("type(1) is int", "true")
        check("isinstance(true, int)", "false")
        check("isinstance(1, [str, int])", "true")
        check(#"isinstance(ValueError("x"), Error)"#, "true")
        check("isinstance(1, 2)", "TypeError: isinstance() arg 2 must be a type or a list of types, not int")
        XCTAssertEqual(run("class A {}\nclass B : A {}\nprint(type(B()), isinstance(B(), A), isinstance(A(), B))"),
                       "B true false\n")
    }

    func testLenChrOrd() {
        check(#"len("héllo")"#, "5")
        check("len(0..<10)", "10")
        check("len(1)", "TypeError: object of type 'int' has no len()")
        check("chr(128512)", #""😀""#)
        check("chr(55296)", "ValueError: chr() arg is a surrogate code point (55296)")
        check("chr(1114112)", "ValueError: chr() arg not in range(0x110000)")
        check(#"ord("😀")"#, "128512")
        check(#"ord("ab")"#, "TypeError: ord() expected a character, but string of length 2 found")
    }

    func testRound() {
        check("[round(0.5), round(1.5), round(2.5), round(-0.5), round(-1.5)]", "[0, 2, 2, 0, -2]")
        check("round(2.675, digits: 2)", "2.67")
        check("round(0.125, 2)", "0.12")
        check("round(0.375, digits: 2)", "0.38")
        check("[round(1250.0, digits: -2), round(1350.0, digits: -2), round(1250.5, digits: -2)]",
              "[1200.0, 1400.0, 1300.0]")
        check("round(-4.0, digits: -1)", "-0.0")
        check("round(7)", "7")
        check("round(1234, digits: -2)", "1200.0")
        check("round(1.5, digits: 400)", "1.5")
        check("round(1e308 * 10.0)", "OverflowError: cannot convert float infinity to integer")
    }

    func testAbsSum() {
        check("abs(-3)", "3")
        check("abs(-2.5)", "2.5")
        check("abs(-9223372036854775807 - 1)", "OverflowError: integer overflow in abs()")
        check("sum([1, 2, 3])", "6")
        check("sum([1, 2.5])", "3.5")
        check("sum(0..<101, start: 10)", "5060")
        check("sum([[1], [2]], start: [])", "[1, 2]")
        check("sum([9223372036854775807, 1])", "OverflowError: integer overflow in sum()")
        check(#"sum(["a"])"#, "TypeError: unsupported operand types for +: 'int' and 'str'")
    }

    func testSequences() {
        check(#"enumerate("ab", start: 1)"#, #"[[1, "a"], [2, "b"]]"#)
        check(#"zip([1, 2, 3], "ab")"#, #"[[1, "a"], [2, "b"]]"#)
        // zip never reads past the shortest input, so a huge range is fine.
        check(#"zip(0..<9000000000000000000, "ab")"#, #"[[0, "a"], [1, "b"]]"#)
        check("any(0..<9000000000000000000)", "true")
        check("all([])", "true")
        check("reversed(0..<3)", "[2, 1, 0]")
        check(#"sorted(["bb", "a", "ccc"], key: len, reverse: true)"#, #"["ccc", "bb", "a"]"#)
        check("sorted([[1, 0], [0, 0], [1, 1]], key: fn(p) => p[0])", "[[0, 0], [1, 0], [1, 1]]")
        check(#"sorted([1, "a"])"#, "TypeError: '<' not supported between 'str' and 'int'")
        check("[min(3, 1, 2), max([1, 5, 2]), min([], default: 0)]", "[1, 5, 0]")
        check(#"max(["a", "bb", "cc"], key: len)"#, #""bb""#)
        check("max([])", "ValueError: max() arg is an empty sequence")
    }

    func testPrintInputAssertExit() {
        XCTAssertEqual(run(#"print(1, "a", [nil], sep: "-", end: "!")"#), #"1-a-[nil]!"#)
        let interp = Interpreter()
        var out = ""
        var lines = ["bob"]
        interp.output = { out += $0 }
        interp.input = { prompt in out += prompt; return lines.isEmpty ? nil : lines.removeFirst() }
        XCTAssertNoThrow(try interp.eval(#"print(input("name? ")); print(input())"#))
        XCTAssertEqual(out, "name? bob\nnil\n")
        XCTAssertEqual(run("assert(1 == 2)"), "AssertionError: assertion failed")
        XCTAssertEqual(run(#"assert(false, message: "bad")"#), "AssertionError: bad")
        XCTAssertThrowsError(try Interpreter().eval("exit(code: 4)")) { e in
            XCTAssertEqual((e as? ExitRequest)?.code, 4)
        }
    }

    func testCopying() {
        XCTAssertEqual(run("""
            let a = [1, [2]]
            let b = copy(a); b[1].append(3); b.append(4)
            let c = deepcopy(a); c[1].append(9)
            print(a, b, c)
            var cyc = [1]; cyc.append(cyc)
            let d = deepcopy(cyc)
            print(d, d[1] is d, d is cyc)
            let shared = [0]
            let e = deepcopy([shared, shared])
            print(e[0] is e[1], e[0] is shared)
            """), "[1, [2, 3]] [1, [2, 3], 4] [1, [2, 3, 9]]\n[1, [...]] true false\ntrue false\n")
        XCTAssertEqual(run("""
            let f = freeze({"k": [1, {"z": [2]}]})
            print(is_frozen(f), is_frozen(f["k"]), is_frozen(f["k"][1]), freeze(f) is f)
            try { f["k"].append(1) } catch e { print(e) }
            let t = deepcopy(f); t["k"].append(3)
            print(t, is_frozen(t), is_frozen(copy(f)))
            let m = {}; m[freeze([1, 2])] = "v"
            print(m[freeze([1, 2])], is_frozen(1), is_frozen("s"), is_frozen([]))
            var me = {}; me["me"] = me
            let fm = freeze(me)
            print(fm["me"] is fm, is_frozen(fm))
            """), """
            true true true true
            FrozenError: cannot modify a frozen list
            {"k": [1, {"z": [2]}, 3]} false false
            v true true false
            true true

            """)
        XCTAssertEqual(run("""
            class Pt {
              fn init(x, y) { self.x = x; self.y = y }
              fn eq(o) { return self.x == o.x and self.y == o.y }
              fn hash() { return self.x }
            }
            let fp = freeze({Pt(1, 2): [1]})
            print(fp[Pt(1, 2)], is_frozen(fp[Pt(1, 2)]))
            let p = freeze(Pt(1, [2]))
            print(is_frozen(p), is_frozen(p.y))
            try { p.x = 5 } catch e { print(type(e)) }
            let q = copy(p); q.x = 7
            print(q.x, is_frozen(q), type(q))
            """), "[1] true\ntrue true\nFrozenError\n7 false Pt\n")
    }
}
