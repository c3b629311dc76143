// Tokens: what the lexer hands to the parser.
//
// A token is a small value: its kind, the position of its first character, its byte
// range in the source (for error messages) and, for names, strings and numbers, its
// decoded payload. Strings with interpolation arrive as a run of tokens:
//
//     "a \(x) b \(y) c"  →  interpBegin("a ")  x  interpMid(" b ")  y  interpEnd(" c")
//
// so the parser reads the embedded expressions with its ordinary expression rules and
// every position inside them is a position in the outer file.

/// Every kind of token. The raw value indexes the parser's rule table.
enum TokenKind: UInt8, CaseIterable {
    // Brackets and punctuation
    case lparen, rparen, lbracket, rbracket, lbrace, rbrace
    case comma, dot, colon, semicolon, question, arrow       // arrow is `=>`
    case ellipsis                                             // `...` (inclusive range, rest, spread)
    case rangeExcl                                            // `..<`
    // Operators
    case plus, minus, star, slash, slashSlash, percent, starStar
    case amp, pipe, caret, tilde, shl, shr
    case eqEq, bangEq, lt, le, gt, ge
    // Assignment
    case assign                                               // `=`
    case plusEq, minusEq, starEq, slashEq, slashSlashEq, percentEq, starStarEq
    case ampEq, pipeEq, caretEq, shlEq, shrEq
    // Literals and names
    case int, float, string, bytes
    case interpBegin, interpMid, interpEnd                    // pieces of an interpolated string
    case identifier
    // Keywords
    case kwAnd, kwAs, kwBreak, kwCatch, kwClass, kwContinue, kwElse, kwFalse, kwFinally
    case kwFn, kwFor, kwIf, kwImport, kwIn, kwIs, kwLet, kwNil, kwNot, kwOr, kwReturn
    case kwSelf, kwSuper, kwThrow, kwTrue, kwTry, kwVar, kwWhile, kwWith
    // Layout
    case newline, eof

    /// The fixed spelling of punctuation, operators and keywords (nil for the others).
    var spelling: String? {
        switch self {
        case .lparen: return "("
        case .rparen: return ")"
        case .lbracket: return "["
        case .rbracket: return "]"
        case .lbrace: return "{"
        case .rbrace: return "}"
        case .comma: return ","
        case .dot: return "."
        case .colon: return ":"
        case .semicolon: return ";"
        case .question: return "?"
        case .arrow: return "=>"
        case .ellipsis: return "..."
        case .rangeExcl: return "..<"
        case .plus: return "+"
        case .minus: return "-"
        case .star: return "*"
        case .slash: return "/"
        case .slashSlash: return "//"
        case .percent: return "%"
        case .starStar: return "**"
        case .amp: return "&"
        case .pipe: return "|"
        case .caret: return "^"
        case .tilde: return "~"
        case .shl: return "<<"
        case .shr: return ">>"
        case .eqEq: return "=="
        case .bangEq: return "!="
        case .lt: return "<"
        case .le: return "<="
        case .gt: return ">"
        case .ge: return ">="
        case .assign: return "="
        case .plusEq: return "+="
        case .minusEq: return "-="
        case .starEq: return "*="
        case .slashEq: return "/="
        case .slashSlashEq: return "//="
        case .percentEq: return "%="
        case .starStarEq: return "**="
        case .ampEq: return "&="
        case .pipeEq: return "|="
        case .caretEq: return "^="
        case .shlEq: return "<<="
        case .shrEq: return ">>="
        default:
            if let kw = TokenKind.keywordSpellings[self] { return kw }
            return nil
        }
    }

    /// Keyword spelling → kind.
    static let keywords: [String: TokenKind] = [
        "and": .kwAnd, "as": .kwAs, "break": .kwBreak, "catch": .kwCatch, "class": .kwClass,
        "continue": .kwContinue, "else": .kwElse, "false": .kwFalse, "finally": .kwFinally,
        "fn": .kwFn, "for": .kwFor, "if": .kwIf, "import": .kwImport, "in": .kwIn, "is": .kwIs,
        "let": .kwLet, "nil": .kwNil, "not": .kwNot, "or": .kwOr, "return": .kwReturn,
        "self": .kwSelf, "super": .kwSuper, "throw": .kwThrow, "true": .kwTrue, "try": .kwTry,
        "var": .kwVar, "while": .kwWhile, "with": .kwWith,
    ]

    static let keywordSpellings: [TokenKind: String] = {
        var m: [TokenKind: String] = [:]
        for (k, v) in keywords { m[v] = k }
        return m
    }()

    var isKeyword: Bool { rawValue >= TokenKind.kwAnd.rawValue && rawValue <= TokenKind.kwWith.rawValue }

    /// The binary operator of an arithmetic/bitwise token, or of a compound assignment.
    var binOp: BinOp? {
        switch self {
        case .plus, .plusEq: return .add
        case .minus, .minusEq: return .sub
        case .star, .starEq: return .mul
        case .slash, .slashEq: return .div
        case .slashSlash, .slashSlashEq: return .floorDiv
        case .percent, .percentEq: return .mod
        case .starStar, .starStarEq: return .pow
        case .amp, .ampEq: return .bitAnd
        case .pipe, .pipeEq: return .bitOr
        case .caret, .caretEq: return .bitXor
        case .shl, .shlEq: return .shl
        case .shr, .shrEq: return .shr
        default: return nil
        }
    }

    var isCompoundAssign: Bool { rawValue >= TokenKind.plusEq.rawValue && rawValue <= TokenKind.shrEq.rawValue }

    /// Comparison operators (for the "cannot be chained" check). `not` (of `not in`) counts.
    var isComparison: Bool {
        switch self {
        case .eqEq, .bangEq, .lt, .le, .gt, .ge, .kwIn, .kwIs, .kwNot: return true
        default: return false
        }
    }

    /// A newline directly after one of these tokens is not a statement end: the
    /// expression (or statement) obviously continues on the next line.
    var continuesLine: Bool {
        switch self {
        case .comma, .dot, .colon, .question, .arrow, .ellipsis, .rangeExcl,
             .plus, .minus, .star, .slash, .slashSlash, .percent, .starStar,
             .amp, .pipe, .caret, .tilde, .shl, .shr,
             .eqEq, .bangEq, .lt, .le, .gt, .ge,
             .assign, .plusEq, .minusEq, .starEq, .slashEq, .slashSlashEq, .percentEq,
             .starStarEq, .ampEq, .pipeEq, .caretEq, .shlEq, .shrEq,
             .kwAnd, .kwOr, .kwNot, .kwIn, .kwIs:
            return true
        default:
            return false
        }
    }

    /// A newline directly before one of these tokens is dropped: method chains and
    /// `else` / `catch` / `finally` may start a new line.
    var joinsPreviousLine: Bool {
        switch self {
        case .dot, .kwElse, .kwCatch, .kwFinally: return true
        default: return false
        }
    }
}

/// One token. `line`/`col` are 1-based (columns count Unicode scalars);
/// `start`/`end` are UTF-8 byte offsets of its spelling in the source.
struct Token {
    var kind: TokenKind
    var line: Int32
    var col: Int32
    var start: Int32
    var end: Int32
    /// Identifier name, or the decoded text of a string (piece).
    var text: String = ""
    /// Int value, or the bit pattern of a float.
    var bits: UInt64 = 0
    /// For `.int`: the literal is exactly 2^63 — only valid right after a unary minus.
    var isMinMagnitude: Bool = false

    var pos: SourcePos { SourcePos(line: line, col: col) }
    var intValue: Int { Int(bitPattern: UInt(bits)) }
    var floatValue: Double { Double(bitPattern: bits) }
}
