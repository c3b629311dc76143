// The lexer: UTF-8 bytes in, tokens out (§1 of LANGUAGE.md).
//
// It walks the source's UTF-8 bytes once, never String.Index. Positions are computed
// lazily from byte offsets by a forward-only cache, so columns count Unicode scalars at
// no cost for ASCII text.
//
// Newline handling (the part of statement layout that does not need the parser):
//  - runs of newlines collapse into one `.newline` token; none is emitted at the start;
//  - a newline right after a token that cannot end a statement (a binary operator, `,`,
//    `=`, `.`, `:`, `?`, `=>`, ...) is dropped (`TokenKind.continuesLine`);
//  - a newline right before `.`, `else`, `catch` or `finally` is dropped
//    (`TokenKind.joinsPreviousLine`).
// Whether the remaining newlines matter (inside brackets they do not) is the parser's call.
//
// Errors never stop the lexer: it records a `SyntaxIssue`, produces the most plausible
// token, and goes on.

struct Lexer {
    private let src: [UInt8]
    private var i = 0
    private var tokens: [Token] = []
    private var issues: [SyntaxIssue] = []

    // Forward-only position cache: (byte offset, line, column) of the last query.
    private var pcOffset = 0
    private var pcLine: Int32 = 1
    private var pcCol: Int32 = 1

    /// An open `\(` inside a string: how to resume the string at its closing `)`.
    private struct Interp {
        var quote: UInt8
        var triple: Bool
        var depth: Int          // parentheses opened inside the interpolation
        var openPos: SourcePos  // the string's opening quote
    }
    private var interps: [Interp] = []

    private init(_ source: String) {
        src = Array(source.utf8)
        tokens.reserveCapacity(src.count / 4 + 16)
    }

    /// Splits `source` into tokens. The last token is always `.eof`.
    static func tokenize(_ source: String) -> (tokens: [Token], issues: [SyntaxIssue]) {
        // Tokens keep offsets, lines and columns as Int32.
        if source.utf8.count >= Int(Int32.max) {
            return ([Token(kind: .eof, line: 1, col: 1, start: 0, end: 0)],
                    [SyntaxIssue(message: "source too large (2 GiB or more)", pos: SourcePos(line: 1, col: 1))])
        }
        var lx = Lexer(source)
        lx.run()
        return (lx.tokens, lx.issues)
    }

    // MARK: - Positions

    /// Offset and position of the token being lexed (set by `lexToken`).
    private var tokOffset = -1
    private var tokPos = SourcePos(line: 1, col: 1)

    /// The line and column of byte offset `off`. Amortized O(1) for increasing offsets.
    private mutating func position(_ off: Int) -> SourcePos {
        let target = min(max(off, 0), src.count)
        if target == tokOffset { return tokPos }
        if target < pcOffset {
            // Never needed in practice (token starts are cached above); stay correct anyway.
            pcOffset = src.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            pcLine = 1; pcCol = 1
        }
        var j = pcOffset, line = pcLine, col = pcCol
        while j < target {
            let b = src[j]
            if b == 0x0A { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
            j += 1
        }
        pcOffset = j; pcLine = line; pcCol = col
        return SourcePos(line: line, col: col)
    }

    private mutating func issue(_ message: String, at off: Int, incomplete: Bool = false) {
        issues.append(SyntaxIssue(message: message, pos: position(off), incomplete: incomplete))
    }

    private mutating func issue(_ message: String, pos: SourcePos, incomplete: Bool = false) {
        issues.append(SyntaxIssue(message: message, pos: pos, incomplete: incomplete))
    }

    // MARK: - Emitting

    private mutating func emit(_ kind: TokenKind, from start: Int, text: String = "", bits: UInt64 = 0) {
        let p = position(start)
        emit(Token(kind: kind, line: p.line, col: p.col, start: Int32(start), end: Int32(i),
                   text: text, bits: bits))
    }

    /// Kind of the last token emitted (`.eof` when none yet).
    private var lastKind: TokenKind = .eof

    private mutating func emit(_ tok: Token) {
        if lastKind == .newline && tok.kind.joinsPreviousLine {
            tokens.removeLast()
        }
        tokens.append(tok)
        lastKind = tok.kind
    }

    private mutating func newline(at off: Int) {
        if lastKind == .eof || lastKind == .newline || lastKind.continuesLine { return }
        let p = position(off)
        tokens.append(Token(kind: .newline, line: p.line, col: p.col, start: Int32(off), end: Int32(off + 1)))
        lastKind = .newline
    }

    // MARK: - Main loop

    private mutating func run() {
        let n = src.count
        if n >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF { i = 3; pcOffset = 3 }  // BOM
        while true {
            // Whitespace and comments.
            while i < n {
                let b = src[i]
                if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0C || b == 0x0B {
                    i += 1
                } else if b == 0x23 {  // '#'
                    while i < n && src[i] != 0x0A { i += 1 }
                } else {
                    break
                }
            }
            if i >= n { break }
            let c = src[i]
            if c == 0x0A { newline(at: i); i += 1; continue }
            lexToken(c)
        }
        // End of input.
        var eofPos = SourcePos(line: 1, col: 1)
        if let last = tokens.last {
            eofPos = last.kind == .newline ? last.pos : position(Int(last.end))
        }
        tokens.append(Token(kind: .eof, line: eofPos.line, col: eofPos.col,
                            start: Int32(n), end: Int32(n)))
    }

    private func peekByte(_ k: Int) -> UInt8 {
        let j = i + k
        return j < src.count ? src[j] : 0
    }

    private mutating func lexToken(_ c: UInt8) {
        let start = i
        tokPos = position(start)
        tokOffset = start
        func one(_ k: TokenKind) -> TokenKind { i += 1; return k }
        // `x=` pattern: kind `a` alone, kind `b` when followed by '='.
        func withEq(_ a: TokenKind, _ b: TokenKind) -> TokenKind {
            if peekByte(1) == UInt8(ascii: "=") { i += 2; return b }
            i += 1; return a
        }
        let kind: TokenKind
        switch c {
        case UInt8(ascii: "("):
            if !interps.isEmpty { interps[interps.count - 1].depth += 1 }
            kind = one(.lparen)
        case UInt8(ascii: ")"):
            if let top = interps.last {
                if top.depth == 0 {
                    // The `)` that ends `\(...)`: resume the string.
                    interps.removeLast()
                    let p = position(i)
                    i += 1
                    lexStringBody(quote: top.quote, triple: top.triple, openPos: top.openPos,
                                  tokPos: p, tokStart: start, continuation: true)
                    return
                }
                interps[interps.count - 1].depth -= 1
            }
            kind = one(.rparen)
        case UInt8(ascii: "["): kind = one(.lbracket)
        case UInt8(ascii: "]"): kind = one(.rbracket)
        case UInt8(ascii: "{"): kind = one(.lbrace)
        case UInt8(ascii: "}"): kind = one(.rbrace)
        case UInt8(ascii: ","): kind = one(.comma)
        case UInt8(ascii: ";"): kind = one(.semicolon)
        case UInt8(ascii: ":"): kind = one(.colon)
        case UInt8(ascii: "?"): kind = one(.question)
        case UInt8(ascii: "~"): kind = one(.tilde)
        case UInt8(ascii: "^"): kind = withEq(.caret, .caretEq)
        case UInt8(ascii: "%"): kind = withEq(.percent, .percentEq)
        case UInt8(ascii: "&"): kind = withEq(.amp, .ampEq)
        case UInt8(ascii: "|"): kind = withEq(.pipe, .pipeEq)
        case UInt8(ascii: "+"): kind = withEq(.plus, .plusEq)
        case UInt8(ascii: "-"): kind = withEq(.minus, .minusEq)
        case UInt8(ascii: "*"):
            if peekByte(1) == UInt8(ascii: "*") { i += 1; kind = withEq(.starStar, .starStarEq) }
            else { kind = withEq(.star, .starEq) }
        case UInt8(ascii: "/"):
            if peekByte(1) == UInt8(ascii: "/") { i += 1; kind = withEq(.slashSlash, .slashSlashEq) }
            else { kind = withEq(.slash, .slashEq) }
        case UInt8(ascii: "<"):
            if peekByte(1) == UInt8(ascii: "<") { i += 1; kind = withEq(.shl, .shlEq) }
            else { kind = withEq(.lt, .le) }
        case UInt8(ascii: ">"):
            if peekByte(1) == UInt8(ascii: ">") { i += 1; kind = withEq(.shr, .shrEq) }
            else { kind = withEq(.gt, .ge) }
        case UInt8(ascii: "="):
            if peekByte(1) == UInt8(ascii: ">") { i += 2; kind = .arrow }
            else { kind = withEq(.assign, .eqEq) }
        case UInt8(ascii: "!"):
            if peekByte(1) == UInt8(ascii: "=") { i += 2; kind = .bangEq }
            else {
                issue("unexpected character '!'; use 'not' for logical negation and '!=' for inequality", at: i)
                i += 1
                return
            }
        case UInt8(ascii: "."):
            if peekByte(1) == UInt8(ascii: ".") {
                if peekByte(2) == UInt8(ascii: ".") { i += 3; kind = .ellipsis }
                else if peekByte(2) == UInt8(ascii: "<") { i += 3; kind = .rangeExcl }
                else {
                    issue("unexpected '..'; use '..<' (exclusive) or '...' (inclusive) for a range", at: i)
                    i += 2; kind = .ellipsis
                }
            } else if isDigit(peekByte(1)) {
                issue("a float needs digits before the point: write '0.\(digitsPreview(from: i + 1))'", at: i)
                i += 1
                scanDigits(isDigit)
                lexNumberTail(start: start, isFloat: true)
                return
            } else {
                kind = one(.dot)
            }
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            lexString(quote: c)
            return
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            lexNumber()
            return
        default:
            if c == UInt8(ascii: "b"), case let q = peekByte(1), q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") {
                lexBytes(quote: q)
                return
            }
            if isASCIILetter(c) || c == UInt8(ascii: "_") {
                lexIdentifier()
                return
            }
            if c >= 0x80 {
                let (s, len) = scalar(at: i)
                if isIdentStart(s) { lexIdentifier(); return }
                issue("unexpected character '\(s.escaped(asASCII: false))' (U+\(hex(s.value)))", at: i)
                i += len
                return
            }
            let s = Unicode.Scalar(c)
            let shown = c >= 0x20 && c < 0x7F ? "'\(Character(s))'" : "U+\(hex(UInt32(c)))"
            issue("unexpected character \(shown)", at: i)
            i += 1
            return
        }
        emit(kind, from: start)
    }

    // MARK: - Character classes

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }
    private func isASCIILetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    private func isIdentStart(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return isASCIILetter(UInt8(s.value)) || s == "_" }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .letterNumber:
            return true
        default:
            return false
        }
    }

    private func isIdentContinue(_ s: Unicode.Scalar) -> Bool {
        if isIdentStart(s) { return true }
        if s.isASCII { return isDigit(UInt8(s.value)) }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Decodes the scalar starting at byte `j` (the source is valid UTF-8).
    private func scalar(at j: Int) -> (Unicode.Scalar, Int) {
        let n = src.count
        let b0 = src[j]
        var len = 1
        var v: UInt32 = UInt32(b0)
        if b0 >= 0xF0 { len = 4; v = UInt32(b0 & 0x07) }
        else if b0 >= 0xE0 { len = 3; v = UInt32(b0 & 0x0F) }
        else if b0 >= 0xC0 { len = 2; v = UInt32(b0 & 0x1F) }
        else if b0 >= 0x80 { return ("\u{FFFD}", 1) }
        if len > 1 {
            if j + len > n { return ("\u{FFFD}", 1) }
            for k in 1..<len {
                let b = src[j + k]
                if b & 0xC0 != 0x80 { return ("\u{FFFD}", 1) }
                v = (v << 6) | UInt32(b & 0x3F)
            }
        }
        return (Unicode.Scalar(v) ?? "\u{FFFD}", len)
    }

    private func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return h.count < 4 ? String(repeating: "0", count: 4 - h.count) + h : h
    }

    private func digitsPreview(from j: Int) -> String {
        var k = j
        while k < src.count && k - j < 20 && (isDigit(src[k]) || src[k] == UInt8(ascii: "_")) { k += 1 }
        return String(decoding: src[j..<k], as: UTF8.self)
    }

    // MARK: - Identifiers

    private mutating func lexIdentifier() {
        let start = i
        let n = src.count
        var ascii = true
        while i < n {
            let b = src[i]
            if b < 0x80 {
                if isASCIILetter(b) || isDigit(b) || b == UInt8(ascii: "_") { i += 1 } else { break }
            } else {
                let (s, len) = scalar(at: i)
                if isIdentContinue(s) { i += len; ascii = false } else { break }
            }
        }
        if ascii, let kw = keyword(start, i) {
            emit(kw, from: start)
        } else {
            emit(.identifier, from: start, text: String(decoding: src[start..<i], as: UTF8.self))
        }
    }

    /// The keyword spelled by the ASCII bytes `src[s..<e]`, if any (no allocation).
    private func keyword(_ s: Int, _ e: Int) -> TokenKind? {
        let len = e - s
        guard len >= 2 && len <= 8 else { return nil }
        let c0 = src[s]
        guard c0 >= UInt8(ascii: "a") && c0 <= UInt8(ascii: "w") else { return nil }
        for (spelling, kind) in Lexer.keywordsByFirstByte[Int(c0 - UInt8(ascii: "a"))] where spelling.count == len {
            var k = 1
            while k < len && spelling[k] == src[s + k] { k += 1 }
            if k == len { return kind }
        }
        return nil
    }

    /// Keywords grouped by first letter ('a'...'w'), as byte arrays.
    private static let keywordsByFirstByte: [[([UInt8], TokenKind)]] = {
        var table = Array(repeating: [([UInt8], TokenKind)](), count: 23)
        for (name, kind) in TokenKind.keywords {
            let bytes = Array(name.utf8)
            table[Int(bytes[0] - UInt8(ascii: "a"))].append((bytes, kind))
        }
        return table
    }()

    // MARK: - Numbers

    private mutating func scanDigits(_ valid: (UInt8) -> Bool) {
        while i < src.count && (valid(src[i]) || src[i] == UInt8(ascii: "_")) { i += 1 }
    }

    private mutating func lexNumber() {
        let start = i
        let c1 = peekByte(1) | 0x20
        if src[i] == UInt8(ascii: "0") && (c1 == UInt8(ascii: "x") || c1 == UInt8(ascii: "o") || c1 == UInt8(ascii: "b")) {
            lexRadixNumber(start: start, radixChar: c1)
            return
        }
        scanDigits(isDigit)
        var isFloat = false
        if peekByte(0) == UInt8(ascii: ".") && isDigit(peekByte(1)) {
            isFloat = true
            i += 1
            scanDigits(isDigit)
        }
        lexNumberTail(start: start, isFloat: isFloat)
    }

    /// Exponent, trailing junk check, conversion, emission.
    private mutating func lexNumberTail(start: Int, isFloat floatSoFar: Bool) {
        var isFloat = floatSoFar
        var bad = false
        if peekByte(0) | 0x20 == UInt8(ascii: "e") {
            var j = 1
            if peekByte(1) == UInt8(ascii: "+") || peekByte(1) == UInt8(ascii: "-") { j = 2 }
            if isDigit(peekByte(j)) {
                isFloat = true
                i += j
                scanDigits(isDigit)
            } else {
                issue("expected digits in the exponent of a number", at: i)
                bad = true
                i += j
            }
        }
        // A number directly followed by a letter or digit is malformed (`12abc`).
        if i < src.count {
            let b = src[i]
            let (s, _) = b >= 0x80 ? scalar(at: i) : (Unicode.Scalar(b), 1)
            if isIdentContinue(s) {
                if !bad {
                    issue("invalid character '\(s.escaped(asASCII: false))' in number literal", at: i)
                }
                bad = true
                while i < src.count {
                    let (s2, len) = src[i] >= 0x80 ? scalar(at: i) : (Unicode.Scalar(src[i]), 1)
                    if isIdentContinue(s2) { i += len } else { break }
                }
            }
        }
        let raw = src[start..<i]
        if !bad && raw.last == UInt8(ascii: "_") {
            issue("a number cannot end with '_'", at: i - 1)
            bad = true
        }
        if !bad && hasUnderscoreNextToPoint(raw) {
            issue("'_' must be between digits in a number", at: start)
            bad = true
        }
        if isFloat {
            var text = ""
            text.reserveCapacity(raw.count + 1)
            if raw.first == UInt8(ascii: ".") { text.append("0") }
            for b in raw where b != UInt8(ascii: "_") { text.append(Character(Unicode.Scalar(b))) }
            let v = bad ? 0 : (Double(text) ?? 0)
            emit(.float, from: start, bits: v.bitPattern)
            return
        }
        var value: UInt64 = 0
        var overflow = false
        for b in raw where isDigit(b) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            if o1 || o2 { overflow = true; break }
            value = a
        }
        emitInt(start: start, value: value, overflow: overflow || value > (1 << 63), bad: bad)
    }

    private func hasUnderscoreNextToPoint(_ raw: ArraySlice<UInt8>) -> Bool {
        var prev: UInt8 = 0
        for b in raw {
            if (b == UInt8(ascii: ".") || (b | 0x20) == UInt8(ascii: "e")) && prev == UInt8(ascii: "_") { return true }
            if b == UInt8(ascii: "_") && (prev == UInt8(ascii: ".") || (prev | 0x20) == UInt8(ascii: "e")) { return true }
            prev = b
        }
        return false
    }

    private mutating func emitInt(start: Int, value: UInt64, overflow: Bool, bad: Bool) {
        if overflow {
            let text = String(decoding: src[start..<i], as: UTF8.self)
            issue("integer literal '\(text)' is too large for a 64-bit int (the largest is 9223372036854775807)", at: start)
            emit(.int, from: start, bits: 0)
            return
        }
        var tok: Token
        let p = position(start)
        tok = Token(kind: .int, line: p.line, col: p.col, start: Int32(start), end: Int32(i),
                    bits: bad ? 0 : value)
        if !bad && value == (1 << 63) { tok.isMinMagnitude = true }
        emit(tok)
    }

    private mutating func lexRadixNumber(start: Int, radixChar: UInt8) {
        let radix: UInt64
        let name: String
        switch radixChar {
        case UInt8(ascii: "x"): radix = 16; name = "hexadecimal"
        case UInt8(ascii: "o"): radix = 8; name = "octal"
        default: radix = 2; name = "binary"
        }
        i += 2
        let digitsStart = i
        // Take the whole alphanumeric run, then validate it.
        while i < src.count {
            let b = src[i]
            if isASCIILetter(b) || isDigit(b) || b == UInt8(ascii: "_") { i += 1 }
            else if b >= 0x80, isIdentContinue(scalar(at: i).0) { i += scalar(at: i).1 }
            else { break }
        }
        var value: UInt64 = 0
        var overflow = false
        var bad = false
        var sawDigit = false
        var j = digitsStart
        while j < i {
            let b = src[j]
            if b == UInt8(ascii: "_") { j += 1; continue }
            var d: UInt64 = 99
            if isDigit(b) { d = UInt64(b - 0x30) }
            else if isHexDigit(b) { d = UInt64((b | 0x20) - 0x61 + 10) }
            if d >= radix {
                let (s, _) = b >= 0x80 ? scalar(at: j) : (Unicode.Scalar(b), 1)
                issue("invalid digit '\(s.escaped(asASCII: false))' in \(name) literal", at: j)
                bad = true
                break
            }
            sawDigit = true
            if !overflow {
                let (m, o1) = value.multipliedReportingOverflow(by: radix)
                let (a, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { overflow = true } else { value = a }
            }
            j += 1
        }
        if !bad && !sawDigit {
            let prefix = String(decoding: src[start..<(start + 2)], as: UTF8.self)
            issue("expected \(name) digits after '\(prefix)'", at: start)
            bad = true
        }
        if !bad && src[i - 1] == UInt8(ascii: "_") {
            issue("a number cannot end with '_'", at: i - 1)
            bad = true
        }
        emitInt(start: start, value: value, overflow: !bad && (overflow || value > (1 << 63)), bad: bad)
    }

    // MARK: - Strings

    /// Steps over the opening quote(s) at `i`; true for a triple quote, after which a
    /// line end right after the opening quotes is dropped.
    private mutating func openQuotes(_ q: UInt8) -> Bool {
        guard peekByte(1) == q && peekByte(2) == q else { i += 1; return false }
        i += 3
        if peekByte(0) == 0x0A { i += 1 }
        else if peekByte(0) == 0x0D && peekByte(1) == 0x0A { i += 2 }
        return true
    }

    private mutating func lexString(quote q: UInt8) {
        let start = i
        let openPos = position(start)
        let triple = openQuotes(q)
        lexStringBody(quote: q, triple: triple, openPos: openPos, tokPos: openPos,
                      tokStart: start, continuation: false)
    }

    /// Reads string text up to the closing quote (emitting `.string` / `.interpEnd`) or
    /// up to `\(` (emitting `.interpBegin` / `.interpMid` and pushing an `Interp`).
    private mutating func lexStringBody(quote q: UInt8, triple: Bool, openPos: SourcePos,
                                        tokPos: SourcePos, tokStart: Int, continuation: Bool) {
        var buf: [UInt8] = []
        let n = src.count
        func finish(_ kind: TokenKind, _ lexer: inout Lexer) {
            lexer.emit(Token(kind: kind, line: tokPos.line, col: tokPos.col, start: Int32(tokStart),
                             end: Int32(lexer.i), text: String(decoding: buf, as: UTF8.self)))
        }
        let endKind: TokenKind = continuation ? .interpEnd : .string
        while true {
            if i >= n {
                let what = triple ? "unterminated triple-quoted string" : "unterminated string"
                issue("\(what): expected a closing \(triple ? String(repeating: quoteName(q), count: 3) : quoteName(q)), found end of input",
                      pos: openPos, incomplete: true)
                finish(endKind, &self)
                return
            }
            let c = src[i]
            if c == q {
                if !triple { i += 1; finish(endKind, &self); return }
                if peekByte(1) == q && peekByte(2) == q { i += 3; finish(endKind, &self); return }
                buf.append(c); i += 1
                continue
            }
            if c == 0x0A && !triple {
                issue("unterminated string: expected a closing \(quoteName(q)) before the end of the line (use \(String(repeating: quoteName(q), count: 3)) for text spanning lines)",
                      pos: openPos)
                finish(endKind, &self)
                return
            }
            if c == UInt8(ascii: "\\") {
                let e = peekByte(1)
                if i + 1 >= n { i += 1; continue }  // reported as unterminated above
                switch e {
                case UInt8(ascii: "n"): buf.append(0x0A); i += 2
                case UInt8(ascii: "t"): buf.append(0x09); i += 2
                case UInt8(ascii: "r"): buf.append(0x0D); i += 2
                case UInt8(ascii: "0"): buf.append(0x00); i += 2
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): buf.append(e); i += 2
                case UInt8(ascii: "("):
                    i += 2
                    emit(Token(kind: continuation ? .interpMid : .interpBegin, line: tokPos.line,
                               col: tokPos.col, start: Int32(tokStart), end: Int32(i),
                               text: String(decoding: buf, as: UTF8.self)))
                    interps.append(Interp(quote: q, triple: triple, depth: 0, openPos: openPos))
                    return
                case UInt8(ascii: "u"):
                    lexUnicodeEscape(into: &buf)
                default:
                    let (s, len) = scalar(at: i + 1)
                    let shown = s.value < 0x20 || s.value == 0x7F
                        ? "\\U+\(hex(s.value))" : "\\\(s.escaped(asASCII: false))"
                    issue("unknown escape sequence '\(shown)' in string; valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\' \\u{...} and \\(...)",
                          at: i)
                    i += 1
                    _ = len  // the character itself is kept as text
                }
                continue
            }
            buf.append(c)
            i += 1
        }
    }

    /// `b"..."`, `b'...'` and their triple-quoted forms: ASCII text, the string escapes
    /// except `\u{...}`, and `\xNN` for any byte; no interpolation. The token's text
    /// holds one scalar U+0000...U+00FF per byte (the parser turns it back into bytes).
    private mutating func lexBytes(quote q: UInt8) {
        let start = i
        let openPos = position(start)
        i += 1                                  // the `b`
        let triple = openQuotes(q)
        var buf: [UInt8] = []
        let n = src.count
        let closing = triple ? String(repeating: quoteName(q), count: 3) : quoteName(q)
        scan: while true {
            if i >= n {
                issue("unterminated bytes literal: expected a closing \(closing), found end of input",
                      pos: openPos, incomplete: true)
                break
            }
            let c = src[i]
            if c == q {
                if !triple { i += 1; break }
                if peekByte(1) == q && peekByte(2) == q { i += 3; break }
                buf.append(c); i += 1
                continue
            }
            if c == 0x0A && !triple {
                issue("unterminated bytes literal: expected a closing \(closing) before the end of the line", pos: openPos)
                break
            }
            if c >= 0x80 {
                let (s, len) = scalar(at: i)
                issue("non-ASCII character '\(s.escaped(asASCII: false))' in a bytes literal; write its bytes as \\xNN escapes", at: i)
                i += len
                continue
            }
            guard c == UInt8(ascii: "\\") else { buf.append(c); i += 1; continue }
            guard i + 1 < n else { i += 1; continue }   // reported as unterminated
            let e = src[i + 1]
            switch e {
            case UInt8(ascii: "n"): buf.append(0x0A); i += 2
            case UInt8(ascii: "t"): buf.append(0x09); i += 2
            case UInt8(ascii: "r"): buf.append(0x0D); i += 2
            case UInt8(ascii: "0"): buf.append(0x00); i += 2
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): buf.append(e); i += 2
            case UInt8(ascii: "x"):
                if i + 3 < n && isHexDigit(src[i + 2]) && isHexDigit(src[i + 3]) {
                    func digit(_ b: UInt8) -> UInt8 { isDigit(b) ? b - 0x30 : (b | 0x20) - 0x61 + 10 }
                    buf.append(digit(src[i + 2]) << 4 | digit(src[i + 3]))
                    i += 4
                } else {
                    issue("invalid \\x escape: write exactly two hex digits, e.g. \\x00 or \\xff", at: i)
                    i += 2
                }
            case UInt8(ascii: "("):
                issue("bytes literals have no interpolation: build the text as a string and call .encode()", at: i)
                i += 2
            default:
                let (s, _) = scalar(at: i + 1)
                issue("unknown escape sequence '\\\(s.escaped(asASCII: false))' in bytes; valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\' and \\xNN",
                      at: i)
                i += 1
            }
            continue scan
        }
        var text = String.UnicodeScalarView()
        for b in buf { text.append(Unicode.Scalar(b)) }
        emit(Token(kind: .bytes, line: openPos.line, col: openPos.col, start: Int32(start), end: Int32(i),
                   text: String(text)))
    }

    private func quoteName(_ q: UInt8) -> String { q == UInt8(ascii: "'") ? "'" : "\"" }

    /// `\u{1F600}` — 1 to 8 hex digits naming a Unicode scalar. `i` is at the backslash.
    private mutating func lexUnicodeEscape(into buf: inout [UInt8]) {
        let backslash = i
        guard peekByte(2) == UInt8(ascii: "{") else {
            issue("invalid Unicode escape: write '\\u{' hex digits '}', e.g. \\u{1F600}", at: backslash)
            i += 2
            return
        }
        var j = i + 3
        var v: UInt32 = 0
        var count = 0
        while j < src.count && isHexDigit(src[j]) && count < 9 {
            let b = src[j]
            let d = isDigit(b) ? UInt32(b - 0x30) : UInt32((b | 0x20) - 0x61 + 10)
            v = v &* 16 &+ d
            count += 1
            j += 1
        }
        guard count >= 1 && count <= 8 && j < src.count && src[j] == UInt8(ascii: "}") else {
            issue("invalid Unicode escape: write '\\u{' 1 to 8 hex digits '}', e.g. \\u{1F600}", at: backslash)
            i = min(j, src.count)
            if i < src.count && src[i] == UInt8(ascii: "}") { i += 1 }
            return
        }
        i = j + 1
        guard let s = Unicode.Scalar(v) else {
            issue("invalid Unicode escape: U+\(hex(v)) is not a Unicode scalar value", at: backslash)
            return
        }
        buf.append(contentsOf: Array(String(Character(s)).utf8))
    }
}
