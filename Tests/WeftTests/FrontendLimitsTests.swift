import XCTest
import Foundation
@_spi(Fuzzing) @testable import Weft

/// Bad or huge input gives a clear error, never a crash, a hang or quadratic time
/// (issue 7): long chains, deep nesting, many locals, many errors, the step budget.
final class FrontendLimitsTests: XCTestCase {

    /// Runs `body` on a thread with a `kib` KiB stack (as an embedding host might).
    func onThread(stackKiB kib: Int, _ body: @escaping () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let t = Thread { body(); done.signal() }
        t.stackSize = kib << 10
        t.start()
        done.wait()
    }

    /// Evaluates `source`, returning what it printed, or the error report.
    func run(_ source: String, budget: Int? = nil) -> String {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        if let b = budget { interp.stepBudget = b }
        var out = ""
        interp.output = { out += $0 }
        do {
            try interp.eval(source)
            return out
        } catch let e as ScriptError {
            return out + e.report
        } catch {
            return out + "\(error)"
        }
    }

    func allIssues(_ source: String) -> [SyntaxIssue] {
        Interpreter(options: .init(capabilities: [.threads])).check(source)?.issues ?? []
    }

    // MARK: - Long flat chains work

    func testChainsAreFlatNodes() {
        let (program, issues) = Parser.parse("x = a.b(1)[2] + 3 - 4 and c or d\ny = (a + b) + c\nz = a < b + 1")
        XCTAssertEqual(issues, [])
        guard case .assign(_, .chain(let base, let steps, _), _)? = program.first else { return XCTFail() }
        guard case .name("a", _) = base else { return XCTFail() }
        XCTAssertEqual(steps.count, 7)   // .b (1) [2] +3 -4 and-c or-d
        guard case .attr("b") = steps[0], case .call = steps[1], case .index = steps[2],
              case .binary(.add, _) = steps[3], case .binary(.sub, _) = steps[4],
              case .and = steps[5], case .or = steps[6] else { return XCTFail("\(steps)") }
        // A parenthesized chain stays a node of its own (the source's nesting).
        guard case .assign(_, .chain(.chain(_, let inner, _), let outer, _), _) = program[1] else { return XCTFail() }
        XCTAssertEqual(inner.count, 1); XCTAssertEqual(outer.count, 1)
        // A comparison takes whole chains as operands.
        guard case .assign(_, .compare(.lt, .name, .chain(_, let rhs, _), _), _) = program[2] else { return XCTFail() }
        XCTAssertEqual(rhs.count, 1)
    }

    func testLongOperatorChainsCompileAndRun() {
        let n = 40_000
        XCTAssertEqual(run("print(" + Array(repeating: "1", count: n).joined(separator: " + ") + ")"), "\(n)\n")
        XCTAssertEqual(run("print(" + Array(repeating: "true", count: n).joined(separator: " and ") + ")"), "true\n")
        XCTAssertEqual(run("print(" + Array(repeating: "false", count: n).joined(separator: " or ") + ")"), "false\n")
        XCTAssertEqual(run("print(100000" + String(repeating: " - 1", count: n) + ")"), "\(100000 - n)\n")
        XCTAssertEqual(run("print(1" + String(repeating: " * 2 // 2 | 1 ^ 0 & 1 << 0 >> 0 % 7", count: 5_000) + ")"), "1\n")
    }

    func testLongPostfixChainsCompileAndRun() {
        let n = 50_000
        XCTAssertEqual(run("let a = [0]\na[0] = a\nprint(a" + String(repeating: "[0]", count: n) + " is a)"), "true\n")
        XCTAssertEqual(run("fn f() { return f }\nprint(f" + String(repeating: "()", count: n) + " == f)"), "true\n")
        XCTAssertEqual(run("class A { fn init() { self.b = self } }\nlet a = A()\nprint(a" +
                           String(repeating: ".b", count: n) + " is a)"), "true\n")
        XCTAssertEqual(run("let s = \"abc\"\nprint(s" + String(repeating: ".upper()", count: 5_000) + ")"), "ABC\n")
        // An assignment through a long chain.
        XCTAssertEqual(run("let a = [0]\na[0] = a\na" + String(repeating: "[0]", count: n) + " = 5\nprint(a[0])"), "5\n")
    }

    func testLongChainsAreSafeOnASmallStack() {
        // Parsing, compiling and freeing a 50,000-step chain on a 512 KiB thread: the
        // tree is flat, so nothing recurses per step.
        let sources = [
            "x = " + Array(repeating: "a", count: 50_000).joined(separator: " + "),
            "x = a" + String(repeating: ".b", count: 50_000),
            "x = f" + String(repeating: "()", count: 50_000),
            "x = a" + String(repeating: ".b", count: 50_000) + " +",   // a syntax error at the end
        ]
        for s in sources {
            var result = "unset"
            onThread(stackKiB: 512) {
                let e = Interpreter(options: .init(capabilities: [.threads])).check(s)
                result = e.map { "\($0.issues.count) issue(s)" } ?? "ok"
            }
            XCTAssertNotEqual(result, "unset")
        }
    }

    // MARK: - Deep nesting fails cleanly

    static func deepSources(_ n: Int) -> [String: String] {
        [
            "parens": "x = " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n),
            "lists": "x = " + String(repeating: "[", count: n) + String(repeating: "]", count: n),
            "maps": "x = " + String(repeating: "{1: ", count: n) + "1" + String(repeating: "}", count: n),
            "lambdas": "let f = " + String(repeating: "fn() => ", count: n) + "1",
            "lambdaBlocks": "let f = " + String(repeating: "fn() { return ", count: n) + "1" + String(repeating: "}", count: n),
            "ifs": String(repeating: "if true {\n", count: n) + "print(1)\n" + String(repeating: "}\n", count: n),
            "whiles": String(repeating: "while true {\n", count: n) + "break\n" + String(repeating: "}\n", count: n),
            "trys": String(repeating: "try {\n", count: n) + "x()\n" + String(repeating: "} catch e {}\n", count: n),
            "fns": (0..<n).map { "fn f\($0)() {\n" }.joined() + "return 1\n" + String(repeating: "}\n", count: n),
            "classes": String(repeating: "class C {\nfn m() {\n", count: n) + "return 1\n" + String(repeating: "}\n}\n", count: n),
            "calls": "x = " + String(repeating: "f(", count: n) + "1" + String(repeating: ")", count: n),
            "indexes": "x = " + String(repeating: "a[", count: n) + "0" + String(repeating: "]", count: n),
            "unary": "x = " + String(repeating: "- ", count: n) + "1",
            "nots": "x = " + String(repeating: "not ", count: n) + "true",
            "power": "x = " + String(repeating: "2 ** ", count: n) + "1",
            "ternary": "x = " + String(repeating: "c ? 1 : ", count: n) + "2",
            "comprehensions": "x = " + String(repeating: "[y for y in ", count: n) + "[1]" + String(repeating: "]", count: n),
            "interpolation": "x = " + String(repeating: "\"\\(", count: n) + "1" + String(repeating: ")\"", count: n),
            "patterns": "let " + String(repeating: "[", count: n) + "a" + String(repeating: "]", count: n) + " = 1",
            "withItems": "with " + Array(repeating: "a", count: n * 10).joined(separator: ", ") + " {}",
            "comprehensionClauses": "x = [y for y in [1]" + String(repeating: " if y", count: n * 10) + "]",
            "mixed": "x = " + String(repeating: "(1 + [2, {3: f(-", count: n) + "1" + String(repeating: ")}])", count: n),
        ]
    }

    func testDeepNestingIsAClearErrorOnEveryConstruct() {
        for (name, source) in Self.deepSources(5_000) {
            // On a 512 KiB thread: `check` and `eval` parse and compile on the caller's thread.
            var issues: [SyntaxIssue] = []
            var finished = false
            onThread(stackKiB: 512) {
                issues = self.allIssues(source)
                finished = true
            }
            XCTAssertTrue(finished, name)
            let deep = issues.filter { $0.message.contains("nested too deeply") }
            XCTAssertEqual(deep.count, 1, "\(name): \(issues.prefix(3))")
            XCTAssertGreaterThanOrEqual(deep.first?.pos.line ?? 0, 1, name)
        }
    }

    func testNestingUpToTheLimitIsSafeOnASmallStack() {
        // Depths around the parser's limit either compile or give the clear error.
        for n in [50, 100, 150, 199] {
            for (name, source) in Self.deepSources(n) {
                var issues: [SyntaxIssue] = []
                onThread(stackKiB: 512) { issues = self.allIssues(source) }
                for i in issues where i.message.contains("nested") {
                    XCTAssertTrue(i.message.contains("nested too deeply"), "\(name) \(n): \(i.message)")
                }
            }
        }
    }

    func testModerateNestingCompilesAndRuns() {
        XCTAssertEqual(run("print(" + String(repeating: "(", count: 60) + "7" + String(repeating: ")", count: 60) + ")"), "7\n")
        XCTAssertEqual(run("print(len(" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "))"), "1\n")
        XCTAssertEqual(run(String(repeating: "if true {\n", count: 30) + "print(\"deep\")\n" + String(repeating: "}\n", count: 30)), "deep\n")
    }

    // MARK: - Error reports are bounded

    func testReportShowsAtMostTwentyIssuesAndElidesLongLines() throws {
        let source = "let s = \"" + String(repeating: "\\q", count: 10_000) + "\"\n"
        guard let e = Interpreter(options: .init(capabilities: [.threads])).check(source, file: "bad.weft") else { return XCTFail("no error") }
        XCTAssertEqual(e.issues.count, 10_000)
        let report = e.description
        XCTAssertLessThan(report.utf8.count, 10_000)
        let lines = report.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("bad.weft:1:") }.count, SyntaxReport.maxIssues)
        XCTAssertTrue(report.hasSuffix("... and 9980 more errors\n"), String(report.suffix(80)))
        // Each issue: header, source excerpt, caret; the caret sits under a backslash.
        for k in 0..<SyntaxReport.maxIssues {
            let header = lines[3 * k], shown = Array(lines[3 * k + 1]), caret = Array(lines[3 * k + 2])
            XCTAssertTrue(header.contains("syntax error: unknown escape sequence '\\q'"), header)
            XCTAssertLessThanOrEqual(shown.count, 2 + 3 + SyntaxReport.window + 3)
            XCTAssertEqual(caret.last, "^")
            XCTAssertEqual(shown[caret.count - 1], "\\", "issue \(k): \(String(shown))")
        }
    }

    func testLongLineExcerptKeepsTheCaretColumn() {
        let line = Array((String(repeating: "a", count: 500) + "X" + String(repeating: "b", count: 500)).unicodeScalars)
        let (shown, caret) = SyntaxReport.excerpt(line, col: 501)
        XCTAssertTrue(shown.hasPrefix("...") && shown.hasSuffix("..."))
        XCTAssertEqual(Array(shown.unicodeScalars)[caret.unicodeScalars.count], "X")
        // Near the start and the end: one "..." only.
        let (start, c1) = SyntaxReport.excerpt(line, col: 3)
        XCTAssertFalse(start.hasPrefix("...")); XCTAssertTrue(start.hasSuffix("..."))
        XCTAssertEqual(c1, "  ")
        let (end, c2) = SyntaxReport.excerpt(line, col: 1001)
        XCTAssertTrue(end.hasPrefix("...")); XCTAssertFalse(end.hasSuffix("..."))
        XCTAssertEqual(Array(end.unicodeScalars)[c2.unicodeScalars.count], "b")
        // Short lines are shown whole, tabs kept in the caret line.
        let (short, c3) = SyntaxReport.excerpt(Array("\tlet x = = 1".unicodeScalars), col: 10)
        XCTAssertEqual(short, "\tlet x = = 1")
        XCTAssertEqual(c3, "\t        ")
    }

    func testLongMessagesAreClipped() {
        let name = String(repeating: "n", count: 5_000)
        guard let e = Interpreter(options: .init(capabilities: [.threads])).check("\(name) = = 1") else { return XCTFail("no error") }
        XCTAssertLessThan(e.description.utf8.count, 1_000)
    }

    // MARK: - Many locals: linear time, clean limits

    func testManyLocalsCompile() {
        let n = 150_000
        var src = "fn f() {\n"
        for i in 0..<n { src += "  var v\(i) = \(i)\n" }
        src += "  return v0 + v\(n - 1)\n}\nprint(f())\n"
        XCTAssertNil(Interpreter(options: .init(capabilities: [.threads])).check(src))
        XCTAssertEqual(run(src), "\(n - 1)\n")
    }

    func testManyUndeclaredAssignmentsWithManyLocals() {
        // "did you mean" is computed for the first reported issues only.
        var src = "fn f() {\n"
        for i in 0..<20_000 { src += "  var name\(i) = 0\n" }
        for i in 0..<5_000 { src += "  nme\(i) = 1\n" }
        src += "}\n"
        guard let e = Interpreter(options: .init(capabilities: [.threads])).check(src) else { return XCTFail("no error") }
        XCTAssertEqual(e.issues.count, 5_000)
        XCTAssertTrue(e.issues[0].message.contains("did you mean 'name0'"), e.issues[0].message)
    }

    func compileIssues(_ source: String, operandLimit: Int) -> [String] {
        let (program, issues) = Parser.parse(source)
        XCTAssertEqual(issues, [])
        let c = Compiler(file: "t", globals: GlobalTable(), builtins: BuiltinTable.shared, operandLimit: operandLimit)
        do {
            _ = try c.compileProgram(program)
            return []
        } catch let e as CompileError {
            return e.issues.map(\.message)
        } catch {
            return ["\(error)"]
        }
    }

    func testOperandOverflowIsACompileError() {
        // The real limit is 2^24 - 1 (locals, constants, jump targets); a lowered one
        // shows the behaviour without a 200 MB script.
        let locals = "fn f() {\n" + (0..<300).map { "var v\($0) = 1\n" }.joined() + "}\n"
        XCTAssertEqual(compileIssues(locals, operandLimit: 1_000), [])
        let tooMany = compileIssues(locals, operandLimit: 200)
        XCTAssertEqual(tooMany.count, 1)
        XCTAssertTrue(tooMany.first?.contains("function 'f' is too large") ?? false, "\(tooMany)")
        let constants = "let xs = [" + (0..<300).map { "\"s\($0)\"" }.joined(separator: ", ") + "]\n"
        XCTAssertTrue(compileIssues(constants, operandLimit: 200).first?.contains("'<main>' is too large") ?? false)
        let longLoop = "var i = 0\nwhile i < 3 {\n" + String(repeating: "i += 0\n", count: 300) + "i += 1\n}\n"
        XCTAssertTrue(compileIssues(longLoop, operandLimit: 200).first?.contains("too large") ?? false)
        XCTAssertEqual(compileIssues(longLoop, operandLimit: FunctionState.maxOperand), [])
    }

    // MARK: - Step budget (internal; for the fuzz target)

    func testStepBudgetEndsLoopsAndRecursion() {
        XCTAssertTrue(run("while true {}", budget: 1_000).contains("RuntimeError: step budget exhausted"))
        XCTAssertTrue(run("fn f() { return f() }\nf()", budget: 1_000).contains("RuntimeError: step budget exhausted"))
        // Calls the dispatch loop enters inline (exact arity, a method) count too.
        XCTAssertTrue(run("fn f(n) { return f(n + 1) }\nf(0)", budget: 1_000).contains("step budget exhausted"))
        XCTAssertTrue(run("class A { fn f(n) { return self.f(n) } }\nA().f(0)", budget: 1_000)
            .contains("step budget exhausted"))
        XCTAssertTrue(run("for x in range(10 ** 9) {}", budget: 1_000).contains("step budget exhausted"))
        XCTAssertTrue(run("let xs = [y for y in range(10 ** 9)]", budget: 1_000).contains("step budget exhausted"))
        // Catching it does not help: the next jump or call raises it again.
        let stubborn = "var n = 0\nwhile true {\n  try { while true {} } catch e { n += 1 }\n}"
        XCTAssertTrue(run(stubborn, budget: 1_000).contains("step budget exhausted"))
        // Within budget, nothing changes.
        XCTAssertEqual(run("var s = 0\nfor i in range(100) { s += i }\nprint(s)", budget: 1_000), "4950\n")
        XCTAssertEqual(run("var i = 0\nwhile i < 100000 { i += 1 }\nprint(i)"), "100000\n")
    }

    func testStepBudgetAppliesToSpawnedThreads() {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.stepBudget = 1_000
        var out = ""
        var threadErrors = ""
        interp.output = { out += $0 }
        interp.core.threadError = { threadErrors += $0 }
        XCTAssertNoThrow(try interp.eval("""
            let t = spawn(fn() { while true {} })
            try { t.join() } catch e { print("joined:", str(e)) }
            """))
        XCTAssertEqual(out, "joined: RuntimeError: step budget exhausted\n")
        XCTAssertTrue(threadErrors.contains("step budget exhausted"), threadErrors)
    }
}
