import XCTest
@testable import Weft

// MARK: - S-expression printer (shared by the parser test files)

/// Renders ASTs compactly so tests can state tree shapes: `(+ 1 (* 2 3))`.
fileprivate enum SExpr {
    static func expr(_ e: Expr) -> String {
        switch e {
        case .nilLit: return "nil"
        case .boolLit(let b, _): return b ? "true" : "false"
        case .intLit(let v, _): return "\(v)"
        case .floatLit(let v, _): return "\(v)"
        case .bytesLit(let b, _): return "b" + quote(String(decoding: b, as: UTF8.self))
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
        case .not(let a, _): return "(not \(expr(a)))"
        case .compare(let op, let a, let b, _): return "(\(op.rawValue) \(expr(a)) \(expr(b)))"
        case .ternary(let c, let a, let b, _): return "(? \(expr(c)) \(expr(a)) \(expr(b)))"
        case .range(let a, let b, let inc, _): return "(\(inc ? "..." : "..<") \(expr(a)) \(expr(b)))"
        case .chain(let base, let steps, _):
            // Rendered as the nested tree it stands for: ((base step1) step2) ...
            var out = expr(base)
            for step in steps {
                switch step {
                case .binary(let op, let b): out = "(\(op.rawValue) \(out) \(expr(b)))"
                case .and(let b): out = "(and \(out) \(expr(b)))"
                case .or(let b): out = "(or \(out) \(expr(b)))"
                case .call(let args):
                    out = "(call \(out)" + args.map { a -> String in
                        switch a {
                        case .positional(let x): return " " + expr(x)
                        case .keyword(let k, let x, _): return " \(k): " + expr(x)
                        case .spread(let x): return " ..." + expr(x)
                        }
                    }.joined() + ")"
                case .index(let i): out = "(index \(out) \(expr(i)))"
                case .slice(let lo, let hi): out = "(slice \(out) \(lo.map(expr) ?? "_") \(hi.map(expr) ?? "_"))"
                case .attr(let n): out = "(. \(out) \(n))"
                }
            }
            return out
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
fileprivate func sx(_ src: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    let (prog, issues) = Parser.parse(src)
    XCTAssertEqual(issues, [], "unexpected issues for: \(src)", file: file, line: line)
    return SExpr.program(prog)
}


/// The S-expression of a single expression statement.
fileprivate func ex(_ src: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    sx(src, file: file, line: line)
}

/// The issues of `src` rendered as "line:col message" (+ " [incomplete]").
fileprivate func issueList(_ src: String) -> [String] {
    Parser.parse(src).issues.map { "\($0.pos) \($0.message)" + ($0.incomplete ? " [incomplete]" : "") }
}

/// The first issue of `src` (fails if there is none).
fileprivate func firstIssue(_ src: String, file: StaticString = #filePath, line: UInt = #line) -> SyntaxIssue? {
    let i = Parser.parse(src).issues
    XCTAssertFalse(i.isEmpty, "expected an issue for: \(src)", file: file, line: line)
    return i.first
}

final class ParserTests: XCTestCase {
    // MARK: - Literals

    func testLiterals() {
        XCTAssertEqual(ex("42"), "42")
        XCTAssertEqual(ex("0xff"), "255")
        XCTAssertEqual(ex("1_000"), "1000")
        XCTAssertEqual(ex("1.5"), "1.5")
        XCTAssertEqual(ex("2.5e-3"), "0.0025")
        XCTAssertEqual(ex("true"), "true")
        XCTAssertEqual(ex("false"), "false")
        XCTAssertEqual(ex("nil"), "nil")
        XCTAssertEqual(ex("self"), "self")
        XCTAssertEqual(ex("\"hi\""), "\"hi\"")
        XCTAssertEqual(ex("'hi'"), "\"hi\"")
        XCTAssertEqual(ex("\"\"\"\nmulti\nline\"\"\""), "\"multi\\nline\"")
        XCTAssertEqual(ex("xs"), "xs")
        XCTAssertEqual(ex("-9223372036854775808"), "-9223372036854775808")
        XCTAssertEqual(ex("9223372036854775807"), "9223372036854775807")
    }

    func testIntMinOnlyWhenNegatedDirectly() {
        XCTAssertNotNil(firstIssue("9223372036854775808"))
        XCTAssertNotNil(firstIssue("-9223372036854775808 ** 2"))
        XCTAssertNotNil(firstIssue("x = 9223372036854775808 - 1"))
        XCTAssertEqual(ex("-9223372036854775808 + 1"), "(+ -9223372036854775808 1)")
    }

    func testListsAndMaps() {
        XCTAssertEqual(ex("[]"), "[]")
        XCTAssertEqual(ex("[1, 2, 3]"), "[1 2 3]")
        XCTAssertEqual(ex("[1, 2,]"), "[1 2]")
        XCTAssertEqual(ex("x = {}"), "(= x {})")
        XCTAssertEqual(ex("x = {\"a\": 1, 2: \"b\",}"), "(= x {\"a\": 1, 2: \"b\"})")
        XCTAssertEqual(ex("x = {k: v}"), "(= x {k: v})")
        XCTAssertEqual(ex("({\"a\": 1})"), "{\"a\": 1}")
        XCTAssertEqual(ex("[[1], [2, [3]]]"), "[[1] [2 [3]]]")
    }

    func testComprehensions() {
        XCTAssertEqual(ex("[x * 2 for x in xs]"), "[(* x 2) for x in xs]")
        XCTAssertEqual(ex("[x for x in xs if x > 0]"), "[x for x in xs if (> x 0)]")
        XCTAssertEqual(ex("[a + b for a in xs for b in ys if a != b if b]"),
                       "[(+ a b) for a in xs for b in ys if (!= a b) if b]")
        XCTAssertEqual(ex("[k for k, v in m]"), "[k for k, v in m]")
        XCTAssertEqual(ex("[a for [a, b] in pairs]"), "[a for [a b] in pairs]")
        XCTAssertEqual(ex("m = {k: v * 2 for k, v in items if v}"), "(= m {k: (* v 2) for k, v in items if v})")
        XCTAssertEqual(ex("[x\n  for x in xs\n  if x]"), "[x for x in xs if x]")
        XCTAssertEqual(ex("[x for x in a if x in b]"), "[x for x in a if (in x b)]")
    }

    func testStringInterpolation() {
        XCTAssertEqual(ex(#""a \(x) b""#), #"(str "a " x " b")"#)
        XCTAssertEqual(ex(#""\(x)""#), "(str x)")
        XCTAssertEqual(ex(#""\(a)\(b)""#), "(str a b)")
        XCTAssertEqual(ex(#""a \("b" + 'c') d""#), #"(str "a " (+ "b" "c") " d")"#)
        XCTAssertEqual(ex(#""x \(f(1, "y \(z)")) w""#), #"(str "x " (call f 1 (str "y " z)) " w")"#)
        XCTAssertEqual(ex(#"'\(m["k"])'"#), #"(str (index m "k"))"#)
        XCTAssertEqual(ex("\"\"\"\nHello \\(name)!\n\"\"\""), #"(str "Hello " name "!\n")"#)
        XCTAssertEqual(ex("'''\\(a ? b : c)'''"), "(str (? a b c))")
        // A string without interpolation stays a plain string.
        XCTAssertEqual(ex(#""no \\(interp)""#), #""no \\(interp)""#)
    }

    func testInterpolationPositions() {
        let (prog, issues) = Parser.parse("x = 1\nprint(\"ab \\(foo + bar) c\")")
        XCTAssertEqual(issues, [])
        guard case .expr(.chain(_, let steps, _), _)? = prog.last, case .call(let args)? = steps.first,
              case .positional(.interpolated(let parts, let strPos))? = args.first,
              parts.count == 3, case .expr(.chain(let l, let plus, _)) = parts[1],
              case .binary(_, let r)? = plus.first else {
            return XCTFail("unexpected shape")
        }
        XCTAssertEqual(strPos, SourcePos(2, 7))
        XCTAssertEqual(l.pos, SourcePos(2, 13))
        XCTAssertEqual(r.pos, SourcePos(2, 19))
        // Errors inside an interpolation are reported at their place in the file.
        XCTAssertEqual(firstIssue("y = 2\nprint(\"a \\(1 +) b\")")?.pos, SourcePos(2, 15))
    }

    func testFunctionExpressions() {
        XCTAssertEqual(ex("f = fn(x) => x + 1"), "(= f (fn (x) {(return (+ x 1))}))")
        XCTAssertEqual(ex("f = fn() { return 1 }"), "(= f (fn () {(return 1)}))")
        XCTAssertEqual(ex("f = fn(a, b = 2, ...rest) {}"), "(= f (fn (a b=2 ...rest) {}))")
        XCTAssertEqual(ex("fn(x) { x }(3)"), "(call (fn (x) {x}) 3)")
        XCTAssertEqual(ex("f(fn(x) => x * 2, 3)"), "(call f (fn (x) {(return (* x 2))}) 3)")
        XCTAssertEqual(ex("g = fn(x) => fn(y) => x + y"), "(= g (fn (x) {(return (fn (y) {(return (+ x y))}))}))")
        XCTAssertEqual(ex("spawn(fn() {\n  a()\n  b()\n}, name: \"w\")"), "(call spawn (fn () {(call a); (call b)}) name: \"w\")")
    }

    func testSelfAndSuper() {
        XCTAssertEqual(ex("self.x"), "(. self x)")
        XCTAssertEqual(ex("super.init(1)"), "(call super.init 1)")
        XCTAssertEqual(firstIssue("super(1)")?.pos, SourcePos(1, 6))
        XCTAssertEqual(firstIssue("x = super")?.pos, SourcePos(1, 10))
    }

    // MARK: - Precedence, one level at a time

    func testPrecedenceLevels() {
        // 1 ternary < 2 or
        XCTAssertEqual(ex("a or b ? c : d"), "(? (or a b) c d)")
        XCTAssertEqual(ex("a ? b : c ? d : e"), "(? a b (? c d e))")
        XCTAssertEqual(ex("a ? b ? c : d : e"), "(? a (? b c d) e)")
        // 2 or < 3 and
        XCTAssertEqual(ex("a or b and c"), "(or a (and b c))")
        XCTAssertEqual(ex("a and b or c"), "(or (and a b) c)")
        XCTAssertEqual(ex("a or b or c"), "(or (or a b) c)")
        // 3 and < 4 not
        XCTAssertEqual(ex("not a and not b"), "(and (not a) (not b))")
        XCTAssertEqual(ex("not not a"), "(not (not a))")
        // 4 not < 5 comparisons
        XCTAssertEqual(ex("not a == b"), "(not (== a b))")
        XCTAssertEqual(ex("not x in xs"), "(not (in x xs))")
        // 5 comparisons < 6 ranges
        XCTAssertEqual(ex("i in 0..<n"), "(in i (..< 0 n))")
        XCTAssertEqual(ex("a ... b == c"), "(== (... a b) c)")
        // 6 ranges < 7 |
        XCTAssertEqual(ex("a | b ..< c | d"), "(..< (| a b) (| c d))")
        // 7 | < 8 ^ < 9 & < 10 shifts
        XCTAssertEqual(ex("a | b ^ c & d << e"), "(| a (^ b (& c (<< d e))))")
        XCTAssertEqual(ex("a << b & c ^ d | e"), "(| (^ (& (<< a b) c) d) e)")
        // 10 shifts < 11 + -
        XCTAssertEqual(ex("a << b + c"), "(<< a (+ b c))")
        XCTAssertEqual(ex("a >> b - c"), "(>> a (- b c))")
        // 11 + - < 12 * / // %
        XCTAssertEqual(ex("a + b * c - d / e"), "(- (+ a (* b c)) (/ d e))")
        XCTAssertEqual(ex("a - b // c % d"), "(- a (% (// b c) d))")
        // 12 < 13 unary
        XCTAssertEqual(ex("-a * -b"), "(* (- a) (- b))")
        XCTAssertEqual(ex("~a % b"), "(% (~ a) b)")
        // 13 unary < 14 **
        XCTAssertEqual(ex("-2 ** 2"), "(- (** 2 2))")
        XCTAssertEqual(ex("2 ** -1"), "(** 2 (- 1))")
        XCTAssertEqual(ex("2 ** 3 ** 2"), "(** 2 (** 3 2))")
        XCTAssertEqual(ex("2 ** -x ** 2"), "(** 2 (- (** x 2)))")
        XCTAssertEqual(ex("a * b ** c"), "(* a (** b c))")
        XCTAssertEqual(ex("2 ** 3 * 4"), "(* (** 2 3) 4)")
        // 14 ** < 15 postfix
        XCTAssertEqual(ex("a.b ** c[0]"), "(** (. a b) (index c 0))")
        XCTAssertEqual(ex("-f(x)"), "(- (call f x))")
        XCTAssertEqual(ex("-a.b"), "(- (. a b))")
        // parentheses override
        XCTAssertEqual(ex("(a + b) * c"), "(* (+ a b) c)")
        XCTAssertEqual(ex("(-2) ** 2"), "(** (- 2) 2)")
        XCTAssertEqual(ex("(a < b) == c"), "(== (< a b) c)")
    }

    func testLeftAssociativity() {
        XCTAssertEqual(ex("a - b - c"), "(- (- a b) c)")
        XCTAssertEqual(ex("a / b / c"), "(/ (/ a b) c)")
        XCTAssertEqual(ex("a << b << c"), "(<< (<< a b) c)")
        XCTAssertEqual(ex("a & b & c"), "(& (& a b) c)")
    }

    func testComparisonOperators() {
        XCTAssertEqual(ex("a == b"), "(== a b)")
        XCTAssertEqual(ex("a != b"), "(!= a b)")
        XCTAssertEqual(ex("a <= b"), "(<= a b)")
        XCTAssertEqual(ex("a >= b"), "(>= a b)")
        XCTAssertEqual(ex("a > b"), "(> a b)")
        XCTAssertEqual(ex("a in b"), "(in a b)")
        XCTAssertEqual(ex("a not in b"), "(not in a b)")
        XCTAssertEqual(ex("a is b"), "(is a b)")
        XCTAssertEqual(ex("a is not b"), "(is not a b)")
        XCTAssertEqual(ex("a < b and b < c"), "(and (< a b) (< b c))")
    }

    func testChainedComparisonIsAnError() {
        for src in ["a < b < c", "a == b == c", "a < b == c", "x in a in b", "a is b is c", "a != b not in c"] {
            let i = firstIssue(src)
            XCTAssert(i?.message.contains("cannot be chained") ?? false, src)
            XCTAssert(i?.message.contains("'and'") ?? false, src)
            XCTAssertEqual(i?.incomplete, false)
        }
        XCTAssertEqual(firstIssue("x = a < b < c")?.pos, SourcePos(1, 11))
        XCTAssertNotNil(firstIssue("0..<1..<2"))
    }

    func testNotPlacement() {
        XCTAssertNotNil(firstIssue("a == not b"))
        XCTAssertNotNil(firstIssue("1 + not b"))
        XCTAssertEqual(ex("a == (not b)"), "(== a (not b))")
        XCTAssertNotNil(firstIssue("a not b"))
    }

    func testPostfix() {
        XCTAssertEqual(ex("f()"), "(call f)")
        XCTAssertEqual(ex("f(a, k: v, ...xs)"), "(call f a k: v ...xs)")
        XCTAssertEqual(ex("f(...xs, k: 1)"), "(call f ...xs k: 1)")
        XCTAssertEqual(ex("f(a,)"), "(call f a)")
        XCTAssertEqual(ex("a[i]"), "(index a i)")
        XCTAssertEqual(ex("a[i:j]"), "(slice a i j)")
        XCTAssertEqual(ex("a[:j]"), "(slice a _ j)")
        XCTAssertEqual(ex("a[i:]"), "(slice a i _)")
        XCTAssertEqual(ex("a[:]"), "(slice a _ _)")
        XCTAssertEqual(ex("a[-1:n - 1]"), "(slice a (- 1) (- n 1))")
        XCTAssertEqual(ex("a.b.c(1)[2].d"), "(. (index (call (. (. a b) c) 1) 2) d)")
        XCTAssertEqual(ex("f(a)(b)"), "(call (call f a) b)")
        XCTAssertEqual(ex("\"s\".upper()"), "(call (. \"s\" upper))")
        XCTAssertEqual(ex("1.abs()"), "(call (. 1 abs))")
        XCTAssertEqual(ex("f(c ? a : b, k: x ? 1 : 2)"), "(call f (? c a b) k: (? x 1 2))")
    }

    func testArgumentErrors() {
        XCTAssertEqual(firstIssue("f(k: 1, 2)")?.pos, SourcePos(1, 9))
        XCTAssert(firstIssue("f(k: 1, 2)")?.message.contains("positional") ?? false)
        XCTAssertEqual(ex("f(k: 1, ...xs)"), "(call f k: 1 ...xs)")
        XCTAssertNotNil(firstIssue("f(1 2)"))
    }

    func testMethodChainsAcrossLines() {
        XCTAssertEqual(sx("xs\n  .map(f)\n  .filter(g)\ny"), "(call (. (call (. xs map) f) filter) g)\ny")
        XCTAssertEqual(sx("q.put(1)\n  # comment\n  .get()"), "(call (. (call (. q put) 1) get))")
    }

    func testNewlinesInsideBracketsAndAfterOperators() {
        XCTAssertEqual(sx("f(\n  1,\n  2\n)"), "(call f 1 2)")
        XCTAssertEqual(sx("x = [\n  1,\n  2,\n]"), "(= x [1 2])")
        XCTAssertEqual(sx("x = {\n  \"a\": 1,\n\n  \"b\": 2\n}"), "(= x {\"a\": 1, \"b\": 2})")
        XCTAssertEqual(sx("x = a +\n  b *\n  c"), "(= x (+ a (* b c)))")
        XCTAssertEqual(sx("x = a and\n  b"), "(= x (and a b))")
        XCTAssertEqual(sx("x =\n  1"), "(= x 1)")
        XCTAssertEqual(sx("x = (a\n  + b)"), "(= x (+ a b))")
        XCTAssertEqual(sx("x = c ?\n a :\n b"), "(= x (? c a b))")
        // Outside brackets a newline ends the statement.
        XCTAssertEqual(sx("x = a\n-b"), "(= x a)\n(- b)")
    }

    func testBlocksInsideCallsUseStatementNewlines() {
        let src = """
        spawn(fn() {
          let a = 1
          var b
          b = a +
            2
          print(a, b)
        })
        x = 3
        """
        XCTAssertEqual(sx(src), "(call spawn (fn () {(let a 1); (var b); (= b (+ a 2)); (call print a b)}))\n(= x 3)")
        XCTAssertEqual(sx("f([fn() { a\n b }, 2])"), "(call f [(fn () {a; b}) 2])")
        XCTAssertEqual(sx("m = {\"k\": fn() {\n a\n b\n}}"), "(= m {\"k\": (fn () {a; b})})")
    }

    // MARK: - Statements

    func testDeclarations() {
        XCTAssertEqual(sx("let x = 1"), "(let x 1)")
        XCTAssertEqual(sx("var y"), "(var y)")
        XCTAssertEqual(sx("var y = 2"), "(var y 2)")
        XCTAssertEqual(sx("let [a, [b, c]] = pair"), "(let [a [b c]] pair)")
        XCTAssertEqual(sx("var [a, b,] = xs"), "(var [a b] xs)")
        XCTAssertEqual(firstIssue("let x")?.pos, SourcePos(1, 6))
        XCTAssertEqual(firstIssue("let x\ny = 1")?.message.contains("needs a value"), true)
        XCTAssertNotNil(firstIssue("var [a, b]"))
        XCTAssertNotNil(firstIssue("let [] = x"))
        XCTAssertNotNil(firstIssue("let 1 = x"))
        XCTAssertNotNil(firstIssue("let if = 3"))
    }

    func testAssignments() {
        XCTAssertEqual(sx("y = 2; y += 3"), "(= y 2)\n(+= y 3)")
        XCTAssertEqual(sx("xs[0] = 1; obj.f = 2"), "(= (index xs 0) 1)\n(= (. obj f) 2)")
        let ops = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"]
        for op in ops {
            XCTAssertEqual(sx("a \(op)= b"), "(\(op)= a b)")
        }
        XCTAssertEqual(sx("a.b[c].d -= f(x)"), "(-= (. (index (. a b) c) d) (call f x))")
    }

    func testInvalidAssignmentTargets() {
        let cases = ["f() = 1": "function call", "1 = x": "literal", "a + b = c": "operator",
                     "a[1:2] = x": "slice", "self = x": "'self'", "[a, b] = xs": "list", "a < b = c": "comparison",
                     "f() += 1": "function call"]
        for (src, what) in cases {
            let i = firstIssue(src)
            XCTAssert(i?.message.contains("cannot assign to") ?? false, src)
            XCTAssert(i?.message.contains(what) ?? false, "\(src): \(i?.message ?? "")")
            XCTAssertEqual(i?.pos, SourcePos(1, 1), src)
        }
        XCTAssertNotNil(firstIssue("a = b = c"))
        XCTAssertNotNil(firstIssue("f(a = 1)"))
    }

    func testIf() {
        XCTAssertEqual(sx("if c { a }"), "(if c {a})")
        XCTAssertEqual(sx("if c { a } else { b }"), "(if c {a} else {b})")
        XCTAssertEqual(sx("if c { a } else if d { b } else if e { } else { f }"), "(if c {a} d {b} e {} else {f})")
        XCTAssertEqual(sx("if c {\n  a\n}\nelse if d {\n  b\n}\nelse {\n  f\n}"), "(if c {a} d {b} else {f})")
        XCTAssertEqual(sx("if a and\n   b { }"), "(if (and a b) {})")
        XCTAssert(firstIssue("if x = 1 { }")?.message.contains("==") ?? false)
        XCTAssertNotNil(firstIssue("if x\n{ }"))
        XCTAssertNotNil(firstIssue("else { }"))
        XCTAssertEqual(issueList("x = 1\nelse { }"), ["2:1 'else' without a matching 'if'"])
    }

    func testLoops() {
        XCTAssertEqual(sx("while i < 10 { i += 1 }"), "(while (< i 10) {(+= i 1)})")
        XCTAssertEqual(sx("for x in xs { print(x) }"), "(for x in xs {(call print x)})")
        XCTAssertEqual(sx("for k, v in m { }"), "(for k, v in m {})")
        XCTAssertEqual(sx("for i, x in enumerate(xs) { }"), "(for i, x in (call enumerate xs) {})")
        XCTAssertEqual(sx("for [a, b] in pairs { }"), "(for [a b] in pairs {})")
        XCTAssertEqual(sx("for i in 0..<n { if i { break }; continue }"), "(for i in (..< 0 n) {(if i {break}); continue})")
        XCTAssertNotNil(firstIssue("for a, b, c in xs { }"))
        XCTAssertNotNil(firstIssue("for x xs { }"))
        XCTAssertNotNil(firstIssue("for 1 in xs { }"))
    }

    func testReturn() {
        XCTAssertEqual(sx("fn f() { return }"), "(fn f () {(return)})")
        XCTAssertEqual(sx("fn f() { return; }"), "(fn f () {(return)})")
        XCTAssertEqual(sx("fn f() {\n  return\n  x\n}"), "(fn f () {(return); x})")
        XCTAssertEqual(sx("fn f() { return x + 1 }"), "(fn f () {(return (+ x 1))})")
        XCTAssertEqual(sx("return"), "(return)")
    }

    func testTryCatchThrow() {
        XCTAssertEqual(sx("try { a() } catch e { b }"), "(try {(call a)} (catch e {b}))")
        XCTAssertEqual(sx("try { } catch e: Empty | Timeout { } catch e { } finally { }"),
                       "(try {} (catch e: Empty | Timeout {}) (catch e {}) finally {})")
        XCTAssertEqual(sx("try { } finally { f() }"), "(try {} finally {(call f)})")
        XCTAssertEqual(sx("try { } catch e: mod.Err | Other { }"), "(try {} (catch e: (. mod Err) | Other {}))")
        XCTAssertEqual(sx("try {\n  a\n}\ncatch e {\n  b\n}\nfinally {\n  c\n}"), "(try {a} (catch e {b}) finally {c})")
        XCTAssertEqual(sx("try { } catch { }"), "(try {} (catch {}))")
        XCTAssertEqual(sx("throw ValueError(\"bad\")"), "(throw (call ValueError \"bad\"))")
        XCTAssert(firstIssue("try { }\nx = 1")?.message.contains("'catch' or 'finally'") ?? false)
        XCTAssertEqual(firstIssue("try { } catch e { } catch e: A { }")?.pos, SourcePos(1, 21))
        XCTAssertNotNil(firstIssue("catch e { }"))
        XCTAssertNotNil(firstIssue("try { } catch e: { }"))
    }

    func testWith() {
        XCTAssertEqual(sx("with m { }"), "(with m {})")
        XCTAssertEqual(sx("with a, b as f { g(f) }"), "(with a, b as f {(call g f)})")
        XCTAssertEqual(sx("with lock_all(a, b) as l, open(p) as f { }"), "(with (call lock_all a b) as l, (call open p) as f {})")
        XCTAssertNotNil(firstIssue("with a as { }"))
    }

    func testImport() {
        XCTAssertEqual(sx("import \"lib/util.weft\" as util"), "(import \"lib/util.weft\" as util)")
        XCTAssertEqual(sx("import \"lib/util.weft\""), "(import \"lib/util.weft\" as util)")
        XCTAssertEqual(sx("import \"helpers\""), "(import \"helpers\" as helpers)")
        XCTAssertEqual(sx("import json"), "(import json as json)")
        XCTAssertEqual(sx("import json as j"), "(import json as j)")
        let (prog, _) = Parser.parse("import json\nimport \"a/b.weft\"")
        if case .importStmt(let d)? = prog.first {
            XCTAssertEqual(d.module, "json"); XCTAssertNil(d.path); XCTAssertEqual(d.pos, SourcePos(1, 1))
        } else { XCTFail() }
        if case .importStmt(let d)? = prog.last {
            XCTAssertEqual(d.path, "a/b.weft"); XCTAssertNil(d.module); XCTAssertEqual(d.alias, "b")
        } else { XCTFail() }
        XCTAssert(firstIssue("import \"my-lib.weft\"")?.message.contains("as name") ?? false)
        XCTAssertNotNil(firstIssue("import \"a\\(b).weft\""))
        XCTAssertNotNil(firstIssue("import 3"))
    }

    func testFunctionDeclarations() {
        XCTAssertEqual(sx("fn area(w, h = w) { return w * h }"), "(fn area (w h=w) {(return (* w h))})")
        XCTAssertEqual(sx("fn log(fmt, ...rest) { }"), "(fn log (fmt ...rest) {})")
        XCTAssertEqual(sx("fn sq(x) => x * x"), "(fn sq (x) {(return (* x x))})")
        XCTAssertEqual(sx("fn f(\n  a,\n  b\n) {\n}"), "(fn f (a b) {})")
        XCTAssertEqual(sx("fn() { }()"), "(call (fn () {}))")
        XCTAssertEqual(firstIssue("fn f(a, b, a) { }")?.pos, SourcePos(1, 12))
        XCTAssert(firstIssue("fn f(a, a) { }")?.message.contains("duplicate") ?? false)
        XCTAssertEqual(firstIssue("fn f(...a, b) { }")?.pos, SourcePos(1, 12))
        XCTAssertNotNil(firstIssue("fn f(...a, ...b) { }"))
        XCTAssertNotNil(firstIssue("fn f(...a = 1) { }"))
        XCTAssertNotNil(firstIssue("fn f(1) { }"))
        XCTAssertNotNil(firstIssue("fn f() return 1"))
        XCTAssertNotNil(firstIssue("x = fn g() { }"))
    }

    func testClasses() {
        XCTAssertEqual(sx("class P { }"), "(class P {})")
        XCTAssertEqual(sx("class Oops : Error {}"), "(class Oops : Error {})")
        XCTAssertEqual(sx("class L : mod.Base { fn m() {} let a = 1; var b = 2 }"),
                       "(class L : (. mod Base) {(let a 1) (var b 2) (fn m () {})})")
        let src = """
        class Counter {
          let shared = lock()
          var count
          fn init(start = 0) { self.value = start }

          fn incr(by = 1) {
            with self.guard { self.value += by }
          }
        }
        """
        XCTAssertEqual(sx(src), "(class Counter {(let shared (call lock)) (var count nil) (fn init (start=0) {(= (. self value) start)}) (fn incr (by=1) {(with (. self guard) {(+= (. self value) by)})})})")
        XCTAssertNotNil(firstIssue("class A { x = 1 }"))
        XCTAssertNotNil(firstIssue("class A { let x }"))
        XCTAssertNotNil(firstIssue("class A { fn() {} }"))
        XCTAssertNotNil(firstIssue("class { }"))
        XCTAssertNotNil(firstIssue("class A : { }"))
        XCTAssertEqual(sx("class A { fn f() {} fn g() {} }"), "(class A {(fn f () {}) (fn g () {})})")
        XCTAssertNotNil(firstIssue("class A { let a = 1 let b = 2 }"))  // members need separators
    }

    func testBlocksAndSeparators() {
        XCTAssertEqual(sx("{ a; b }"), "{a; b}")
        XCTAssertEqual(sx("{\n  let x = 1\n}"), "{(let x 1)}")
        XCTAssertEqual(sx("{}"), "{}")
        XCTAssertEqual(sx(";;a;;b;"), "a\nb")
        XCTAssertEqual(sx("if a { b } ; c"), "(if a {b})\nc")
        XCTAssertNotNil(firstIssue("a b"))
        XCTAssertEqual(sx("if a { } b()"), "(if a {})\n(call b)")  // a block's '}' ends its statement
        XCTAssertEqual(sx("while a { b } c = 1"), "(while a {b})\n(= c 1)")
        XCTAssertNotNil(firstIssue("x = {} y"))
        XCTAssertNotNil(firstIssue("{ \"a\": 1 }"))  // a map literal at statement start needs parentheses
    }

    // MARK: - Positions

    func testNodePositions() {
        let (prog, issues) = Parser.parse("let x = 1\n  foo(a, k: b)\nif x { y = -z }")
        XCTAssertEqual(issues, [])
        XCTAssertEqual(prog.map(\.pos), [SourcePos(1, 1), SourcePos(2, 3), SourcePos(3, 1)])
        if case .expr(.chain(let f, let steps, let p), _) = prog[1], case .call(let args)? = steps.first {
            XCTAssertEqual(p, SourcePos(2, 3))
            XCTAssertEqual(f.pos, SourcePos(2, 3))
            if case .keyword(_, let v, let kp) = args[1] {
                XCTAssertEqual(kp, SourcePos(2, 10)); XCTAssertEqual(v.pos, SourcePos(2, 13))
            } else { XCTFail() }
        } else { XCTFail() }
        if case .ifStmt(let branches, _, _) = prog[2], case .assign(let t, let v, let p)? = branches.first?.1.first {
            XCTAssertEqual(p, SourcePos(3, 8)); XCTAssertEqual(t.pos, SourcePos(3, 8)); XCTAssertEqual(v.pos, SourcePos(3, 12))
        } else { XCTFail() }
    }

    func testFunctionAndParamPositions() {
        let (prog, _) = Parser.parse("\n  fn f(a, ...b) => a")
        guard case .function(let f)? = prog.first else { return XCTFail() }
        XCTAssertEqual(f.pos, SourcePos(2, 3))
        XCTAssertEqual(f.params.map(\.pos), [SourcePos(2, 8), SourcePos(2, 14)])
        XCTAssertEqual(f.body.first?.pos, SourcePos(2, 20))
    }

    // MARK: - Errors: positions and messages

    func testErrorPositions() {
        XCTAssertEqual(firstIssue("x = \"abc")?.pos, SourcePos(1, 5))          // unterminated string
        XCTAssertEqual(firstIssue("x = \"a\\qb\"")?.pos, SourcePos(1, 7))       // bad escape, at the backslash
        XCTAssertEqual(firstIssue("x = .5")?.pos, SourcePos(1, 5))              // .5
        XCTAssertEqual(firstIssue("if a < b < c { }")?.pos, SourcePos(1, 10))   // chained comparison
        XCTAssertEqual(firstIssue("a + = 2")?.pos, SourcePos(1, 5))             // a + = 2
        XCTAssertEqual(firstIssue("fn f() {\n  x = 1\n")?.pos, SourcePos(2, 8)) // missing }
    }

    func testErrorMessages() {
        XCTAssertEqual(issueList("a + = 2"), ["1:5 expected an expression after '+', found '='"])
        XCTAssertEqual(issueList("f(a,\n  b"), ["2:4 expected ',' or ')' to close '(' at 1:2, found end of input [incomplete]"])
        XCTAssertEqual(issueList("fn f() {\n  x = 1"), ["2:8 expected '}' to close '{' at 1:8, found end of input [incomplete]"])
        XCTAssertEqual(issueList("if x\n  y()"), ["1:5 expected '{' after the if condition, found end of line"])
        XCTAssertEqual(issueList("x = (1 + 2\ny = 3"), ["2:1 expected ')' to close '(' at 1:5, found name 'y'"])
        XCTAssertEqual(issueList("x = [1 2]"), ["1:8 expected ',' or ']' to close '[' at 1:5, found number 2"])
        XCTAssertEqual(issueList("let = 3"), ["1:5 expected a name or a '[...]' pattern, found '='"])
        XCTAssertEqual(issueList("let class = 3"), ["1:5 expected a name or a '[...]' pattern, found keyword 'class' (a keyword cannot be used as a name)"])
        XCTAssertEqual(issueList(")"), ["1:1 expected an expression, found ')'"])
        XCTAssertEqual(issueList("}"), ["1:1 unexpected '}' with no matching '{'"])
        XCTAssertEqual(issueList("x = \"abc\" \"def\""), ["1:11 expected a newline or ';' after the statement, found string \"def\""])
    }

    // MARK: - Incomplete input (REPL continuation)

    func testIncompleteInputs() {
        for src in ["fn f() {", "[1, 2", "\"abc", "\"\"\"abc", "1 +", "f(", "x = {", "if a {\n b", "let x =",
                    "x.", "try { }", "class A {", "\"a \\(b", "'''\nabc\n", "while x {\n  if y {\n", "a ?", "a ? b :",
                    "import", "f(a,\n", "for x in", "x = [\n  1,\n"] {
            let issues = Parser.parse(src).issues
            XCTAssertFalse(issues.isEmpty, src)
            XCTAssert(issues.allSatisfy(\.incomplete), "\(src): \(issues)")
            XCTAssertEqual(issues.count, 1, "\(src): \(issues)")
        }
    }

    func testCompleteOrGenuineErrorsAreNotIncomplete() {
        for src in ["1 + * 2", ")", "]", "}", "a b", "x = 'abc\n", "if x\n", "1 + * (2", "f(1 2", "let x = .5", "\"\\q\""] {
            let issues = Parser.parse(src).issues
            XCTAssertFalse(issues.isEmpty, src)
            XCTAssertFalse(issues.first?.incomplete ?? true, "\(src): \(issues)")
        }
        for src in ["if x { }", "x = 1\n", "fn f() { }", "f(\n)"] {
            XCTAssertEqual(Parser.parse(src).issues, [], src)
        }
    }

    // MARK: - Recovery

    func testReportsEveryErrorOnSeparateLines() {
        let src = """
        let a = 1 +* 2
        print(a)
        let b = (3
        var c = [1, 2]
        c = 4 5
        fn ok() { return 1 }
        """
        let issues = Parser.parse(src).issues
        XCTAssertEqual(issues.map(\.pos.line), [1, 4, 5], "\(issues)")
        XCTAssert(issues.allSatisfy { !$0.incomplete })
    }

    func testRecoveryInsideBlocksKeepsGoing() {
        let src = """
        fn f() {
          x = 1 +
          y = )
          z = 3
        }
        class C {
          fn g( { }
          let ok = 1
          junk
        }
        w = [1,
        2 3]
        print("done")
        """
        let (prog, issues) = Parser.parse(src)
        XCTAssertEqual(issues.map(\.pos.line), [3, 7, 9, 12], "\(issues)")
        XCTAssertEqual(SExpr.stmt(prog.last!), "(call print \"done\")")
    }

    func testRecoveryAfterUnclosedBracketAtStatementColumn() {
        let issues = Parser.parse("foo(1, 2\nbar()\nlet z = (\nbaz()\n").issues
        XCTAssertEqual(issues.map(\.pos.line), [2, 4], "\(issues)")
    }

    func testRecoveryDoesNotEatTheEnclosingBlocksBrace() {
        let src = "fn f() {\n    x = foo(1,\n    y = 2\n}\nfn g() {\n  z = foo(1 +* 2\n}\nok()"
        let (prog, issues) = Parser.parse(src)
        XCTAssertEqual(issues.map(\.pos.line), [3, 6], "\(issues)")
        XCTAssertEqual(prog.count, 3)
    }

    func testGenuineErrorMakesNothingIncomplete() {
        let issues = Parser.parse("x = 1 +* 2\nfoo(").issues
        XCTAssertEqual(issues.count, 2)
        XCTAssert(issues.allSatisfy { !$0.incomplete })
        XCTAssertFalse(Parser.parse("\"\\q").issues.contains { $0.incomplete })
    }

    func testOneIssueForManyUnclosedBlocks() {
        let issues = Parser.parse("fn f() {\n if a {\n  while b {\n").issues
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.incomplete, true)
    }

    func testIssuesAreSortedAndLexerIssuesIncluded() {
        let issues = Parser.parse("x = 'a\\q'\ny = )\nz = 0b12").issues
        XCTAssertEqual(issues.map(\.pos), [SourcePos(1, 7), SourcePos(2, 5), SourcePos(3, 8)])
    }

    // MARK: - Limits

    func testNestingLimit() {
        let deep = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        let issues = Parser.parse(deep).issues
        XCTAssertEqual(issues.count, 1)
        XCTAssert(issues.first?.message.contains("nested too deeply") ?? false)
        // Reasonable nesting is fine.
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        XCTAssertEqual(Parser.parse(ok).issues, [])
        let blocks = String(repeating: "if a {\n", count: 60) + String(repeating: "}\n", count: 60)
        XCTAssertEqual(Parser.parse(blocks).issues, [])
    }

    func testDeepInputOnSmallThread() {
        let sources = [
            String(repeating: "(", count: 50_000),
            String(repeating: "[", count: 50_000),
            String(repeating: "{", count: 50_000),
            String(repeating: "-", count: 50_000) + "1",
            String(repeating: "not ", count: 50_000) + "x",
            String(repeating: "if a {", count: 5_000),
            String(repeating: "f(fn() {", count: 5_000),
            String(repeating: "\"\\(", count: 5_000),
            String(repeating: "x ** ", count: 5_000) + "1",
            String(repeating: "fn() => ", count: 5_000) + "1",
            String(repeating: "class A { fn f() { ", count: 2_000),
            String(repeating: "let [", count: 5_000),
            String(repeating: "a ? ", count: 5_000),
            String(repeating: "{1: ", count: 5_000),
            String(repeating: "x[", count: 5_000),
            String(repeating: "try { ", count: 5_000),
        ]
        for src in sources {
            let done = expectation(description: "parsed")
            let t = Thread {
                let r = Parser.parse(src)
                XCTAssertFalse(r.issues.isEmpty)
                done.fulfill()
            }
            t.stackSize = 512 * 1024
            t.start()
            wait(for: [done], timeout: 30)
        }
    }
}
