// The json module's parser and serialiser (Modules/JSONModule.swift), called
// directly: round trips, number typing, escapes, indentation, error positions.
import XCTest
@testable import Weft

final class JSONTests: XCTestCase {
    private func repr(_ v: Word) throws -> String { try v.format(repr: true, vm: nil) }

    private func parseRepr(_ text: String) throws -> String { try repr(JSON.parse(text)) }

    /// The error a throwing call raises, as "Kind: message".
    private func failure(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch let e as ScriptThrow {
            return "\(e.kindName): \(e.message)"
        } catch {
            return "\(error)"
        }
    }

    private func map(_ pairs: [(Word, Word)]) -> MapObj {
        let m = MapObj()
        for (i, (k, v)) in pairs.enumerated() {
            m.set(k, hash: i, value: v) { a, b in a.isIdentical(to: b) }
        }
        return m
    }

    // MARK: Parsing

    func testScalars() throws {
        XCTAssertEqual(try parseRepr("1"), "1")
        XCTAssertEqual(try parseRepr("-0"), "0")
        XCTAssertEqual(try parseRepr(" -17 "), "-17")
        XCTAssertEqual(try parseRepr("1.5"), "1.5")
        XCTAssertEqual(try parseRepr("1e3"), "1000.0")
        XCTAssertEqual(try parseRepr("2.5E-3"), "0.0025")
        XCTAssertEqual(try parseRepr("9223372036854775807"), "9223372036854775807")
        XCTAssertEqual(try parseRepr("12345678901234567890"), "1.2345678901234567e+19")
        XCTAssertEqual(try parseRepr("true"), "true")
        XCTAssertEqual(try parseRepr("false"), "false")
        XCTAssertEqual(try parseRepr("null"), "nil")
        guard case .int = try JSON.parse("42").unpacked else { return XCTFail("42 should be an int") }
        guard case .float = try JSON.parse("42.0").unpacked else { return XCTFail("42.0 should be a float") }
    }

    func testStrings() throws {
        XCTAssertEqual(try parseRepr(#""a\"b\\c\/d\n\t\r\b\f""#), #""a\"b\\c/d\n\t\r\u{8}\u{c}""#)
        guard case .str(let s) = try JSON.parse(#""caf\u00e9 \ud83d\ude00 ünï""#).unpacked else { return XCTFail() }
        XCTAssertEqual(s.value, "café 😀 ünï")
        XCTAssertEqual(s.count, 10)
        guard case .str(let lone) = try JSON.parse(#""x\ud800y""#).unpacked else { return XCTFail() }
        XCTAssertEqual(lone.value, "x\u{FFFD}y")
    }

    func testContainers() throws {
        XCTAssertEqual(try parseRepr(#"{"b": [1, 2.5, {"c": null}], "a": {}}"#),
                       #"{"b": [1, 2.5, {"c": nil}], "a": {}}"#)
        XCTAssertEqual(try parseRepr("[ ]"), "[]")
        XCTAssertEqual(try parseRepr(" { } "), "{}")
        // A repeated key keeps its first position and its last value (as in Python).
        XCTAssertEqual(try parseRepr(#"{"a": 1, "b": 2, "a": 3}"#), #"{"a": 3, "b": 2}"#)
    }

    func testErrorPositions() {
        XCTAssertEqual(failure { try JSON.parse("{\n  \"a\": 1,\n  \"b\": x\n}") },
                       "ValueError: json: unexpected character 'x' at line 3, column 8")
        XCTAssertEqual(failure { try JSON.parse("[1, 2") },
                       "ValueError: json: unexpected end of input at line 1, column 6")
        XCTAssertEqual(failure { try JSON.parse("") },
                       "ValueError: json: unexpected end of input at line 1, column 1")
        XCTAssertEqual(failure { try JSON.parse("[1,]") },
                       "ValueError: json: unexpected character ']' at line 1, column 4")
        XCTAssertEqual(failure { try JSON.parse("01") },
                       "ValueError: json: unexpected character '1' at line 1, column 2")
        XCTAssertEqual(failure { try JSON.parse("1.") },
                       "ValueError: json: unexpected end of input at line 1, column 3")
        XCTAssertEqual(failure { try JSON.parse("[\"é\", x]") },
                       "ValueError: json: unexpected character 'x' at line 1, column 7")
        XCTAssertEqual(failure { try JSON.parse("{\"a\" 1}") },
                       "ValueError: json: unexpected character '1' at line 1, column 6")
        XCTAssertEqual(failure { try JSON.parse("{1: 2}") },
                       "ValueError: json: unexpected character '1' at line 1, column 2")
        XCTAssertEqual(failure { try JSON.parse("tru") },
                       "ValueError: json: unexpected end of input at line 1, column 4")
        XCTAssertEqual(failure { try JSON.parse("[1] 2") },
                       "ValueError: json: unexpected character '2' at line 1, column 5")
        XCTAssertEqual(failure { try JSON.parse("\"a\\qb\"") },
                       "ValueError: json: invalid escape at line 1, column 3")
        XCTAssertEqual(failure { try JSON.parse("\"a\\u12g4\"") },
                       "ValueError: json: invalid \\u escape at line 1, column 3")
        XCTAssertEqual(failure { try JSON.parse("\"a\nb\"") },
                       "ValueError: json: invalid control character in string at line 1, column 3")
        XCTAssertEqual(failure { try JSON.parse("NaN") },
                       "ValueError: json: unexpected character 'N' at line 1, column 1")
    }

    func testDeepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertTrue(failure { try JSON.parse(deep) }.hasPrefix("ValueError: json: nesting deeper than"))
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        XCTAssertNoThrow(try JSON.parse(ok))
    }

    // MARK: Stringifying

    func testCompact() throws {
        let v = try JSON.parse(#"{"a": 1, "b": [1, 2.5], "c": "x", "d": [true, false, null], "e": {}}"#)
        XCTAssertEqual(try JSON.stringify(v, indent: nil),
                       #"{"a":1,"b":[1,2.5],"c":"x","d":[true,false,null],"e":{}}"#)
        XCTAssertEqual(try JSON.stringify(.float(1e16), indent: nil), "1e+16")
        XCTAssertEqual(try JSON.stringify(.float(-0.0), indent: nil), "-0.0")
        XCTAssertEqual(try JSON.stringify(.int(Int.min), indent: nil), "-9223372036854775808")
        XCTAssertEqual(try JSON.stringify(.list(ListObj()), indent: nil), "[]")
    }

    func testIndented() throws {
        let v = try JSON.parse(#"{"a": 1, "b": [1, 2.5], "c": [], "d": {}, "e": {"f": [{}]}}"#)
        XCTAssertEqual(try JSON.stringify(v, indent: 2), """
            {
              "a": 1,
              "b": [
                1,
                2.5
              ],
              "c": [],
              "d": {},
              "e": {
                "f": [
                  {}
                ]
              }
            }
            """)
        XCTAssertEqual(try JSON.stringify(.list(ListObj([.int(1)])), indent: 0), "[\n1\n]")
        XCTAssertEqual(try JSON.stringify(.int(3), indent: 4), "3")
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try JSON.stringify(.string("a\"b\\c\n\t\r\u{8}\u{c}\u{1}\u{1f}é😀/"), indent: nil),
                       #""a\"b\\c\n\t\r\b\f\u0001\u001fé😀/""#)
    }

    func testKeys() throws {
        let m = map([(.int(1), .string("one")), (.bool(true), .int(2)), (.nil, .int(3)),
                     (.float(1.5), .int(4)), (.string("s"), .int(5))])
        XCTAssertEqual(try JSON.stringify(.map(m), indent: nil),
                       #"{"1":"one","true":2,"null":3,"1.5":4,"s":5}"#)
        let bad = map([(.list(ListObj()), .int(1))])
        XCTAssertEqual(failure { try JSON.stringify(.map(bad), indent: nil) },
                       "TypeError: json: map keys must be str, int, float, bool or nil, not list")
    }

    func testUnserialisable() {
        XCTAssertEqual(failure { try JSON.stringify(.float(.nan), indent: nil) },
                       "ValueError: json: nan is not valid JSON")
        XCTAssertEqual(failure { try JSON.stringify(.list(ListObj([.float(-.infinity)])), indent: nil) },
                       "ValueError: json: -inf is not valid JSON")
        let f = Word.object(NativeFn("f") { _, _, _ in .nil })
        XCTAssertEqual(failure { try JSON.stringify(.list(ListObj([f])), indent: nil) },
                       "TypeError: json: a value of type fn is not JSON serializable")
        XCTAssertEqual(failure { try JSON.stringify(.object(BytesObj([1])), indent: nil) },
                       "TypeError: json: a value of type bytes is not JSON serializable")
    }

    func testCycles() throws {
        let l = ListObj()
        l.replaceAllUnlocked([.int(1), .list(l)])
        XCTAssertEqual(failure { try JSON.stringify(.list(l), indent: nil) },
                       "ValueError: json: circular reference")
        let m = map([])
        m.set(.string("self"), hash: 0, value: .map(m)) { _, _ in false }
        XCTAssertEqual(failure { try JSON.stringify(.map(m), indent: 2) },
                       "ValueError: json: circular reference")
        // The same container twice, side by side, is not a cycle.
        let inner = ListObj([.int(1)])
        XCTAssertEqual(try JSON.stringify(.list(ListObj([.list(inner), .list(inner)])), indent: nil),
                       "[[1],[1]]")
    }

    func testRoundTrips() throws {
        let texts = [
            #"{"a":1,"b":[1,2.5],"c":{"d":"e\u0001\n"}}"#,
            #"[0,-1,1.5e-05,1e+16,123456.0,"ünï😀",true,false,null,[],{}]"#,
            #"{"nested":[[[[[{"x":[{}]}]]]]]}"#,
            #""""#,
        ]
        for t in texts {
            let v = try JSON.parse(t)
            XCTAssertEqual(try JSON.stringify(v, indent: nil), t)
            let pretty = try JSON.stringify(v, indent: 3)
            XCTAssertEqual(try JSON.stringify(try JSON.parse(pretty), indent: nil), t)
        }
    }

    func testDeepStringifyDoesNotRecurse() throws {
        // 1,000 levels (the README's limit) stringify; deeper input is a
        // ValueError, found without recursing (50,000 levels).
        var v = Word.list(ListObj())
        for _ in 0..<999 { v = .list(ListObj([v])) }
        XCTAssertEqual(try JSON.stringify(v, indent: nil).count, 2 * 1000)
        for _ in 0..<50_000 { v = .list(ListObj([v])) }
        XCTAssertThrowsError(try JSON.stringify(v, indent: nil)) { e in
            XCTAssertEqual((e as? ScriptThrow)?.message, "json: nesting deeper than 1000 levels")
        }
        // Release iteratively too, so the test itself cannot overflow the stack.
        while case .list(let l) = v.unpacked, let first = l.get(0) { l.removeAllUnlocked(); v = first }
    }
}
