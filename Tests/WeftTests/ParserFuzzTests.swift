import XCTest
@testable import Weft

/// Random input must never trap or hang the lexer or parser. Deterministic (fixed seeds),
/// so a failure reproduces; each test prints nothing unless it fails.
final class ParserFuzzTests: XCTestCase {
    /// SplitMix64: small, fast, deterministic.
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    /// Parses `src` and checks the invariants every result must satisfy.
    func check(_ src: String, file: StaticString = #filePath, line: UInt = #line) {
        let (_, issues) = Parser.parse(src)
        let lines = src.split(separator: "\n", omittingEmptySubsequences: false).count
        var previous = SourcePos(1, 1)
        for issue in issues {
            XCTAssertFalse(issue.message.isEmpty, file: file, line: line)
            XCTAssertGreaterThanOrEqual(issue.pos.line, 1, file: file, line: line)
            XCTAssertGreaterThanOrEqual(issue.pos.col, 1, file: file, line: line)
            XCTAssertLessThanOrEqual(Int(issue.pos.line), lines + 1, "issue beyond the input: \(src.debugDescription)", file: file, line: line)
            let ordered = issue.pos.line > previous.line || (issue.pos.line == previous.line && issue.pos.col >= previous.col)
            XCTAssert(ordered, "issues out of order for \(src.debugDescription)", file: file, line: line)
            previous = issue.pos
        }
    }

    func testRandomBytes() {
        var rng = RNG(state: 0xC0FFEE)
        // Bias towards bytes that matter to the lexer.
        let interesting = Array("\"'\\(){}[]#.,:;=+-*/<>!?_0123456789xobeEun \n\t\r".utf8) + [0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0xE2, 0x80]
        for _ in 0..<3_000 {
            let n = rng.below(120)
            var bytes: [UInt8] = []
            for _ in 0..<n {
                bytes.append(rng.below(3) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : rng.pick(interesting))
            }
            check(String(decoding: bytes, as: UTF8.self))
        }
    }

    static let vocabulary: [String] = {
        var v = TokenKind.allCases.compactMap(\.spelling)
        v += ["x", "y", "foo", "_", "é", "1", "0", "42", "0xff", "0b1", "1.5", "1e9", "9223372036854775808",
              "\"s\"", "'t'", "\"a \\(", "\"\"\"", "'''", "\\(", ")\"", "\"\\q\"", "\n", "\n", "\n", ";",
              "#c\n", " ", ".5", "..", "!", "$", "\\", "\"", "'"]
        return v
    }()

    func testRandomTokenSoup() {
        var rng = RNG(state: 0xBADC0DE)
        for _ in 0..<3_000 {
            let n = rng.below(60)
            var parts: [String] = []
            for _ in 0..<n { parts.append(rng.pick(Self.vocabulary)) }
            check(parts.joined(separator: rng.below(4) == 0 ? "" : " "))
        }
    }

    /// Valid programs with random damage: deletions, duplications, swaps, insertions.
    func testMutatedPrograms() throws {
        var seeds = [
            "fn f(a, b = 2, ...r) {\n  if a < b { return [x * 2 for x in r if x] } else { return {a: b} }\n}",
            "class C : B {\n  let n = 1\n  fn m() { with self.l as l { self.v += \"\\(n) \\(f(1, k: 2))\" } }\n}",
            "try {\n  spawn(fn() {\n    q.put(1)\n  }, name: \"w\")\n} catch e: A | m.B {\n  throw e\n} finally { done() }",
            "let [a, [b, c]] = pair\nfor k, v in m { xs[k:v] = -2 ** -k; continue }\nimport \"lib/u.weft\" as u",
            "x = a ? b : c or not d and e in f..<g | h ^ i & j << k + l * m ** n\n  .o(p)[q]",
        ]
        if let grammar = try? GrammarTests.grammarText() {
            seeds += GrammarTests.snippets(in: grammar).map(\.source)
        }
        var rng = RNG(state: 0x5EED)
        for _ in 0..<2_000 {
            var chars = Array(rng.pick(seeds).unicodeScalars)
            for _ in 0..<(1 + rng.below(4)) where !chars.isEmpty {
                let i = rng.below(chars.count)
                switch rng.below(4) {
                case 0: chars.remove(at: i)
                case 1: chars.insert(chars[rng.below(chars.count)], at: i)
                case 2: chars.swapAt(i, rng.below(chars.count))
                default:
                    let s = rng.pick(Self.vocabulary).unicodeScalars
                    chars.insert(contentsOf: s, at: i)
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: chars)
            check(text)
        }
    }

    func testPathologicalInputs() {
        let inputs = [
            String(repeating: "\"", count: 10_001),
            String(repeating: "\"\"\"", count: 1_001),
            String(repeating: "\\(", count: 5_000),
            String(repeating: ")", count: 20_000),
            String(repeating: "}", count: 20_000),
            String(repeating: "\n", count: 50_000),
            String(repeating: "1e ", count: 20_000),
            String(repeating: "a.", count: 20_000),
            String(repeating: "fn ", count: 20_000),
            String(repeating: "else ", count: 20_000),
            String(repeating: "x = ", count: 20_000) + "1",
            String(repeating: "a < ", count: 20_000) + "b",
            String(repeating: "\"\\(\"", count: 5_000),
            String(repeating: "let [", count: 10_000),
            String(repeating: "f(k: ", count: 10_000),
            String(repeating: "🙂", count: 20_000),
            "\u{0}\u{1}\u{7F}\u{FEFF}\u{FFFD}",
        ]
        let start = Date()
        for (n, s) in inputs.enumerated() {
            let t0 = Date()
            check(s)
            let dt = Date().timeIntervalSince(t0)
            if dt > 0.5 { print("slow pathological input #\(n): \(dt) s") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "pathological inputs took too long")
    }
}
