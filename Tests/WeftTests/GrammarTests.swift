import XCTest
@testable import Weft

/// Keeps Grammar/weft.ebnf honest: every example snippet in it parses, every token the
/// lexer knows is spelled in it, and every rule it refers to is defined.
final class GrammarTests: XCTestCase {
    /// Grammar/weft.ebnf, found from this file's real location (symlinks resolved):
    /// <package>/Tests/WeftTests/GrammarTests.swift → <package>/Grammar/weft.ebnf.
    static func grammarURL() -> URL? {
        var candidates: [URL] = []
        let here = URL(fileURLWithPath: #filePath)
        for file in [here.resolvingSymlinksInPath(), here] {
            candidates.append(file.deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Grammar/weft.ebnf"))
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("Grammar/weft.ebnf"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    static func grammarText() throws -> String {
        guard let url = grammarURL() else {
            throw XCTSkip("Grammar/weft.ebnf not found next to the tests")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Every snippet: the text of each `/* example: ... */` comment, with the line it
    /// starts on and its common indentation removed.
    static func snippets(in grammar: String) -> [(line: Int, source: String)] {
        var result: [(Int, String)] = []
        let marker = "/* example:"
        var rest = grammar[...]
        while let open = rest.range(of: marker) {
            guard let close = rest.range(of: "*/", range: open.upperBound..<rest.endIndex) else { break }
            let line = grammar[..<open.lowerBound].filter { $0 == "\n" }.count + 1
            result.append((line, dedent(String(rest[open.upperBound..<close.lowerBound]))))
            rest = rest[close.upperBound...]
        }
        return result
    }

    static func dedent(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // A one-line snippet sits after the marker; a block snippet starts on the next line.
        if let first = lines.first, first.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeFirst() }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        if lines.count == 1 { return lines[0].trimmingCharacters(in: .whitespaces) }
        let indent = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
        return lines.map { String($0.dropFirst(min(indent, $0.prefix(while: { $0 == " " }).count))) }
            .joined(separator: "\n")
    }

    func testEverySnippetParses() throws {
        let grammar = try Self.grammarText()
        let snippets = Self.snippets(in: grammar)
        XCTAssertGreaterThanOrEqual(snippets.count, 40, "the grammar should carry at least 40 examples")
        for (line, source) in snippets {
            XCTAssertFalse(source.isEmpty, "empty example at weft.ebnf:\(line)")
            let (program, issues) = Parser.parse(source)
            XCTAssertEqual(issues.map { "\($0.pos): \($0.message)" }, [],
                           "example at weft.ebnf:\(line) does not parse:\n\(source)")
            XCTAssertFalse(program.isEmpty, "example at weft.ebnf:\(line) parsed to nothing")
        }
    }

    func testSnippetsCoverEveryStatementAndExpressionForm() throws {
        let snippets = Self.snippets(in: try Self.grammarText()).map(\.source)
        var seen = Set<String>()
        func visit(_ s: Stmt) {
            switch s {
            case .expr(let e, _): seen.insert("expr"); visit(e)
            case .declare(let c, let t, let v, _):
                seen.insert(c ? "let" : "var")
                if case .list = t { seen.insert("pattern") }
                v.map(visit)
            case .assign(let t, let v, _): seen.insert("assign"); visit(t); visit(v)
            case .compound(_, let t, let v, _): seen.insert("compound"); visit(t); visit(v)
            case .ifStmt(let bs, let e, _):
                seen.insert(bs.count > 1 ? "elseif" : "if")
                bs.forEach { visit($0.0); $0.1.forEach(visit) }
                e?.forEach(visit)
            case .whileStmt(let c, let b, _): seen.insert("while"); visit(c); b.forEach(visit)
            case .forIn(let ts, let e, let b, _): seen.insert(ts.count == 2 ? "for2" : "for"); visit(e); b.forEach(visit)
            case .breakStmt: seen.insert("break")
            case .continueStmt: seen.insert("continue")
            case .returnStmt(let e, _): seen.insert(e == nil ? "return" : "returnValue"); e.map(visit)
            case .tryStmt(let b, let cs, let f, _):
                seen.insert("try"); b.forEach(visit); cs.forEach { $0.body.forEach(visit) }
                if f != nil { seen.insert("finally") }
                f?.forEach(visit)
            case .throwStmt(let e, _): seen.insert("throw"); visit(e)
            case .with(let items, let b, _): seen.insert("with"); items.forEach { visit($0.value) }; b.forEach(visit)
            case .importStmt(let d): seen.insert(d.path == nil ? "importModule" : "importPath")
            case .function(let f): seen.insert("fnDecl"); f.body.forEach(visit)
            case .classDecl(let c):
                seen.insert("class")
                if c.superclass != nil { seen.insert("superclass") }
                c.methods.forEach { $0.body.forEach(visit) }
                c.attrs.forEach { visit($0.value) }
            case .block(let b, _): seen.insert("block"); b.forEach(visit)
            }
        }
        func visit(_ e: Expr) {
            switch e {
            case .nilLit: seen.insert("nil")
            case .boolLit: seen.insert("bool")
            case .intLit: seen.insert("int")
            case .floatLit: seen.insert("float")
            case .string: seen.insert("string")
            case .bytesLit: seen.insert("bytes")
            case .interpolated(let ps, _):
                seen.insert("interpolated")
                for p in ps { if case .expr(let x) = p { visit(x) } }
            case .name: seen.insert("name")
            case .selfRef: seen.insert("self")
            case .superAttr: seen.insert("super")
            case .list(let xs, _): seen.insert("list"); xs.forEach(visit)
            case .map(let kvs, _): seen.insert("map"); kvs.forEach { visit($0.0); visit($0.1) }
            case .listComp(let x, let cs, _): seen.insert("listComp"); visit(x); visit(cs)
            case .mapComp(let k, let v, let cs, _): seen.insert("mapComp"); visit(k); visit(v); visit(cs)
            case .function(let f): seen.insert("fnExpr"); f.body.forEach(visit)
            case .unary(let op, let x, _): seen.insert("unary" + op.rawValue); visit(x)
            case .not(let x, _): seen.insert("not"); visit(x)
            case .compare(let op, let a, let b, _): seen.insert(op.rawValue); visit(a); visit(b)
            case .ternary(let c, let a, let b, _): seen.insert("ternary"); visit(c); visit(a); visit(b)
            case .range(let a, let b, let inc, _): seen.insert(inc ? "..." : "..<"); visit(a); visit(b)
            case .chain(let base, let steps, _):
                visit(base)
                for step in steps {
                    switch step {
                    case .binary(let op, let b): seen.insert(op.rawValue); visit(b)
                    case .and(let b): seen.insert("and"); visit(b)
                    case .or(let b): seen.insert("or"); visit(b)
                    case .call(let args):
                        seen.insert("call")
                        for a in args {
                            switch a {
                            case .positional(let x): visit(x)
                            case .keyword(_, let x, _): seen.insert("keywordArg"); visit(x)
                            case .spread(let x): seen.insert("spread"); visit(x)
                            }
                        }
                    case .index(let i): seen.insert("index"); visit(i)
                    case .slice: seen.insert("slice")
                    case .attr: seen.insert("attr")
                    }
                }
            }
        }
        func visit(_ cs: [CompClause]) {
            for c in cs {
                switch c {
                case .forIn(let ts, let e, _): seen.insert(ts.count == 2 ? "compFor2" : "compFor"); visit(e)
                case .ifCond(let e): seen.insert("compIf"); visit(e)
                }
            }
        }
        for s in snippets { Parser.parse(s).program.forEach(visit) }
        let required = ["expr", "let", "var", "pattern", "assign", "compound", "if", "elseif", "while", "for",
                        "for2", "break", "continue", "return", "returnValue", "try", "finally", "throw", "with",
                        "importModule", "importPath", "fnDecl", "class", "superclass", "block",
                        "nil", "bool", "int", "float", "string", "bytes", "interpolated", "name", "self", "super", "list",
                        "map", "listComp", "mapComp", "compFor", "compFor2", "compIf", "fnExpr", "unary-", "unary~", "and", "or", "not", "ternary",
                        "...", "..<", "call", "keywordArg", "spread", "index", "slice", "attr"]
            + ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"]
            + ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"]
        for r in required {
            XCTAssert(seen.contains(r), "no grammar example uses \(r)")
        }
    }

    func testGrammarSpellsEveryToken() throws {
        let grammar = try Self.grammarText()
        for kind in TokenKind.allCases {
            guard let spelling = kind.spelling else { continue }
            XCTAssert(grammar.contains("'\(spelling)'") || grammar.contains("\"\(spelling)\""),
                      "weft.ebnf never mentions \(spelling)")
        }
    }

    func testEveryReferencedRuleIsDefined() throws {
        let grammar = try Self.grammarText()
        var defined = Set<String>()
        var referenced: [String: Int] = [:]
        // Strip comments first.
        var text = ""
        var rest = grammar[...]
        rest = Substring(grammar.replacingOccurrences(of: "#x[0-9A-Fa-f]+", with: " ", options: .regularExpression))
        while let open = rest.range(of: "/*") {
            text += rest[..<open.lowerBound]
            guard let close = rest.range(of: "*/", range: open.upperBound..<rest.endIndex) else { rest = ""; break }
            text += String(repeating: "\n", count: rest[open.lowerBound..<close.upperBound].filter { $0 == "\n" }.count)
            rest = rest[close.upperBound...]
        }
        text += rest
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var body = Substring(line)
            if let def = line.range(of: "::=") {
                let name = line[..<def.lowerBound].trimmingCharacters(in: .whitespaces)
                XCTAssert(name.allSatisfy { $0.isLetter || $0 == "_" }, "odd rule name '\(name)'")
                XCTAssertFalse(defined.contains(name), "rule \(name) defined twice")
                defined.insert(name)
                body = line[def.upperBound...]
            }
            // Identifiers outside quotes and character classes are rule references.
            var word = ""
            var quote: Character?
            var inClass = false
            for ch in body + " " {
                if let q = quote { if ch == q { quote = nil }; continue }
                if inClass { if ch == "]" { inClass = false }; continue }
                if ch.isLetter || ch == "_" || (!word.isEmpty && ch.isNumber) {
                    word.append(ch)
                    continue
                }
                if !word.isEmpty {
                    referenced[word, default: n + 1] = n + 1
                    word = ""
                }
                if ch == "'" || ch == "\"" { quote = ch }
                if ch == "[" { inClass = true }
            }
        }
        for (name, line) in referenced where !defined.contains(name) {
            XCTFail("weft.ebnf:\(line) refers to undefined rule \(name)")
        }
        // Every rule is reachable from Program, or is a documented token class.
        let tokenRoots: Set<String> = ["Program", "Keyword", "Punctuation"]
        for name in defined where referenced[name] == nil && !tokenRoots.contains(name) {
            XCTFail("rule \(name) is never used")
        }
    }

    func testSnippetExtraction() {
        let text = "A ::= B\n/* example: let x = 1 */\n/* example:\n    if a {\n      b\n    }\n*/"
        let s = Self.snippets(in: text)
        XCTAssertEqual(s.map(\.source), ["let x = 1", "if a {\n  b\n}"])
        XCTAssertEqual(s.map(\.line), [2, 3])
    }
}
