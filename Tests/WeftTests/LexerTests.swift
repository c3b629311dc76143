import XCTest
@testable import Weft

/// Token kinds of `src`, without the final `.eof`.
private func kinds(_ src: String) -> [TokenKind] {
    let toks = Lexer.tokenize(src).tokens
    XCTAssertEqual(toks.last?.kind, .eof)
    return toks.dropLast().map(\.kind)
}

private func lex(_ src: String) -> (tokens: [Token], issues: [SyntaxIssue]) {
    let r = Lexer.tokenize(src)
    return (Array(r.tokens.dropLast()), r.issues)
}

/// The single token of `src` (fails unless there is exactly one and no issue).
private func single(_ src: String, file: StaticString = #filePath, line: UInt = #line) -> Token? {
    let (toks, issues) = lex(src)
    XCTAssertEqual(issues, [], "issues lexing \(src)", file: file, line: line)
    XCTAssertEqual(toks.count, 1, "tokens of \(src): \(toks.map(\.kind))", file: file, line: line)
    return toks.first
}

final class LexerTests: XCTestCase {
    // MARK: Token kinds

    func testPunctuationAndOperators() {
        XCTAssertEqual(kinds("( ) [ ] { } , . : ; ? => ... ..<"),
                       [.lparen, .rparen, .lbracket, .rbracket, .lbrace, .rbrace, .comma, .dot, .colon,
                        .semicolon, .question, .arrow, .ellipsis, .rangeExcl])
        XCTAssertEqual(kinds("+ - * / // % ** & | ^ ~ << >>"),
                       [.plus, .minus, .star, .slash, .slashSlash, .percent, .starStar, .amp, .pipe, .caret,
                        .tilde, .shl, .shr])
        XCTAssertEqual(kinds("== != < <= > >= ="), [.eqEq, .bangEq, .lt, .le, .gt, .ge, .assign])
        XCTAssertEqual(kinds("+= -= *= /= //= %= **= &= |= ^= <<= >>="),
                       [.plusEq, .minusEq, .starEq, .slashEq, .slashSlashEq, .percentEq, .starStarEq,
                        .ampEq, .pipeEq, .caretEq, .shlEq, .shrEq])
        // Maximal munch without spaces.
        XCTAssertEqual(kinds("a**=b//c<<=d"), [.identifier, .starStarEq, .identifier, .slashSlash, .identifier, .shlEq, .identifier])
    }

    func testEveryKeyword() {
        let all = "and as break catch class continue else false finally fn for if import in is let nil not or return self super throw true try var while with"
        let expected: [TokenKind] = [.kwAnd, .kwAs, .kwBreak, .kwCatch, .kwClass, .kwContinue, .kwElse, .kwFalse,
                                     .kwFinally, .kwFn, .kwFor, .kwIf, .kwImport, .kwIn, .kwIs, .kwLet, .kwNil,
                                     .kwNot, .kwOr, .kwReturn, .kwSelf, .kwSuper, .kwThrow, .kwTrue, .kwTry,
                                     .kwVar, .kwWhile, .kwWith]
        // `else`, `catch`, `finally` after a newline would drop it; here all on one line.
        XCTAssertEqual(kinds(all), expected)
        XCTAssertEqual(TokenKind.keywords.count, 28)
        // Near-keywords are identifiers.
        XCTAssertEqual(kinds("lets iff Fn nil_ _if classy wit"), Array(repeating: .identifier, count: 7))
    }

    func testIdentifiers() {
        let t = lex("_x x1 café ñandú 变量 Δt x_ü").tokens
        XCTAssertEqual(t.map(\.text), ["_x", "x1", "café", "ñandú", "变量", "Δt", "x_ü"])
        XCTAssert(t.allSatisfy { $0.kind == .identifier })
        // Columns count Unicode scalars.
        XCTAssertEqual(t.map(\.col), [1, 4, 7, 12, 18, 21, 24])
    }

    // MARK: Positions

    func testPositions() {
        let t = lex("let x = 1\n  foo(x)\n").tokens
        let spots = t.map { "\($0.kind):\($0.line):\($0.col)" }
        XCTAssertEqual(spots, ["kwLet:1:1", "identifier:1:5", "assign:1:7", "int:1:9", "newline:1:10",
                               "identifier:2:3", "lparen:2:6", "identifier:2:7", "rparen:2:8", "newline:2:9"])
    }

    func testPositionsAfterMultibyteAndTabs() {
        let t = lex("\"é🙂\" + x\n\tb").tokens
        XCTAssertEqual(t[1].col, 6)  // quote, é, 🙂, quote, space → '+' at 6
        XCTAssertEqual(t[2].col, 8)
        XCTAssertEqual(t[4].line, 2)
        XCTAssertEqual(t[4].col, 2)  // a tab is one column
    }

    func testPositionsAfterTripleQuotedString() {
        let t = lex("x = \"\"\"\nab\ncd\"\"\" + y").tokens
        XCTAssertEqual(t[2].kind, .string)
        XCTAssertEqual(t[2].text, "ab\ncd")
        XCTAssertEqual(t[3].kind, .plus)
        XCTAssertEqual(t[3].pos, SourcePos(3, 7))
    }

    func testEOFPosition() {
        XCTAssertEqual(Lexer.tokenize("").tokens.last?.pos, SourcePos(1, 1))
        XCTAssertEqual(Lexer.tokenize("ab + ").tokens.last?.pos, SourcePos(1, 5))
        XCTAssertEqual(Lexer.tokenize("ab\n\n").tokens.last?.pos, SourcePos(1, 3))
    }

    // MARK: Comments and newlines

    func testComments() {
        XCTAssertEqual(kinds("#!/usr/bin/env weft\nx # note\n# whole line\ny"), [.identifier, .newline, .identifier])
        XCTAssertEqual(kinds("# only a comment"), [])
    }

    func testNewlinesCollapseAndLeadingDropped() {
        XCTAssertEqual(kinds("\n\n a \n\n\n b \n"), [.identifier, .newline, .identifier, .newline])
        XCTAssertEqual(kinds("a;b"), [.identifier, .semicolon, .identifier])
        XCTAssertEqual(kinds("a\r\nb"), [.identifier, .newline, .identifier])
    }

    func testNewlineDroppedAfterContinuationTokens() {
        for op in ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=",
                   ">", ">=", "=", "+=", ",", ".", ":", "?", "=>", "and", "or", "not", "in", "is", "..<", "..."] {
            XCTAssertFalse(kinds("a \(op)\n b").contains(.newline), "newline after \(op)")
        }
        // ... but not after tokens that can end a statement.
        for end in [")", "]", "}", "x", "1", "\"s\"", "return", "break", "nil", "self"] {
            XCTAssertTrue(kinds("\(end)\nb").contains(.newline), "newline after \(end)")
        }
    }

    func testNewlineDroppedBeforeDotElseCatchFinally() {
        XCTAssertEqual(kinds("a\n  .b\n  .c()"), [.identifier, .dot, .identifier, .dot, .identifier, .lparen, .rparen])
        XCTAssertEqual(kinds("}\nelse"), [.rbrace, .kwElse])
        XCTAssertEqual(kinds("}\n\n catch"), [.rbrace, .kwCatch])
        XCTAssertEqual(kinds("} # c\nfinally"), [.rbrace, .kwFinally])
        // A range operator at the start of a line is not a method chain.
        XCTAssertEqual(kinds("a\n...b"), [.identifier, .newline, .ellipsis, .identifier])
    }

    // MARK: Numbers

    func testIntegers() {
        XCTAssertEqual(single("42")?.intValue, 42)
        XCTAssertEqual(single("0")?.intValue, 0)
        XCTAssertEqual(single("1_000_000")?.intValue, 1_000_000)
        XCTAssertEqual(single("0xff")?.intValue, 255)
        XCTAssertEqual(single("0XFF")?.intValue, 255)
        XCTAssertEqual(single("0o17")?.intValue, 15)
        XCTAssertEqual(single("0b1010")?.intValue, 10)
        XCTAssertEqual(single("0b1010_1010")?.intValue, 170)
        XCTAssertEqual(single("9223372036854775807")?.intValue, Int.max)
        XCTAssertEqual(single("0x7fffffffffffffff")?.intValue, Int.max)
        XCTAssertEqual(single("42")?.kind, .int)
    }

    func testIntegerOverflow() {
        for src in ["9223372036854775809", "99999999999999999999", "0xffffffffffffffff", "0x1_0000_0000_0000_0000"] {
            let (toks, issues) = lex(src)
            XCTAssertEqual(issues.count, 1, src)
            XCTAssertEqual(issues.first?.pos, SourcePos(1, 1))
            XCTAssert(issues.first?.message.contains("too large") ?? false, src)
            XCTAssertEqual(toks.map(\.kind), [.int])
        }
        // 2^63 lexes (flagged) so that `-9223372036854775808` can be Int.min.
        let t = single("9223372036854775808")
        XCTAssertEqual(t?.isMinMagnitude, true)
    }

    func testFloats() {
        XCTAssertEqual(single("1.5")?.floatValue, 1.5)
        XCTAssertEqual(single("1e9")?.floatValue, 1e9)
        XCTAssertEqual(single("2.5e-3")?.floatValue, 2.5e-3)
        XCTAssertEqual(single("1E+2")?.floatValue, 100)
        XCTAssertEqual(single("1_000.25")?.floatValue, 1000.25)
        XCTAssertEqual(single("0.1")?.kind, .float)
    }

    func testRangesOfIntsAreNotFloats() {
        XCTAssertEqual(kinds("1..<3"), [.int, .rangeExcl, .int])
        XCTAssertEqual(kinds("1...3"), [.int, .ellipsis, .int])
        XCTAssertEqual(kinds("1.5...2.5"), [.float, .ellipsis, .float])
        XCTAssertEqual(kinds("x.0"), [.identifier, .float])  // (and an issue: see below)
        XCTAssertEqual(kinds("1.abs()"), [.int, .dot, .identifier, .lparen, .rparen])
    }

    func testLeadingPointFloatIsAnError() {
        let (toks, issues) = lex("x = .5")
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.pos, SourcePos(1, 5))
        XCTAssert(issues.first?.message.contains("0.5") ?? false)
        XCTAssertEqual(toks.last?.kind, .float)
        XCTAssertFalse(issues.first?.incomplete ?? true)
    }

    func testMalformedNumbers() {
        let cases: [(String, Int)] = [("12abc", 3), ("0x", 1), ("0b102", 5), ("1_", 2), ("1e", 2), ("1e+", 2),
                                      ("0o8", 3)]
        for (src, col) in cases {
            let issues = lex(src).issues
            XCTAssertEqual(issues.count, 1, "\(src): \(issues)")
            XCTAssertEqual(issues.first?.pos.col, Int32(col), src)
        }
    }

    // MARK: Strings

    func testStrings() {
        XCTAssertEqual(single("\"hi\"")?.text, "hi")
        XCTAssertEqual(single("'hi'")?.text, "hi")
        XCTAssertEqual(single("\"it's\"")?.text, "it's")
        XCTAssertEqual(single("'say \"x\"'")?.text, "say \"x\"")
        XCTAssertEqual(single("\"\"")?.text, "")
        XCTAssertEqual(single("\"\"")?.kind, .string)
    }

    func testEscapes() {
        XCTAssertEqual(single(#""a\nb\tc\rd\0e\\f\"g\'h""#)?.text, "a\nb\tc\rd\0e\\f\"g'h")
        XCTAssertEqual(single(#""\u{1F600}\u{41}\u{e9}""#)?.text, "😀Aé")
    }

    func testBadEscapes() {
        let cases: [(String, Int32)] = [(#"x = "ab\qc""#, 8), (#""\u{110000}""#, 2), (#""\u123""#, 2),
                                        (#""\u{}""#, 2), (#""a\ b""#, 3)]
        for (src, col) in cases {
            let (toks, issues) = lex(src)
            XCTAssertEqual(issues.count, 1, "\(src): \(issues)")
            XCTAssertEqual(issues.first?.pos.col, col, src)
            XCTAssertFalse(issues.first?.incomplete ?? true)
            XCTAssertEqual(toks.last?.kind, .string, src)
        }
        XCTAssert(lex(#""ab\qc""#).issues[0].message.contains("\\q"))
    }

    func testTripleQuoted() {
        XCTAssertEqual(single("\"\"\"\nline 1\n  line 2\n\"\"\"")?.text, "line 1\n  line 2\n")
        XCTAssertEqual(single("'''a 'quoted' \"x\" b'''")?.text, "a 'quoted' \"x\" b")
        XCTAssertEqual(single("\"\"\"one \"two\" \"\"three\"\"\"")?.text, "one \"two\" \"\"three")
        XCTAssertEqual(single("\"\"\"\"\"\"")?.text, "")
        XCTAssertEqual(single("\"\"\"\r\nx\"\"\"")?.text, "x")
        XCTAssertEqual(single("\"\"\"tab\\tend\"\"\"")?.text, "tab\tend")
    }

    func testUnterminatedStrings() {
        var (toks, issues) = lex("x = \"abc")
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.pos, SourcePos(1, 5))
        XCTAssertEqual(issues.first?.incomplete, true)
        XCTAssertEqual(toks.last?.kind, .string)

        (toks, issues) = lex("x = \"\"\"abc\ndef")
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.pos, SourcePos(1, 5))
        XCTAssertEqual(issues.first?.incomplete, true)

        // A one-line string that hits the end of its line is a real error.
        (toks, issues) = lex("x = 'abc\ny = 2")
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.pos, SourcePos(1, 5))
        XCTAssertEqual(issues.first?.incomplete, false)
        XCTAssertEqual(toks.map(\.kind), [.identifier, .assign, .string, .newline, .identifier, .assign, .int])
    }

    func testInterpolationTokens() {
        let (toks, issues) = lex(#""a \(x + 1) b \(y) c""#)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(toks.map(\.kind), [.interpBegin, .identifier, .plus, .int, .interpMid, .identifier, .interpEnd])
        XCTAssertEqual(toks.map(\.text), ["a ", "x", "", "", " b ", "y", " c"])
        XCTAssertEqual(toks[1].pos, SourcePos(1, 6))
        XCTAssertEqual(toks[4].pos, SourcePos(1, 11))  // at the ')'
    }

    func testInterpolationWithNestedQuotesAndParens() {
        let (toks, issues) = lex(#""a \("b" + 'c' + f(g("\(1)"))) d""#)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(toks.first?.kind, .interpBegin)
        XCTAssertEqual(toks.last?.kind, .interpEnd)
        XCTAssertEqual(toks.last?.text, " d")
        XCTAssertEqual(toks.filter { $0.kind == .interpBegin }.count, 2)
    }

    func testInterpolationInTripleQuoted() {
        let (toks, issues) = lex("\"\"\"\nhi \\(name)\n\"\"\"")
        XCTAssertEqual(issues, [])
        XCTAssertEqual(toks.map(\.kind), [.interpBegin, .identifier, .interpEnd])
        XCTAssertEqual(toks.map(\.text), ["hi ", "name", "\n"])
        XCTAssertEqual(toks[1].pos, SourcePos(2, 6))
    }

    // MARK: Errors

    func testUnexpectedCharacters() {
        let (toks, issues) = lex("a $ b @ !c ..d")
        XCTAssertEqual(issues.map(\.pos.col), [3, 7, 9, 12])
        XCTAssertEqual(toks.map(\.kind), [.identifier, .identifier, .identifier, .ellipsis, .identifier])
        XCTAssert(issues[2].message.contains("not"))
    }

    func testNonLetterUnicodeOutsideStrings() {
        let issues = lex("x = 🙂").issues
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.pos, SourcePos(1, 5))
        XCTAssert(issues.first?.message.contains("U+1F642") ?? false)
    }

    func testBOMIsSkipped() {
        XCTAssertEqual(kinds("\u{FEFF}x"), [.identifier])
        XCTAssertEqual(Lexer.tokenize("\u{FEFF}x").tokens[0].col, 1)
    }

    func testLexerSpeed() {
        // Not a benchmark, a guard against accidental quadratic behaviour.
        let line = "let value_\(1) = compute(alpha, \"text \\(beta)\", 0x1f, 2.5e3) # comment\n"
        let src = String(repeating: line, count: 5_000)
        let longLine = String(repeating: "a + ", count: 50_000) + "a"
        let start = Date()
        XCTAssertGreaterThan(Lexer.tokenize(src).tokens.count, 50_000)
        XCTAssertEqual(Lexer.tokenize(longLine).tokens.count, 100_002)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }
}
