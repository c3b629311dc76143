// Statements, declarations and blocks (§4, §5 of LANGUAGE.md): recursive descent.
// (Same stack discipline as Parser.swift: test `kind`, build messages out of line.)

extension PrattParser {
    func statement() throws(ParseError) -> Stmt {
        switch kind {
        case .kwLet, .kwVar: return try declaration()
        case .kwIf: return try ifStatement()
        case .kwWhile: return try whileStatement()
        case .kwFor: return try forStatement()
        case .kwBreak:
            let p = pos
            advance()
            return .breakStmt(p)
        case .kwContinue:
            let p = pos
            advance()
            return .continueStmt(p)
        case .kwReturn: return try returnStatement()
        case .kwTry: return try tryStatement()
        case .kwThrow:
            let p = pos
            advance()
            return .throwStmt(try expression(), p)
        case .kwWith: return try withStatement()
        case .kwImport: return try importStatement()
        case .kwClass: return .classDecl(try classDeclaration())
        case .kwFn where peekKind(1) == .identifier:
            return .function(try functionDeclaration())
        case .lbrace:
            let p = pos
            return .block(try block(""), p)
        case .kwElse, .kwCatch, .kwFinally:
            throw misplacedClause()
        default:
            return try expressionStatement()
        }
    }

    @inline(never)
    func misplacedClause() -> ParseError {
        kind == .kwElse
            ? error("'else' without a matching 'if'")
            : error("'\(kind.spelling ?? "")' without a matching 'try'")
    }

    /// An expression, an assignment `target = e`, or a compound assignment `target op= e`.
    func expressionStatement() throws(ParseError) -> Stmt {
        let e = try expression()
        if kind == .assign {
            try checkAssignable(e)
            advance()
            return .assign(e, try expression(), e.pos)
        }
        if kind.isCompoundAssign, let op = kind.binOp {
            try checkAssignable(e)
            advance()
            return .compound(op, e, try expression(), e.pos)
        }
        return .expr(e, e.pos)
    }

    /// Only names, indexes and attributes can be assigned to.
    func checkAssignable(_ e: Expr) throws(ParseError) {
        if case .name = e { return }
        if let (_, _, last) = e.lastStep {
            switch last {
            case .index, .attr: return
            default: break
            }
        }
        throw notAssignable(e)
    }

    @inline(never)
    func notAssignable(_ e: Expr) -> ParseError {
        let what: String
        switch e.lastStep?.last {
        case .slice?: what = "a slice"
        case .call?: what = "a function call"
        default: what = Self.assignableDescription(e)
        }
        return error("cannot assign to \(what); the target must be a name, an index 'a[i]' or an attribute 'a.b'", at: e.pos)
    }

    private static func assignableDescription(_ e: Expr) -> String {
        let what: String
        switch e {
        case .intLit, .floatLit, .bytesLit, .string, .interpolated, .boolLit, .nilLit: what = "a literal"
        case .list, .listComp: what = "a list (use 'let [a, b] = ...' to destructure)"
        case .map, .mapComp: what = "a map"
        case .selfRef: what = "'self'"
        case .superAttr: what = "a 'super' attribute"
        case .function: what = "a function"
        case .compare: what = "a comparison (did you mean '=='?)"
        default: what = "an operator expression"
        }
        return what
    }

    /// `let target = e`, `var target [= e]`
    func declaration() throws(ParseError) -> Stmt {
        let p = pos
        let isConst = kind == .kwLet
        advance()
        let target = try bindingTarget()
        var value: Expr?
        if kind == .assign {
            advance()
            value = try expression()
        } else {
            var isPattern = false
            if case .list = target { isPattern = true }
            if isConst || isPattern || kind.isCompoundAssign { throw declarationNeedsValue(isConst) }
        }
        return .declare(isConst: isConst, target, value, p)
    }

    @inline(never)
    func declarationNeedsValue(_ isConst: Bool) -> ParseError {
        if isConst { return expected("'=' and a value (a 'let' constant needs a value)") }
        if kind.isCompoundAssign {
            return error("a new variable cannot be updated with '\(kind.spelling ?? "")'; write 'var x = ...'")
        }
        return expected("'=' and a value (a destructuring 'var [...]' needs a value)")
    }

    /// A name or a (nested) list pattern `[a, [b, c]]`.
    func bindingTarget() throws(ParseError) -> Target {
        if kind == .identifier {
            let at = i
            advance()
            return .name(tokens[at].text, tokens[at].pos)
        }
        guard kind == .lbracket else { throw expected("a name or a '[...]' pattern") }
        let p = pos
        // A nested pattern counts as a nesting level (no expression inside counts it).
        try enterNesting()
        defer { depth -= 1 }
        let open = try self.open(ignoreNewlines: true)
        var items: [Target] = []
        while kind != .rbracket {
            items.append(try bindingTarget())
            if kind == .comma { advance(); continue }
            if kind != .rbracket { break }
        }
        try close(.rbracket, open, expecting: "',' or ']'")
        if items.isEmpty { throw error("an empty pattern '[]' binds nothing", at: p) }
        return .list(items, p)
    }

    /// One or two loop targets: `x`, `k, v`, `[a, b]`.
    func loopTargets() throws(ParseError) -> [Target] {
        var targets = [try bindingTarget()]
        if kind == .comma {
            advance()
            targets.append(try bindingTarget())
            if kind == .comma {
                throw error("a for loop takes at most two loop variables; use a pattern like '[a, b, c]'")
            }
        }
        return targets
    }

    /// An `if`/`while` condition, with a friendly message for `if x = 1`.
    func condition() throws(ParseError) -> Expr {
        let e = try expression()
        if kind == .assign { throw error("unexpected '=' in a condition; use '==' to compare") }
        return e
    }

    func ifStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        let cond = try condition()
        var branches = [(cond, try block("after the if condition"))]
        var elseBody: [Stmt]?
        while kind == .kwElse {
            advance()
            if kind == .kwIf {
                advance()
                let c = try condition()
                branches.append((c, try block("after the if condition")))
                continue
            }
            elseBody = try block("after 'else'")
            break
        }
        return .ifStmt(branches, elseBody, p)
    }

    func whileStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        let cond = try condition()
        return .whileStmt(cond, try block("after the while condition"), p)
    }

    func forStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        let targets = try loopTargets()
        try expect(.kwIn, "'in' after the loop variables")
        let iterable = try expression()
        return .forIn(targets, iterable, try block("after the for loop's iterable"), p)
    }

    func returnStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        switch kind {
        case .newline, .semicolon, .rbrace, .eof: return .returnStmt(nil, p)
        default: return .returnStmt(try expression(), p)
        }
    }

    func tryStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        let body = try block("after 'try'")
        var catches: [CatchClause] = []
        var catchAll = -1
        while kind == .kwCatch {
            let c = i
            advance()
            var binding: String?
            var kinds: [Expr] = []
            if kind == .identifier {
                binding = text
                advance()
                if kind == .colon {
                    advance()
                    kinds.append(try dottedName("an error kind (like ValueError or mod.Oops)"))
                    while kind == .pipe {
                        advance()
                        kinds.append(try dottedName("an error kind after '|'"))
                    }
                }
            }
            if catchAll >= 0 { throw unreachableCatch(c, catchAll) }
            let b = try block("to start the catch clause")
            if kinds.isEmpty { catchAll = c }
            catches.append(CatchClause(binding: binding, kinds: kinds, body: b, pos: tokens[c].pos))
        }
        var finallyBody: [Stmt]?
        if kind == .kwFinally {
            advance()
            finallyBody = try block("after 'finally'")
        }
        if catches.isEmpty && finallyBody == nil { throw expected("'catch' or 'finally' after the 'try' block") }
        return .tryStmt(body, catches, finallyBody, p)
    }

    @inline(never)
    func unreachableCatch(_ c: Int, _ all: Int) -> ParseError {
        error("this 'catch' can never run: the 'catch' at \(tokens[all].pos) already catches every error",
              at: tokens[c].pos)
    }

    /// `Name` or `mod.Name` (error kinds, superclasses).
    func dottedName(_ what: String) throws(ParseError) -> Expr {
        let first = try expectIdentifier(what)
        let p = tokens[first].pos
        var steps: [ChainStep] = []
        while kind == .dot {
            advance()
            let n = try expectIdentifier("a name after '.'")
            steps.append(.attr(tokens[n].text))
        }
        return Expr.chained(.name(tokens[first].text, p), steps)
    }

    func withStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        var items: [WithItem] = []
        repeat {
            if !items.isEmpty { advance() }  // the ','
            let e = try expression()
            var binding: String?
            if kind == .kwAs {
                advance()
                binding = tokens[try expectIdentifier("a name after 'as'")].text
            }
            items.append(WithItem(value: e, binding: binding, pos: e.pos))
        } while kind == .comma
        return .with(items, try block("after the with items"), p)
    }

    func importStatement() throws(ParseError) -> Stmt {
        let p = pos
        advance()
        var path: String?
        var module: String?
        var alias: String
        switch kind {
        case .string:
            let s = i
            advance()
            let pathText = tokens[s].text
            if pathText.isEmpty { throw error("the import path is empty", at: tokens[s].pos) }
            path = pathText
            if kind == .kwAs {
                advance()
                alias = tokens[try expectIdentifier("a module name after 'as'")].text
            } else {
                guard let stem = PrattParser.moduleStem(pathText) else { throw noModuleName(s) }
                alias = stem
            }
        case .identifier:
            module = text
            alias = text
            advance()
            if kind == .kwAs {
                advance()
                alias = tokens[try expectIdentifier("a module name after 'as'")].text
            }
        case .interpBegin:
            throw error("an import path must be a plain string, without interpolation")
        default:
            throw expected("a module name or a path string after 'import'")
        }
        return .importStmt(ImportDecl(path: path, module: module, alias: alias, pos: p))
    }

    @inline(never)
    func noModuleName(_ s: Int) -> ParseError {
        error("cannot derive a module name from \"\(tokens[s].text)\"; add 'as name'", at: tokens[s].pos)
    }

    /// "lib/util.weft" → "util"; nil when the stem is not a valid name.
    static func moduleStem(_ path: String) -> String? {
        var name = Substring(path)
        if let slash = name.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
            name = name[name.index(after: slash)...]
        }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            name = name[..<dot]
        }
        guard let first = name.unicodeScalars.first else { return nil }
        func letter(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic }
        guard letter(first) else { return nil }
        for s in name.unicodeScalars.dropFirst() {
            guard letter(s) || s.properties.numericType == .decimal else { return nil }
        }
        let stem = String(name)
        if TokenKind.keywords[stem] != nil { return nil }
        return stem
    }

    /// `fn name(params) { body }` (or `=> expr`).
    func functionDeclaration() throws(ParseError) -> FuncDecl {
        let p = pos
        advance()
        let name = try expectIdentifier("a function name after 'fn'")
        let params = try parameters()
        let body = try functionBody()
        return FuncDecl(name: tokens[name].text, params: params, body: body, pos: p)
    }

    /// `class Name : Super { fn m() {}  let a = 1  var b = 2 }`
    func classDeclaration() throws(ParseError) -> ClassDecl {
        let p = pos
        advance()
        let name = try expectIdentifier("a class name after 'class'")
        var superclass: Expr?
        if kind == .colon {
            advance()
            superclass = try dottedName("a superclass name after ':'")
        }
        guard kind == .lbrace else { throw expected("'{' to start the class body") }
        let open = try self.open(ignoreNewlines: false)
        var methods: [FuncDecl] = []
        var attrs: [ClassAttr] = []
        while true {
            while kind == .newline || kind == .semicolon { advance() }
            if kind == .rbrace || kind == .eof { break }
            let cp = checkpoint()
            do throws(ParseError) {
                switch kind {
                case .kwFn: methods.append(try functionDeclaration())
                case .kwLet, .kwVar: attrs.append(try classAttribute())
                default: throw expected("'fn', 'let' or 'var' (a class body holds only declarations)")
                }
                try endOfStatement()
            } catch {
                recordPending()
                recover(cp)
            }
        }
        try close(.rbrace, open)
        return ClassDecl(name: tokens[name].text, superclass: superclass, methods: methods, attrs: attrs, pos: p)
    }

    /// `let name = e` / `var name [= e]` in a class body.
    func classAttribute() throws(ParseError) -> ClassAttr {
        let p = pos
        let isConst = kind == .kwLet
        advance()
        let name = try expectIdentifier("a class attribute name")
        let value: Expr
        if kind == .assign {
            advance()
            value = try expression()
        } else if isConst {
            throw expected("'=' and a value (a 'let' class attribute needs a value)")
        } else {
            value = .nilLit(tokens[name].pos)
        }
        return ClassAttr(name: tokens[name].text, isConst: isConst, value: value, pos: p)
    }

    /// `{ statements }` — newlines separate statements again inside, whatever the outer mode.
    func block(_ context: String) throws(ParseError) -> [Stmt] {
        guard kind == .lbrace else { throw blockExpected(context) }
        let open = try self.open(ignoreNewlines: false)
        let body = statements(inBlock: true)
        try close(.rbrace, open)
        return body
    }

    @inline(never)
    func blockExpected(_ context: String) -> ParseError {
        if kind == .assign && context.contains("condition") {
            return error("unexpected '=' in a condition; use '==' to compare")
        }
        return expected(context.isEmpty ? "'{'" : "'{' \(context)")
    }
}
