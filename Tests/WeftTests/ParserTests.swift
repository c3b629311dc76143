import XCTest
@testable import Weft

// MARK: - S-expression printer (shared by the parser test files)

/// Renders ASTs compactly so tests can state tree shapes: `(+ 1 (* 2 3))`.
enum SExpr {
    static func expr(_ e: Expr) -> String {
        switch e {
        case .nilLit: return "nil"
        case .boolLit(let b, _): return b ? "true" : "false"
        case .intLit(let v, _): return "\(v)"
        case .floatLit(let v, _): return "\(v)"
        case .string(let s, _): return quote(s)
        case .interpolated(let parts, _):
            return "(str " + parts.map { p -> String in
                switch p { case .text(let t): return quote(t); case .expr(let x): return expr(x) }
            }.joined(separator: " ") + ")"
        case .name(let n, _): return n
        case .selfRef: return "self"
        case .superAttr(let n, _): return "super.\(n)"
        case .list(let xs, _): return "[" + xs.map(expr).joined(separator: " ") + "]"
        case .map(let kvs, _): return "{" + kvs.map { "\(expr($0.0)): \(expr($0.1))" }.joined(separator: ", ") + "}"
        case .listComp(let e, let cs, _): return "[" + expr(e) + " " + clauses(cs) + "]"
        case .mapComp(let k, let v, let cs, _): return "{" + expr(k) + ": " + expr(v) + " " + clauses(cs) + "}"
        case .function(let f): return "(fn" + (f.name.map { " " + $0 } ?? "") + " (" + params(f.params) + ") " + block(f.body) + ")"
        case .unary(let op, let x, _): return "(\(op.rawValue) \(expr(x)))"
        case .binary(let op, let a, let b, _): return "(\(op.rawValue) \(expr(a)) \(expr(b)))"
        case .and(let a, let b, _): return "(and \(expr(a)) \(expr(b)))"
        case .or(let a, let b, _): return "(or \(expr(a)) \(expr(b)))"
        case .not(let a, _): return "(not \(expr(a)))"
        case .compare(let op, let a, let b, _): return "(\(op.rawValue) \(expr(a)) \(expr(b)))"
        case .ternary(let c, let a, let b, _): return "(? \(expr(c)) \(expr(a)) \(expr(b)))"
        case .range(let a, let b, let inc, _): return "(\(inc ? "..." : "..<") \(expr(a)) \(expr(b)))"
        case .call(let f, let args, _):
            return "(call \(expr(f))" + args.map { a -> String in
                switch a {
                case .positional(let x): return " " + expr(x)
                case .keyword(let k, let x, _): return " \(k): " + expr(x)
                case .spread(let x): return " ..." + expr(x)
                }
            }.joined() + ")"
        case .index(let a, let i, _): return "(index \(expr(a)) \(expr(i)))"
        case .slice(let a, let lo, let hi, _): return "(slice \(expr(a)) \(lo.map(expr) ?? "_") \(hi.map(expr) ?? "_"))"
        case .attr(let a, let n, _): return "(. \(expr(a)) \(n))"
        }
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func clauses(_ cs: [CompClause]) -> String {
        cs.map { c -> String in
            switch c {
            case .forIn(let ts, let e, _): return "for " + ts.map(target).joined(separator: ", ") + " in " + expr(e)
            case .ifCond(let e): return "if " + expr(e)
            }
        }.joined(separator: " ")
    }

    static func target(_ t: Target) -> String {
        switch t {
        case .name(let n, _): return n
        case .list(let ts, _): return "[" + ts.map(target).joined(separator: " ") + "]"
        }
    }

    static func params(_ ps: [Param]) -> String {
        ps.map { p in (p.isRest ? "..." : "") + p.name + (p.defaultValue.map { "=" + expr($0) } ?? "") }
            .joined(separator: " ")
    }

    static func block(_ ss: [Stmt]) -> String { "{" + ss.map(stmt).joined(separator: "; ") + "}" }

    static func stmt(_ s: Stmt) -> String {
        switch s {
        case .expr(let e, _): return expr(e)
        case .declare(let c, let t, let v, _): return "(\(c ? "let" : "var") \(target(t))\(v.map { " " + expr($0) } ?? ""))"
        case .assign(let t, let v, _): return "(= \(expr(t)) \(expr(v)))"
        case .compound(let op, let t, let v, _): return "(\(op.rawValue)= \(expr(t)) \(expr(v)))"
        case .ifStmt(let bs, let e, _):
            return "(if" + bs.map { " " + expr($0.0) + " " + block($0.1) }.joined() + (e.map { " else " + block($0) } ?? "") + ")"
        case .whileStmt(let c, let b, _): return "(while \(expr(c)) \(block(b)))"
        case .forIn(let ts, let e, let b, _): return "(for " + ts.map(target).joined(separator: ", ") + " in \(expr(e)) \(block(b)))"
        case .breakStmt: return "break"
        case .continueStmt: return "continue"
        case .returnStmt(let e, _): return "(return" + (e.map { " " + expr($0) } ?? "") + ")"
        case .tryStmt(let b, let cs, let f, _):
            return "(try \(block(b))" + cs.map { c in
                " (catch" + (c.binding.map { " " + $0 } ?? "") + (c.kinds.isEmpty ? "" : ": " + c.kinds.map(expr).joined(separator: " | ")) + " " + block(c.body) + ")"
            }.joined() + (f.map { " finally " + block($0) } ?? "") + ")"
        case .throwStmt(let e, _): return "(throw \(expr(e)))"
        case .with(let items, let b, _):
            return "(with " + items.map { expr($0.value) + ($0.binding.map { " as " + $0 } ?? "") }.joined(separator: ", ") + " " + block(b) + ")"
        case .importStmt(let d): return "(import " + (d.path.map(quote) ?? d.module ?? "?") + " as \(d.alias))"
        case .function(let f): return "(fn \(f.name ?? "?") (" + params(f.params) + ") " + block(f.body) + ")"
        case .classDecl(let c):
            return "(class \(c.name)" + (c.superclass.map { " : " + expr($0) } ?? "") + " {"
                + (c.attrs.map { "(\($0.isConst ? "let" : "var") \($0.name) \(expr($0.value)))" }
                    + c.methods.map { "(fn \($0.name ?? "?") (\(params($0.params))) \(block($0.body)))" }).joined(separator: " ") + "})"
        case .block(let b, _): return block(b)
        }
    }

    static func program(_ ss: [Stmt]) -> String { ss.map(stmt).joined(separator: "\n") }
}

/// Parses and returns the S-expression of the program; fails the test on issues.
func sx(_ src: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    let (prog, issues) = Parser.parse(src)
    XCTAssertEqual(issues, [], "unexpected issues for: \(src)", file: file, line: line)
    return SExpr.program(prog)
}

/// Issues reported for `src`, as "line:col: message".
func issues(_ src: String) -> [SyntaxIssue] { Parser.parse(src).issues }

final class ParserTests: XCTestCase {
    func testSmoke() {
        XCTAssertEqual(sx("1 + 2 * 3"), "(+ 1 (* 2 3))")
    }
}

final class ScratchTests: XCTestCase {
    func testDeepOnSmallThread() {
        let cases = [String(repeating: "(", count: 5000), String(repeating: "[", count: 199) + String(repeating: "]", count: 199),
                     String(repeating: "if a {", count: 199), String(repeating: "-", count: 5000) + "1",
                     String(repeating: "f(fn() {", count: 199), String(repeating: "\"\\(", count: 199),
                     String(repeating: "{", count: 300), String(repeating: "a.b(", count: 199),
                     String(repeating: "x ** ", count: 199) + "1", String(repeating: "not ", count: 199) + "1",
                     String(repeating: "fn() => ", count: 199) + "1", String(repeating: "class A { fn f() { ", count: 199)]
        for src in cases {
            print("case \(src.prefix(12))"); fflush(stdout)
            let done = expectation(description: "parse")
            let t = Thread {
                let r = Parser.parse(src)
                print("issues: \(r.issues.count) \(r.issues.first?.message ?? "")")
                done.fulfill()
            }
            t.stackSize = 512 * 1024
            t.start()
            wait(for: [done], timeout: 20)
        }
    }
    func testBig() {
        var s = ""
        let chunk = "fn fib(n) {\n  if n < 2 { return n }\n  return fib(n - 1) + fib(n - 2) # comment\n}\nlet xs = [x * 2 for x in 0..<10 if x % 2 == 0]\nprint(\"fib: \\(fib(20)) and \\(xs)\", sep: ', ')\n"
        while s.utf8.count < 1_000_000 { s += chunk }
        var best = 1e9, bestP = 1e9
        for _ in 0..<7 {
            var t0 = Date()
            let (toks, _) = Lexer.tokenize(s)
            best = min(best, Date().timeIntervalSince(t0))
            t0 = Date()
            let (p, iss) = Parser.parse(s)
            bestP = min(bestP, Date().timeIntervalSince(t0))
            XCTAssert(toks.count > 0 && p.count > 0 && iss.isEmpty)
        }
        print("lex 1MB: \(best) s; parse (incl. lex) \(bestP) s")
    }
    func testScratch() {
        let src = (try? String(contentsOfFile: "/tmp/scratch.weft", encoding: .utf8)) ?? ""
        let (prog, iss) = Parser.parse(src)
        print("=== AST\n" + SExpr.program(prog))
        for i in iss { print("ISSUE \(i.pos): \(i.message)\(i.incomplete ? " [incomplete]" : "")") }
    }
}
