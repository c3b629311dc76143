import XCTest
@testable import Weft

/// Robustness: mutated real programs go through the parser and the compiler and
/// must end in a prototype or reported issues — never a trap or a hang.
final class CompilerFuzzTests: XCTestCase {
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    }

    func conformanceSources() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Conformance")
        var out: [String] = []
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let u = e?.nextObject() as? URL {
            if u.pathExtension == "weft", let s = try? String(contentsOf: u, encoding: .utf8) { out.append(s) }
        }
        return out.sorted()
    }

    func mutate(_ source: String, _ rng: inout SplitMix) -> String {
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return source }
        for _ in 0...rng.below(3) {
            let i = rng.below(lines.count), j = rng.below(lines.count)
            switch rng.below(5) {
            case 0: lines.remove(at: i); if lines.isEmpty { lines = [""] }
            case 1: lines.swapAt(i, j)
            case 2: lines.insert(lines[i], at: j)
            case 3:
                var scalars = Array(lines[i].unicodeScalars)
                if !scalars.isEmpty { scalars.remove(at: rng.below(scalars.count)) }
                lines[i] = String(String.UnicodeScalarView(scalars))
            default:
                let tokens = ["{", "}", "(", ")", "[", "]", "fn", "let x = ", "return", ",", "=", "+=", "class", "break", "super.x", "self", "...", "\"", "\\(", "try", "catch e", "with", "for i in"]
                lines[i] += " " + tokens[rng.below(tokens.count)]
            }
        }
        return lines.joined(separator: "\n")
    }

    func testMutatedProgramsCompileOrReportIssues() throws {
        var rng = SplitMix(state: 0xC0FFEE)
        var compiled = 0, rejected = 0
        for source in try conformanceSources() {
            for _ in 0..<12 {
                let text = mutate(source, &rng)
                let (program, issues) = Parser.parse(text)
                if !issues.isEmpty { rejected += 1; continue }
                let compiler = Compiler(file: "<fuzz>", globals: GlobalTable(), builtins: BuiltinTable.shared)
                do {
                    _ = try compiler.compileProgram(program)
                    compiled += 1
                } catch let e as CompileError {
                    XCTAssertFalse(e.issues.isEmpty)
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(compiled, 100)
        XCTAssertGreaterThan(rejected, 100)
    }
}
