// Expressions: the Pratt rule table and the rules themselves (§3 of LANGUAGE.md).
//
// `parseExpr(minPrec)` reads one prefix form (the token's `prefix` rule), then keeps
// applying infix rules while the next token's precedence is at least `minPrec`.
// Left-associative operators parse their right operand at `prec.next`; `? :` and `**`
// are right-associative. Comparisons and ranges are non-associative: a second operator
// of the same level right after the first is an error.

/// How a token starts an expression.
enum PrefixRule {
    case literal, int, unary, not, grouping, list, map, interpolation, superAttr, function
}

/// How a token continues an expression that is already parsed on its left.
enum InfixRule {
    case binary, power, logical, comparison, range, ternary, call, index, attribute
}

struct ParseRule {
    var prefix: PrefixRule?
    var infix: InfixRule?
    var prec: Prec

    init(_ prefix: PrefixRule?, _ infix: InfixRule?, _ prec: Prec) {
        self.prefix = prefix; self.infix = infix; self.prec = prec
    }
}

extension PrattParser {
    /// The grammar of expressions at a glance: one row per token kind.
    static let rules: [ParseRule] = TokenKind.allCases.map { rule(for: $0) }

    private static func rule(for kind: TokenKind) -> ParseRule {
        switch kind {
        //                                  prefix          infix          precedence
        case .question:              return ParseRule(nil,            .ternary,      .ternary)
        case .kwOr:                  return ParseRule(nil,            .logical,      .or)
        case .kwAnd:                 return ParseRule(nil,            .logical,      .and)
        case .kwNot:                 return ParseRule(.not,           .comparison,   .comparison)  // `not x`, `a not in b`
        case .eqEq, .bangEq, .lt, .le, .gt, .ge, .kwIn, .kwIs:
                                     return ParseRule(nil,            .comparison,   .comparison)
        case .rangeExcl, .ellipsis:  return ParseRule(nil,            .range,        .range)
        case .pipe:                  return ParseRule(nil,            .binary,       .bitOr)
        case .caret:                 return ParseRule(nil,            .binary,       .bitXor)
        case .amp:                   return ParseRule(nil,            .binary,       .bitAnd)
        case .shl, .shr:             return ParseRule(nil,            .binary,       .shift)
        case .plus:                  return ParseRule(nil,            .binary,       .term)
        case .minus:                 return ParseRule(.unary,         .binary,       .term)
        case .star, .slash, .slashSlash, .percent:
                                     return ParseRule(nil,            .binary,       .factor)
        case .tilde:                 return ParseRule(.unary,         nil,           .none)
        case .starStar:              return ParseRule(nil,            .power,        .power)
        case .lparen:                return ParseRule(.grouping,      .call,         .postfix)
        case .lbracket:              return ParseRule(.list,          .index,        .postfix)
        case .dot:                   return ParseRule(nil,            .attribute,    .postfix)
        case .lbrace:                return ParseRule(.map,           nil,           .none)
        case .int:                   return ParseRule(.int,           nil,           .none)
        case .float, .string, .bytes, .identifier, .kwTrue, .kwFalse, .kwNil, .kwSelf:
                                     return ParseRule(.literal,       nil,           .none)
        case .interpBegin:           return ParseRule(.interpolation, nil,           .none)
        case .kwSuper:               return ParseRule(.superAttr,     nil,           .none)
        case .kwFn:                  return ParseRule(.function,      nil,           .none)
        default:                     return ParseRule(nil,            nil,           .none)
        }
    }

    func runPrefix(_ rule: PrefixRule) throws(ParseError) -> Expr {
        switch rule {
        case .literal: return literal()
        case .int: return try intLiteral()
        case .unary: return try unaryPrefix()
        case .not: return try notPrefix()
        case .grouping: return try grouping()
        case .list: return try listLiteral()
        case .map: return try mapLiteral()
        case .interpolation: return try interpolated()
        case .superAttr: return try superAttr()
        case .function: return try functionExpr()
        }
    }

    /// Infix rules that build a whole new node around `left`.
    func runInfix(_ rule: InfixRule, _ left: Expr) throws(ParseError) -> Expr {
        switch rule {
        case .comparison: return try comparison(left)
        case .range: return try range(left)
        default: return try ternary(left)
        }
    }

    /// Infix rules that add a step to the chain on their left (see `Expr.chain`).
    func runChainStep(_ rule: InfixRule) throws(ParseError) -> ChainStep {
        switch rule {
        case .binary: return try binary()
        case .power: return try power()
        case .logical: return try logical()
        case .call: return try call()
        case .index: return try indexOrSlice()
        default: return try attribute()
        }
    }

    // MARK: - The loop

    /// A full expression (conditional expression and everything tighter).
    func expression() throws(ParseError) -> Expr { try parseExpr(.ternary) }

    func parseExpr(_ minPrec: Prec) throws(ParseError) -> Expr {
        guard depth < Parser.maxDepth && !stackExhausted() else { throw tooDeep() }
        depth += 1
        defer { depth -= 1 }

        guard let prefix = PrattParser.rules[Int(kind.rawValue)].prefix else {
            throw expectedExpression()
        }
        if kind == .kwNot && minPrec > .not { throw notAsOperand() }
        var left = try runPrefix(prefix)
        // Left-associative operators and postfix forms extend one flat chain, so a long
        // `1 + 2 + 3 ...` or `a.b(c)[0]...` costs no nesting (only their right operands
        // do, each parsed one level down).
        var steps: [ChainStep] = []
        while true {
            let rule = PrattParser.rules[Int(kind.rawValue)]
            guard let infix = rule.infix, rule.prec >= minPrec else { break }
            switch infix {
            case .comparison, .range, .ternary:
                left = try runInfix(infix, Expr.chained(left, steps))
                steps = []
            default:
                steps.append(try runChainStep(infix))
            }
        }
        return Expr.chained(left, steps)
    }

    @inline(never)
    func expectedExpression() -> ParseError {
        if prevIndex >= 0 {
            let prev = kinds[prevIndex]
            if prev.continuesLine || prev == .lparen || prev == .lbracket, let s = prev.spelling {
                return error("expected an expression after '\(s)', found \(describe(cur))")
            }
        }
        return error("expected an expression, found \(describe(cur))")
    }

    @inline(never)
    func notAsOperand() -> ParseError {
        error("'not' cannot be used as an operand here; put the 'not' expression in parentheses")
    }

    // MARK: - Prefix rules

    /// Names and single-token literals.
    func literal() -> Expr {
        let at = i
        advance()
        let p = tokens[at].pos
        switch kinds[at] {
        case .float: return .floatLit(tokens[at].floatValue, p)
        case .string: return .string(tokens[at].text, p)
        case .bytes: return .bytesLit(tokens[at].text.unicodeScalars.map { UInt8($0.value) }, p)
        case .identifier: return .name(tokens[at].text, p)
        case .kwTrue: return .boolLit(true, p)
        case .kwFalse: return .boolLit(false, p)
        case .kwSelf: return .selfRef(p)
        default: return .nilLit(p)
        }
    }

    func intLiteral() throws(ParseError) -> Expr {
        if tokens[i].isMinMagnitude { throw intTooLarge() }
        let at = i
        advance()
        return .intLit(tokens[at].intValue, tokens[at].pos)
    }

    @inline(never)
    func intTooLarge() -> ParseError {
        error("integer literal '\(lexeme(cur))' is too large for a 64-bit int (the largest is 9223372036854775807)")
    }

    /// `- x`, `~ x`: the operand binds at unary level, so `-2 ** 2` is `-(2 ** 2)`.
    func unaryPrefix() throws(ParseError) -> Expr {
        let p = pos
        let op: UnaryOp = kind == .minus ? .neg : .bitNot
        advance()
        // `-9223372036854775808` is the one literal that only fits negated.
        if op == .neg && tokens[i].isMinMagnitude {
            switch peekKind(1) {
            case .starStar, .dot, .lparen, .lbracket: break
            default:
                advance()
                return .intLit(Int.min, p)
            }
        }
        let operand = try parseExpr(.unary)
        return .unary(op, operand, p)
    }

    /// `not x`: binds looser than comparisons, so `not a == b` is `not (a == b)`.
    func notPrefix() throws(ParseError) -> Expr {
        let p = pos
        advance()
        let operand = try parseExpr(.not)
        return .not(operand, p)
    }

    /// `( e )`
    func grouping() throws(ParseError) -> Expr {
        let open = try self.open(ignoreNewlines: true)
        if kind == .rparen { throw error("expected an expression inside '( )', found ')' (Weft has no tuples)") }
        let e = try expression()
        try close(.rparen, open)
        return e
    }

    /// `[a, b]`, `[e for x in xs if c]`
    func listLiteral() throws(ParseError) -> Expr {
        let p = pos
        let open = try self.open(ignoreNewlines: true)
        if kind == .rbracket {
            try close(.rbracket, open)
            return .list([], p)
        }
        let first = try expression()
        if kind == .kwFor {
            let clauses = try comprehensionClauses()
            try close(.rbracket, open)
            return .listComp(first, clauses, p)
        }
        var items = [first]
        while kind == .comma {
            advance()
            if kind == .rbracket { break }
            items.append(try expression())
        }
        try close(.rbracket, open, expecting: "',' or ']'")
        return .list(items, p)
    }

    /// `{k: v, ...}`, `{}`, `{k: v for x in xs if c}` (in expression position only).
    func mapLiteral() throws(ParseError) -> Expr {
        let p = pos
        let open = try self.open(ignoreNewlines: true)
        if kind == .rbrace {
            try close(.rbrace, open)
            return .map([], p)
        }
        let k = try expression()
        try expect(.colon, "':' after a map key")
        let v = try expression()
        if kind == .kwFor {
            let clauses = try comprehensionClauses()
            try close(.rbrace, open)
            return .mapComp(k, v, clauses, p)
        }
        var pairs = [(k, v)]
        while kind == .comma {
            advance()
            if kind == .rbrace { break }
            let k2 = try expression()
            try expect(.colon, "':' after a map key")
            pairs.append((k2, try expression()))
        }
        try close(.rbrace, open, expecting: "',' or '}'")
        return .map(pairs, p)
    }

    /// `for targets in e` followed by any mix of further `for` and `if` clauses.
    func comprehensionClauses() throws(ParseError) -> [CompClause] {
        var clauses: [CompClause] = []
        while true {
            if kind == .kwFor {
                let p = pos
                advance()
                let targets = try loopTargets()
                try expect(.kwIn, "'in' after the loop variables")
                clauses.append(.forIn(targets, try expression(), p))
            } else if kind == .kwIf {
                advance()
                clauses.append(.ifCond(try expression()))
            } else {
                return clauses
            }
        }
    }

    /// A string with `\(expr)` pieces: interpBegin expr (interpMid expr)* interpEnd.
    func interpolated() throws(ParseError) -> Expr {
        let first = i
        var parts: [StringPart] = []
        if !tokens[first].text.isEmpty { parts.append(.text(tokens[first].text)) }
        if stackExhausted() { throw tooDeep() }
        advance()
        pushMode(ignoreNewlines: true)
        openers.append((.interpBegin, tokens[first].pos, false))
        while true {
            if kind == .interpMid || kind == .interpEnd {
                throw error("expected an expression inside '\\( )', found ')'")
            }
            parts.append(.expr(try expression()))
            switch kind {
            case .interpMid:
                if !text.isEmpty { parts.append(.text(text)) }
                advance()
            case .interpEnd:
                if !text.isEmpty { parts.append(.text(text)) }
                popMode()
                openers.removeLast()
                advance()
                return .interpolated(parts, tokens[first].pos)
            default:
                throw unclosedInterpolation(first)
            }
        }
    }

    @inline(never)
    func unclosedInterpolation(_ first: Int) -> ParseError {
        error("expected ')' to close '\\(' in the string at \(tokens[first].pos), found \(describe(cur))")
    }

    /// `super.name`
    func superAttr() throws(ParseError) -> Expr {
        let p = pos
        advance()
        guard kind == .dot else { throw expected("'.' after 'super' (write 'super.method(...)')") }
        advance()
        let name = try expectIdentifier("a method or attribute name after 'super.'")
        return .superAttr(tokens[name].text, p)
    }

    /// `fn(params) => expr` or `fn(params) { body }`
    func functionExpr() throws(ParseError) -> Expr {
        let p = pos
        advance()
        if kind == .identifier { throw namedFunctionExpression() }
        let params = try parameters()
        let body = try functionBody()
        return .function(FuncDecl(name: nil, params: params, body: body, pos: p))
    }

    @inline(never)
    func namedFunctionExpression() -> ParseError {
        error("a function expression has no name: write 'fn(...)', or declare 'fn \(text)(...) { }' as a statement")
    }

    /// `=> expr` (becomes a single `return`) or a block.
    func functionBody() throws(ParseError) -> [Stmt] {
        if kind == .arrow {
            advance()
            let e = try expression()
            return [.returnStmt(e, e.pos)]
        }
        guard kind == .lbrace else { throw expected("'{' or '=>' to start the function body") }
        return try block("")
    }

    /// `(a, b = 1, ...rest)`
    func parameters() throws(ParseError) -> [Param] {
        guard kind == .lparen else { throw expected("'(' to start the parameter list") }
        let open = try self.open(ignoreNewlines: true)
        var params: [Param] = []
        var names = Set<String>()
        var rest = -1
        while kind != .rparen {
            if rest >= 0 { throw restNotLast(rest) }
            var isRest = false
            if kind == .ellipsis {
                advance()
                isRest = true
            }
            let name = try expectIdentifier(isRest ? "a parameter name after '...'" : "a parameter name")
            let nameText = tokens[name].text
            if !names.insert(nameText).inserted { throw duplicateParameter(name) }
            var def: Expr?
            if kind == .assign {
                if isRest { throw error("a rest parameter cannot have a default value") }
                advance()
                def = try expression()
            }
            if isRest { rest = name }
            params.append(Param(name: nameText, defaultValue: def, isRest: isRest, pos: tokens[name].pos))
            if kind == .comma { advance(); continue }
            if kind != .rparen { break }
        }
        try close(.rparen, open, expecting: "',' or ')'")
        return params
    }

    @inline(never)
    func restNotLast(_ rest: Int) -> ParseError {
        error("the rest parameter '...\(tokens[rest].text)' must be the last parameter")
    }

    @inline(never)
    func duplicateParameter(_ name: Int) -> ParseError {
        error("duplicate parameter name '\(tokens[name].text)'", at: tokens[name].pos)
    }

    // MARK: - Infix rules

    /// Arithmetic and bitwise operators (left-associative).
    func binary() throws(ParseError) -> ChainStep {
        let k = kind
        advance()
        let right = try parseExpr(PrattParser.rules[Int(k.rawValue)].prec.next)
        return .binary(k.binOp ?? .add, right)
    }

    /// `**`: right-associative, and the right operand may carry a unary minus (`2 ** -1`).
    func power() throws(ParseError) -> ChainStep {
        advance()
        return .binary(.pow, try parseExpr(.unary))
    }

    func logical() throws(ParseError) -> ChainStep {
        let isAnd = kind == .kwAnd
        advance()
        if isAnd { return .and(try parseExpr(Prec.and.next)) }
        return .or(try parseExpr(Prec.or.next))
    }

    /// `== != < <= > >= in not in is is not` — non-associative.
    func comparison(_ left: Expr) throws(ParseError) -> Expr {
        let k = kind
        let op: CmpOp
        advance()
        switch k {
        case .eqEq: op = .eq
        case .bangEq: op = .ne
        case .lt: op = .lt
        case .le: op = .le
        case .gt: op = .gt
        case .ge: op = .ge
        case .kwIn: op = .isIn
        case .kwIs:
            if kind == .kwNot { advance(); op = .isNot } else { op = .isSame }
        default:  // `not` must be `not in`
            guard kind == .kwIn else { throw expected("'in' after 'not' (as in 'x not in xs')") }
            advance()
            op = .notIn
        }
        let right = try parseExpr(Prec.comparison.next)
        if kind.isComparison {
            throw error("comparison operators cannot be chained; use 'and' (write 'a < b and b < c')")
        }
        return .compare(op, left, right, left.pos)
    }

    /// `a ..< b`, `a ... b` — non-associative.
    func range(_ left: Expr) throws(ParseError) -> Expr {
        let inclusive = kind == .ellipsis
        advance()
        let right = try parseExpr(Prec.range.next)
        if kind == .rangeExcl || kind == .ellipsis { throw error("range operators cannot be chained") }
        return .range(left, right, inclusive: inclusive, left.pos)
    }

    /// `c ? a : b` — right-associative.
    func ternary(_ cond: Expr) throws(ParseError) -> Expr {
        advance()
        let a = try expression()
        try expect(.colon, "':' in the conditional expression 'c ? a : b'")
        let b = try expression()
        return .ternary(cond, a, b, cond.pos)
    }

    /// `f(a, k: v, ...xs)` — a positional argument may not follow a keyword argument
    /// (a spread may: it is how `spawn(f, name: "w", ...args)`-style calls read).
    func call() throws(ParseError) -> ChainStep {
        let open = try self.open(ignoreNewlines: true)
        var args: [Argument] = []
        var firstKeyword = -1
        while kind != .rparen {
            if kind == .ellipsis {
                advance()
                args.append(.spread(try expression()))
            } else if kind == .identifier && peekKind(1) == .colon {
                let name = i
                advance()
                advance()
                args.append(.keyword(tokens[name].text, try expression(), tokens[name].pos))
                if firstKeyword < 0 { firstKeyword = name }
            } else {
                let e = try expression()
                if firstKeyword >= 0 { throw positionalAfterKeyword(firstKeyword, e.pos) }
                args.append(.positional(e))
            }
            if kind == .comma { advance(); continue }
            if kind != .rparen { break }
        }
        try close(.rparen, open, expecting: "',' or ')'")
        return .call(args)
    }

    @inline(never)
    func positionalAfterKeyword(_ keyword: Int, _ at: SourcePos) -> ParseError {
        error("a positional argument cannot follow the keyword argument '\(tokens[keyword].text):'", at: at)
    }

    /// `a[i]`, `a[i:j]`, `a[:j]`, `a[i:]`, `a[:]`
    func indexOrSlice() throws(ParseError) -> ChainStep {
        let p = pos
        let open = try self.open(ignoreNewlines: true)
        var lo: Expr?
        if kind != .colon { lo = try expression() }
        if kind == .colon {
            advance()
            var hi: Expr?
            if kind != .rbracket { hi = try expression() }
            try close(.rbracket, open)
            return .slice(lo, hi)
        }
        try close(.rbracket, open, expecting: "']' or ':'")
        return .index(lo ?? .nilLit(p))
    }

    /// `a.name`
    func attribute() throws(ParseError) -> ChainStep {
        advance()
        let name = try expectIdentifier("an attribute name after '.'")
        return .attr(tokens[name].text)
    }
}
