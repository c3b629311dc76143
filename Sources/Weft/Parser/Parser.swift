// The parser: tokens in, `[Stmt]` out (§3–§5 of LANGUAGE.md; Grammar/weft.ebnf is the
// same grammar written as EBNF — keep the two in step).
//
// Structure
//  - `Parser.parse` is the one entry point. It never traps and never hangs: errors are
//    thrown as `ParseError` up to the nearest statement loop, recorded, and the parser
//    skips to the next statement boundary (`recover`), so every statement gets a chance.
//  - Expressions are parsed by a Pratt parser driven by `PrattParser.rules`, a table of
//    {prefix, infix, precedence} per token kind (ExpressionRules.swift).
//  - Statements are recursive descent (Statements.swift).
//
// Newline significance
//  The lexer already drops newlines that obviously continue a line (after an operator,
//  `,`, `=`, `.`; before `.`, `else`, `catch`, `finally`). The rest depends on where we
//  are, so the parser keeps a mode stack: opening `(`, `[`, a map literal's `{` or a
//  string interpolation pushes "ignore newlines"; a block's `{` (statement blocks,
//  function bodies — also those of a function expression inside a call — and class
//  bodies) pushes "newlines separate statements". While the top mode ignores newlines,
//  `advance()` steps over them, so the grammar rules never see them. Each closer pops
//  its mode before stepping past itself, so the token after it is read in the outer mode.
//
// Limits
//  Nesting (operator operands, brackets, blocks, patterns) is capped at `maxDepth`
//  levels, and the stack used since `Parser.parse` began is capped at `stackBudget`
//  (what an unoptimized build reaches first), so hostile input cannot overflow the stack
//  even on a 512 KiB thread. Either limit yields one "expression nested too deeply" issue.
//  Left-associative operators and postfix forms (`a + b + c`, `f(x).y[0]`) do not nest:
//  they extend one flat `Expr.chain` node, so chains of any length cost no depth.
//
// Incomplete input
//  An issue is `incomplete` when it was found at the end of input (`.eof`): an open
//  bracket, block or string, a trailing operator, a statement cut short. A trailing
//  newline counts: "if x\n" is a plain error (the `{` cannot come on the next line),
//  while "if x" is incomplete. If any issue is a real error, none is incomplete.

/// The public entry point used by the compiler, the REPL and `weft --check`.
enum Parser {
    /// Parses a whole program. Never traps, never hangs, on any input.
    /// Recovers after an error (skips to the next statement boundary) so every error is
    /// reported. Issues come sorted by position. An issue has `incomplete == true` when
    /// the parser ran into the end of the input (an open bracket, block, string or an
    /// unfinished statement) and nothing else is wrong: the REPL may then ask for another
    /// line. When any issue is a real mistake, no issue is marked incomplete.
    static func parse(_ source: String) -> (program: [Stmt], issues: [SyntaxIssue]) {
        let (tokens, lexIssues) = Lexer.tokenize(source)
        let p = PrattParser(tokens: tokens, source: source)
        let program = p.parseProgram()
        var all = lexIssues
        var seen = Set(lexIssues.map(IssueKey.init))
        for issue in p.issues where seen.insert(IssueKey(issue)).inserted { all.append(issue) }
        // Sort by position, stable.
        let sorted = all.enumerated().sorted { a, b in
            let (pa, pb) = (a.element.pos, b.element.pos)
            if pa.line != pb.line { return pa.line < pb.line }
            if pa.col != pb.col { return pa.col < pb.col }
            return a.offset < b.offset
        }.map(\.element)
        // With a real error present, more input cannot help: nothing is "incomplete" then,
        // so the REPL reports instead of asking for another line.
        if sorted.contains(where: { !$0.incomplete }) {
            return (program, sorted.map { SyntaxIssue(message: $0.message, pos: $0.pos, incomplete: false) })
        }
        return (program, sorted)
    }

    /// The nesting limit (brackets, blocks, operator operands, patterns).
    static let maxDepth = 200
    static let tooDeepMessage =
        "expression nested too deeply (more than \(maxDepth) levels of brackets, blocks or operators)"
    /// Stack the parser may use below its entry frame. Release builds reach `maxDepth`
    /// long before this; unoptimized builds, whose frames are several times larger, may
    /// stop here first. Either way a 512 KiB thread is safe.
    static let stackBudget: UInt = 256 * 1024
}

/// Identity of an issue, for de-duplication.
struct IssueKey: Hashable {
    var line: Int32, col: Int32, message: String
    init(_ i: SyntaxIssue) { line = i.pos.line; col = i.pos.col; message = i.message }
}

/// A syntax error on its way to the nearest statement loop. The issue itself waits in
/// `PrattParser.pending`: an empty error keeps every `try` site's stack slot empty
/// (typed throws return the error indirectly, one slot per call site in debug builds).
struct ParseError: Error {}

/// Operator precedence, lowest first (§3).
enum Prec: Int, Comparable {
    case none, ternary, or, and, not, comparison, range, bitOr, bitXor, bitAnd, shift
    case term, factor, unary, power, postfix

    static func < (a: Prec, b: Prec) -> Bool { a.rawValue < b.rawValue }
    /// The next-tighter level: the right operand's minimum for left-associative operators.
    var next: Prec { Prec(rawValue: rawValue + 1) ?? .postfix }
}

/// The parser's state. One instance parses one source text.
///
/// Stack discipline: debug builds give every temporary its own stack slot, so the
/// functions on the recursive path (expressions, statements, blocks) only test token
/// kinds (`kind`, a byte) and build their error messages in `@inline(never)` helpers.
final class PrattParser {
    let tokens: [Token]
    /// `tokens[j].kind`, kept apart so the hot path never copies a whole token.
    let kinds: [TokenKind]
    let source: String
    private(set) lazy var bytes: [UInt8] = Array(source.utf8)

    /// Index of the current token. `tokens` always ends with `.eof`.
    var i = 0
    /// Index of the last consumed token (for "after '+'" in messages).
    var prevIndex = -1
    /// True while newlines are insignificant (inside brackets, map literals, interpolation).
    var ignoreNL = false
    var modes: [Bool] = []
    /// Open brackets and blocks (kind and position), for "to close '(' at 3:5" messages.
    var openers: [(kind: TokenKind, pos: SourcePos, counted: Bool)] = []
    var depth = 0
    /// Index of the last `}` that closed a block (statements, function or class body).
    var lastBlockEnd = -1
    /// Address near the top of the parser's stack (set when parsing starts).
    var stackBase: UInt = 0
    var issues: [SyntaxIssue] = []
    /// The issue of the `ParseError` currently being thrown.
    var pending: SyntaxIssue?

    init(tokens: [Token], source: String) {
        self.tokens = tokens.last?.kind == .eof ? tokens : tokens + [Token(kind: .eof, line: 1, col: 1, start: 0, end: 0)]
        self.kinds = self.tokens.map(\.kind)
        self.source = source
    }

    // MARK: - Token cursor

    /// The current token's kind.
    @inline(__always) var kind: TokenKind { kinds[i] }
    /// The current token.
    @inline(__always) var cur: Token { tokens[i] }
    @inline(__always) var pos: SourcePos { SourcePos(line: tokens[i].line, col: tokens[i].col) }
    @inline(__always) var text: String { tokens[i].text }

    func advance() {
        if kinds[i] != .eof { prevIndex = i; i += 1 }
        if ignoreNL { while kinds[i] == .newline { i += 1 } }
    }

    /// The kind of the token `k` places ahead, seen through the current newline mode.
    func peekKind(_ k: Int) -> TokenKind {
        var j = i
        var left = k
        while left > 0 && kinds[j] != .eof {
            j += 1
            if ignoreNL { while kinds[j] == .newline { j += 1 } }
            left -= 1
        }
        return kinds[j]
    }

    func pushMode(ignoreNewlines: Bool) {
        modes.append(ignoreNL)
        ignoreNL = ignoreNewlines
        if ignoreNL { while kinds[i] == .newline { i += 1 } }
    }

    func popMode() {
        ignoreNL = modes.popLast() ?? false
    }

    /// Consumes an opening bracket and enters its newline mode; returns its index.
    /// A block (`ignoreNewlines: false`) counts as a nesting level; a bracket does not,
    /// since the expression inside it already does.
    func open(ignoreNewlines: Bool) throws(ParseError) -> Int {
        let at = i
        if ignoreNewlines {
            if stackExhausted() { throw tooDeep() }
        } else {
            try enterNesting()
        }
        advance()
        pushMode(ignoreNewlines: ignoreNewlines)
        openers.append((kinds[at], tokens[at].pos, !ignoreNewlines))
        return at
    }

    /// Consumes the closer matching the opener at index `opener`, leaving its mode.
    /// `expecting` names what was acceptable instead (default: the closer itself).
    func close(_ closer: TokenKind, _ opener: Int, expecting: String? = nil) throws(ParseError) {
        guard kinds[i] == closer else { throw unclosed(closer, opener, expecting) }
        popMode()
        if let o = openers.popLast(), o.counted {
            depth -= 1
            lastBlockEnd = i
        }
        advance()
    }

    func enterNesting() throws(ParseError) {
        guard depth < Parser.maxDepth && !stackExhausted() else { throw tooDeep() }
        depth += 1
    }

    /// Has the parser used more than `Parser.stackBudget` bytes of stack since it began?
    @inline(__always)
    func stackExhausted() -> Bool {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return here < stackBase && stackBase - here > Parser.stackBudget
    }

    // MARK: - Errors (built out of line, see the note on stack discipline)

    /// An error at the current token (or at `pos`). Incomplete iff it is at the end of input.
    @inline(never)
    func error(_ message: String, at pos: SourcePos? = nil) -> ParseError {
        let atEOF = kinds[i] == .eof && pos == nil
        pending = SyntaxIssue(message: message, pos: pos ?? self.pos, incomplete: atEOF)
        return ParseError()
    }

    /// "expected <what>, found <current token>"
    @inline(never)
    func expected(_ what: String) -> ParseError {
        var m = "expected \(what), found \(describe(cur))"
        if kinds[i].isKeyword && (what.contains("name") || what.contains("pattern")) {
            m += " (a keyword cannot be used as a name)"
        }
        return error(m)
    }

    @inline(never)
    func unclosed(_ closer: TokenKind, _ opener: Int, _ expecting: String?) -> ParseError {
        let what = expecting ?? "'\(closer.spelling ?? "")'"
        let o = tokens[opener]
        return error("expected \(what) to close '\(o.kind.spelling ?? "")' at \(o.pos), found \(describe(cur))")
    }

    @inline(never)
    func tooDeep() -> ParseError {
        error(Parser.tooDeepMessage)
    }

    func recordPending() {
        if let p = pending { record(p) }
        pending = nil
    }

    private var recorded = Set<IssueKey>()
    private var sawIncomplete = false

    private var sawTooDeep = false

    func record(_ issue: SyntaxIssue) {
        // One "input ended" report is enough: outer blocks left open at EOF say the same.
        if issue.incomplete && sawIncomplete { return }
        // Likewise one "nested too deeply": after recovery, every further line of a
        // deeply nested input would report it again.
        if issue.message == Parser.tooDeepMessage {
            if sawTooDeep { return }
            sawTooDeep = true
        }
        guard recorded.insert(IssueKey(issue)).inserted else { return }
        sawIncomplete = sawIncomplete || issue.incomplete
        issues.append(issue)
    }

    /// A human description of a token for "found ..." messages.
    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of input"
        case .newline: return "end of line"
        case .identifier: return "name '\(t.text)'"
        case .int, .float: return "number \(lexeme(t))"
        case .string, .interpBegin: return "string \(abbreviated(lexeme(t)))"
        case .bytes: return "bytes \(abbreviated(lexeme(t)))"
        case .interpMid, .interpEnd: return "')' (end of interpolation)"
        default:
            if t.kind.isKeyword { return "keyword '\(t.kind.spelling ?? "")'" }
            return "'\(t.kind.spelling ?? lexeme(t))'"
        }
    }

    func lexeme(_ t: Token) -> String {
        let s = Int(t.start), e = Int(t.end)
        guard s >= 0, e <= bytes.count, s <= e else { return "" }
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }

    private func abbreviated(_ s: String) -> String {
        let firstLine = s.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? s
        if firstLine.unicodeScalars.count > 24 || firstLine.count < s.count {
            return String(firstLine.unicodeScalars.prefix(24).map(Character.init)) + "…"
        }
        return s
    }

    /// Consumes an identifier and returns its index, or fails with "expected <what>".
    func expectIdentifier(_ what: String) throws(ParseError) -> Int {
        guard kinds[i] == .identifier else { throw expected(what) }
        let at = i
        advance()
        return at
    }

    func expect(_ kind: TokenKind, _ what: String) throws(ParseError) {
        guard kinds[i] == kind else { throw expected(what) }
        advance()
    }

    // MARK: - Recovery

    struct Checkpoint {
        var modes: Int
        var ignoreNL: Bool
        var openers: Int
        var depth: Int
        var line: Int32
        var col: Int32
    }

    func checkpoint() -> Checkpoint {
        Checkpoint(modes: modes.count, ignoreNL: ignoreNL, openers: openers.count, depth: depth,
                   line: tokens[i].line, col: tokens[i].col)
    }

    /// After an error inside the statement that began at `cp`: restore the bracket and
    /// newline state of the statement's start, then skip to the next statement boundary —
    /// a newline or `;` outside every bracket this statement opened, or the `}` that
    /// closes the enclosing block (left for the block to consume). A later line that
    /// starts at or left of the failed statement's column, or with a statement keyword,
    /// also ends the skip, so one missing `)` does not swallow the rest of the file.
    func recover(_ cp: Checkpoint) {
        // Brackets opened by the failed statement and still open.
        var stack: [TokenKind] = openers.count > cp.openers ? openers[cp.openers...].map(\.kind) : []
        if modes.count > cp.modes { modes.removeSubrange(cp.modes...) }
        ignoreNL = cp.ignoreNL
        if openers.count > cp.openers { openers.removeSubrange(cp.openers...) }
        depth = cp.depth
        let errorLine = tokens[i].line
        while true {
            let k = kinds[i]
            switch k {
            case .eof:
                return
            case .newline, .semicolon:
                i += 1
                if stack.isEmpty { return }
                if k == .newline {
                    switch kinds[i] {
                    case .rparen, .rbracket, .rbrace, .interpMid, .interpEnd, .eof:
                        break  // handled as closers below
                    default:
                        let n = tokens[i]
                        if n.line > errorLine && (n.col <= cp.col || startsStatement(at: i)) { return }
                    }
                }
            case .lparen, .lbracket, .lbrace, .interpBegin:
                stack.append(k)
                i += 1
            case .rparen, .rbracket, .rbrace, .interpEnd:
                let opener: TokenKind
                switch k {
                case .rparen: opener = .lparen
                case .rbracket: opener = .lbracket
                case .rbrace: opener = .lbrace
                default: opener = .interpBegin
                }
                if let at = stack.lastIndex(of: opener) {
                    stack.removeSubrange(at...)
                } else if k == .rbrace {
                    return  // the enclosing block's '}'
                }
                i += 1  // (a stray closer is skipped)
            default:
                i += 1
            }
        }
    }

    /// Does the token at `j` begin a statement that cannot continue an expression?
    private func startsStatement(at j: Int) -> Bool {
        switch kinds[j] {
        case .kwLet, .kwVar, .kwClass, .kwWhile, .kwReturn, .kwImport, .kwTry, .kwThrow,
             .kwWith, .kwBreak, .kwContinue:
            return true
        case .kwFn:
            return j + 1 < kinds.count && kinds[j + 1] == .identifier
        default:
            return false
        }
    }

    // MARK: - Program

    func parseProgram() -> [Stmt] {
        var marker: UInt8 = 0
        stackBase = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return statements(inBlock: false)
    }

    /// A sequence of statements: the program, or a block's body (stops before its `}`).
    func statements(inBlock: Bool) -> [Stmt] {
        var out: [Stmt] = []
        while true {
            while kind == .newline || kind == .semicolon { advance() }
            if kind == .eof { break }
            if kind == .rbrace {
                if inBlock { break }
                record(SyntaxIssue(message: "unexpected '}' with no matching '{'", pos: pos))
                advance()
                continue
            }
            let cp = checkpoint()
            do {
                out.append(try statement())
                try endOfStatement()
            } catch {
                recordPending()
                recover(cp)
            }
        }
        return out
    }

    /// A statement ends at a newline, a `;`, the `}` of the enclosing block, or the end —
    /// or right after the `}` that closed its own block (`if a { b } c()`,
    /// `class A { fn m() {} let x = 1 }`).
    func endOfStatement() throws(ParseError) {
        switch kind {
        case .newline, .semicolon:
            advance()
        case .rbrace, .eof:
            break
        case _ where prevIndex >= 0 && prevIndex == lastBlockEnd:
            break
        case .assign:
            throw error("unexpected '=': assignment is a statement, so it cannot be chained or used inside an expression")
        case .kwElse, .kwCatch, .kwFinally:
            throw misplacedClause()
        default:
            throw expected("a newline or ';' after the statement")
        }
    }
}
