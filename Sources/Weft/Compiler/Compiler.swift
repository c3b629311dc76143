// Compiles the syntax tree to bytecode in one pass per function. Names resolve at
// compile time: locals to frame slots, variables of enclosing functions to
// captures, top-level declarations to module global slots, and the rest to
// builtins (or to an unset global that raises NameError when read).

/// A compile error (reported like a syntax error, with `error:`).
struct CompileError: Error {
    var issues: [SyntaxIssue]
}

final class Compiler {
    let file: String
    let globals: GlobalTable
    let builtins: [String: Word]
    /// REPL mode: top-level redeclaration replaces the old binding.
    let allowRedeclare: Bool
    private(set) var issues: [SyntaxIssue] = []
    private var fs: FunctionState
    /// Top-level names declared anywhere in this chunk (globals are late-bound).
    private var topLevelNames: [String: Bool] = [:]    // name -> isConst
    private var declaredGlobals: Set<String> = []
    /// Address near the top of the compiler's stack (set by `compileProgram`).
    private var stackBase: UInt = 0
    private var reportedTooDeep = false

    /// Stack the compiler may use below `compileProgram`. The parser caps nesting at
    /// `Parser.maxDepth`, which keeps the compiler's recursion far inside this in
    /// release builds; this budget is the backstop (unoptimized builds have much
    /// larger frames), so compiling is safe even on a 512 KiB thread — `check` and
    /// `eval` compile on the caller's thread.
    static let stackBudget: UInt = 256 * 1024

    /// Largest instruction operand (tests lower it to reach the limit cheaply).
    let operandLimit: Int

    init(file: String, globals: GlobalTable, builtins: [String: Word], allowRedeclare: Bool = false,
         operandLimit: Int = FunctionState.maxOperand) {
        self.file = file; self.globals = globals; self.builtins = builtins
        self.allowRedeclare = allowRedeclare
        self.operandLimit = operandLimit
        self.fs = FunctionState(parent: nil, name: "<main>", isMethod: false, isTopLevel: true,
                                operandLimit: operandLimit)
    }

    /// Compiles a whole program into the prototype of its top-level code.
    /// The value of a final expression statement is returned (for the REPL and `eval`).
    func compileProgram(_ program: [Stmt]) throws -> FuncProto {
        var marker: UInt8 = 0
        stackBase = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        collectTopLevel(program)
        for (i, s) in program.enumerated() {
            if i == program.count - 1, case .expr(let e, let p) = s {
                fs.pos = p
                compileExpr(e)
                fs.emit(.ret, effect: -1)
                return try finish()
            }
            compileStmt(s)
        }
        fs.emit(.pushNil, effect: 1)
        fs.emit(.ret, effect: -1)
        return try finish()
    }

    private func finish() throws -> FuncProto {
        let proto = makeProto(fs, paramNames: [], hasDefault: [], restIndex: nil)   // may add an issue
        if !issues.isEmpty { throw CompileError(issues: issues) }
        return proto
    }

    private func makeProto(_ f: FunctionState, paramNames: [String], hasDefault: [Bool], restIndex: Int?) -> FuncProto {
        if let p = f.overflowPos {
            error("function '\(f.name)' is too large: more than \(f.operandLimit) local variables, "
                  + "constants, names or instructions", p)
        }
        let (code, positions) = Peephole.finalCode(f.code, f.positions)
        return FuncProto(name: f.name, file: file, paramNames: paramNames, hasDefault: hasDefault,
                         restIndex: restIndex, isMethod: f.isMethod, slotCount: f.slotHighWater,
                         maxStack: f.maxStack + 2, captures: f.captures, code: code,
                         constants: f.constants, positions: positions, keywordSets: f.keywordSets,
                         globals: globals)
    }

    /// Compiles a condition and a jump taken when it is false; returns the jump's pc.
    /// Comparisons fuse with the branch into one instruction.
    private func compileJumpIfFalse(_ cond: Expr) -> Int {
        if case .compare(let op, let a, .nilLit, let p) = cond, op == .isSame || op == .isNot {
            // `x is nil` / `x is not nil`: no nil pushed, no bool made.
            compileExpr(a)
            fs.pos = p
            return fs.emit(op == .isSame ? .jumpUnlessNil : .jumpIfNil, 0, effect: -1)
        }
        if case .compare(let op, let a, let b, let p) = cond {
            let fused: Op?
            switch compareOpcode(op) {
            case .lt: fused = .jumpUnlessLt
            case .le: fused = .jumpUnlessLe
            case .gt: fused = .jumpUnlessGt
            case .ge: fused = .jumpUnlessGe
            case .eq: fused = .jumpUnlessEq
            case .ne: fused = .jumpUnlessNe
            default: fused = nil
            }
            if let f = fused {
                compileExpr(a); compileExpr(b)
                fs.pos = p
                return fs.emit(f, 0, effect: -2)
            }
        }
        compileExpr(cond)
        return fs.emit(.jumpIfFalse, 0, effect: -1)
    }

    private func error(_ message: String, _ pos: SourcePos) {
        issues.append(SyntaxIssue(message: message, pos: pos))
    }

    /// Has the compiler used more than `stackBudget` bytes of stack? Every recursive
    /// path (expressions, statements, patterns, `with` items, comprehension clauses)
    /// checks this.
    @inline(__always)
    private func stackExhausted() -> Bool {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return here < stackBase && stackBase - here > Compiler.stackBudget
    }

    /// Reports "nested too deeply" (once per compilation).
    @inline(never)
    private func tooDeep(_ pos: SourcePos) {
        guard !reportedTooDeep else { return }
        reportedTooDeep = true
        error("expression nested too deeply to compile", pos)
    }

    // MARK: - Names

    private func collectTopLevel(_ program: [Stmt]) {
        func add(_ t: Target, _ isConst: Bool) {
            switch t {
            case .name(let n, _): topLevelNames[n] = isConst
            case .list(let ts, _): ts.forEach { add($0, isConst) }
            }
        }
        for s in program {
            switch s {
            case .declare(let c, let t, _, _): add(t, c)
            case .function(let f): if let n = f.name { topLevelNames[n] = true }
            case .classDecl(let c): topLevelNames[c.name] = true
            case .importStmt(let d): topLevelNames[d.alias] = false
            default: break
            }
        }
    }

    private enum Resolved {
        case local(Local)
        case capture(Int, isCell: Bool, isConst: Bool)
        case global(Int, isConst: Bool)
        case builtin(Word)
    }

    private func resolve(_ name: String) -> Resolved {
        if let l = fs.findLocal(name) { return .local(l) }
        if let c = resolveCapture(fs, name) {
            return .capture(c, isCell: fs.captures[c].isCell, isConst: fs.captureConst[c])
        }
        let slot = globals.slot(for: name)
        let known = topLevelNames[name] != nil || declaredGlobals.contains(name) ||
            globals.lookup(name) != nil
        if !known, let b = builtins[name] { return .builtin(b) }
        let isConst = topLevelNames[name] ?? globals.locked { globals.constant[slot] }
        return .global(slot, isConst: isConst)
    }

    /// Finds `name` in an enclosing function and threads a capture down to `f`.
    private func resolveCapture(_ f: FunctionState, _ name: String) -> Int? {
        if let i = f.captureIndex[name] { return i }
        guard let parent = f.parent else { return nil }
        if parent.isTopLevel && parent.scopes.count == 1 { return nil }   // globals are not captured
        if let l = parent.findLocal(name) {
            if parent.isTopLevel && l.scopeDepth == 0 { return nil }
            parent.capture(l)
            return addCapture(f, name, CaptureSpec(fromParentSlot: true, index: l.slot, isCell: l.isCell),
                              l.isConst || l.readOnly)
        }
        guard let pi = resolveCapture(parent, name) else { return nil }
        return addCapture(f, name, CaptureSpec(fromParentSlot: false, index: pi, isCell: parent.captures[pi].isCell),
                          parent.captureConst[pi])
    }

    private func addCapture(_ f: FunctionState, _ name: String, _ spec: CaptureSpec, _ isConst: Bool) -> Int {
        f.captureIndex[name] = f.captures.count
        f.captures.append(spec); f.captureNames.append(name); f.captureConst.append(isConst)
        return f.captures.count - 1
    }

    private func emitLoad(_ name: String, _ pos: SourcePos) {
        switch resolve(name) {
        case .local(let l):
            let pc = fs.emit(l.isCell ? .loadCell : .loadLocal, l.slot, effect: 1)
            l.accessPCs.append(pc)
        case .capture(let i, let isCell, _):
            fs.emit(isCell ? .loadCaptureCell : .loadCapture, i, effect: 1)
        case .global(let g, _):
            fs.emit(.loadGlobal, g, effect: 1)
        case .builtin(let v):
            fs.emit(.constant, fs.constant(v), effect: 1)
        }
    }

    /// Emits a store to an existing variable (an assignment, not a declaration).
    private func emitStore(_ name: String, _ pos: SourcePos) {
        switch resolve(name) {
        case .local(let l):
            if l.isConst || l.readOnly { error("cannot assign to constant '\(name)'", pos) }
            let pc = fs.emit(l.isCell ? .storeCell : .storeLocal, l.slot, effect: -1)
            l.accessPCs.append(pc)
        case .capture(let i, let isCell, let isConst):
            if isConst || !isCell { error("cannot assign to constant '\(name)'", pos) }
            fs.emit(.storeCaptureCell, i, effect: -1)
        case .global(let g, let isConst):
            // Top-level code runs in order, so it may only assign globals declared
            // above it; functions run later and may assign any top-level global.
            let inMainChunk = fs.parent == nil
            let declared = declaredGlobals.contains(name) || globals.lookup(name) != nil ||
                (!inMainChunk && topLevelNames[name] != nil)
            if !declared {
                error("cannot assign to undeclared variable '\(name)'\(suggestion(for: name))", pos)
            } else if isConst {
                error("cannot assign to constant '\(name)'", pos)
            }
            fs.emit(.storeGlobal, g, effect: -1)
        case .builtin:
            error("cannot assign to undeclared variable '\(name)'\(suggestion(for: name))", pos)
            fs.emit(.pop, effect: -1)
        }
    }

    /// "did you mean" hints still to compute: each scans every visible name, so a
    /// program with very many locals and very many bad names stays linear. (Reports
    /// show at most `SyntaxReport.maxIssues` issues anyway.)
    private var suggestionsLeft = SyntaxReport.maxIssues

    private func suggestion(for name: String) -> String {
        let length = name.unicodeScalars.count
        guard suggestionsLeft > 0, length <= 64 else { return "" }
        suggestionsLeft -= 1
        let limit = max(1, name.count / 3)
        var candidates: [String] = []
        var f: FunctionState? = fs
        while let s = f {
            candidates += s.visibleNames
            candidates += s.captureNames
            f = s.parent
        }
        candidates += topLevelNames.keys
        candidates += globals.locked { globals.names }
        var best: (String, Int)?
        for c in Set(candidates) where c != name && abs(c.unicodeScalars.count - length) <= limit {
            let d = editDistance(c, name)
            if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) {
                best = (c, d)
            }
        }
        return best.map { "; did you mean '\($0.0)'?" } ?? ""
    }

    /// Declares a new variable in the current scope and stores the value on top of the stack.
    private func declare(_ name: String, isConst: Bool, _ pos: SourcePos) {
        if fs.isTopLevel && fs.scopes.count == 1 {
            if declaredGlobals.contains(name) && !allowRedeclare {
                error("'\(name)' is already declared in this scope", pos)
            }
            declaredGlobals.insert(name)
            let g = globals.slot(for: name)
            globals.locked { globals.constant[g] = isConst }
            fs.emit(.storeGlobal, g, effect: -1)
            return
        }
        if fs.declaredInCurrentScope(name) {
            error("'\(name)' is already declared in this scope", pos)
        }
        let local = newLocal(name, isConst: isConst, pos)
        let pc = fs.emit(.storeLocal, local.slot, effect: -1)
        local.accessPCs.append(pc)
    }

    /// Allocates a local slot with a placeholder for boxing (the value is stored separately).
    private func newLocal(_ name: String, isConst: Bool, _ pos: SourcePos) -> Local {
        let slot = fs.allocSlot()
        let declPC = isConst ? nil : fs.emit(.nop, effect: 0)
        let local = Local(name: name, slot: slot, isConst: isConst, declPC: declPC, pos: pos)
        fs.addLocal(local)
        return local
    }

    /// Declares each name of a target pattern, consuming the value on the stack.
    /// With `unlessAssigned`, a name not in that set is declared constant (it is never
    /// assigned, so closures may capture its value).
    private func declareTarget(_ t: Target, isConst: Bool, unlessAssigned: Set<String>? = nil) {
        if stackExhausted() {
            tooDeep(t.pos)
            fs.emit(.pop, effect: -1)
            return
        }
        switch t {
        case .name(let n, let p):
            fs.pos = p
            declare(n, isConst: isConst || (unlessAssigned.map { !$0.contains(n) } ?? false), p)
        case .list(let ts, let p):
            fs.pos = p
            fs.emit(.unpack, ts.count, effect: ts.count - 1)
            for sub in ts { declareTarget(sub, isConst: isConst, unlessAssigned: unlessAssigned) }
        }
    }

    /// A hidden local for compiler temporaries (iterators, comprehension results).
    private func hiddenSlot() -> Int {
        let l = Local(name: " tmp\(fs.nextSlot)", slot: fs.allocSlot(), isConst: true, declPC: nil, pos: fs.pos)
        fs.addLocal(l)
        return l.slot
    }

    // MARK: - Statements

    private func compileBlock(_ stmts: [Stmt]) {
        fs.beginScope()
        for s in stmts { compileStmt(s) }
        fs.endScope()
    }

    /// Compiles a statement. Each construct with any size compiles in a function of
    /// its own (see the stack-discipline note on `compileExpr`).
    private func compileStmt(_ s: Stmt) {
        if stackExhausted() { tooDeep(s.pos); return }
        fs.pos = s.pos
        switch s {
        case .expr(let e, _):
            compileExpr(e)
            fs.emit(.pop, effect: -1)
        case .declare(let isConst, let target, let value, let pos): compileDeclare(isConst, target, value, pos)
        case .assign(let target, let value, let pos):
            compileAssign(target, value, pos)
        case .compound(let op, let target, let value, let pos):
            compileCompound(op, target, value, pos)
        case .ifStmt(let branches, let elseBody, _): compileIf(branches, elseBody)
        case .whileStmt(let cond, let body, _): compileWhile(cond, body)
        case .forIn(let targets, let iterable, let body, let pos): compileFor(targets, iterable, body, pos)
        case .breakStmt(let pos): compileBreak(pos)
        case .continueStmt(let pos): compileContinue(pos)
        case .returnStmt(let value, let pos): compileReturn(value, pos)
        case .throwStmt(let e, _):
            compileExpr(e)
            fs.emit(.throwError, effect: -1)
        case .tryStmt(let body, let catches, let finallyBody, let pos):
            compileTry(body, catches, finallyBody, pos)
        case .with(let items, let body, let pos):
            compileWith(items[...], body, pos)
        case .importStmt(let d): compileImport(d)
        case .function(let f): compileFunctionDecl(f)
        case .classDecl(let c):
            compileClass(c)
        case .block(let stmts, _):
            compileBlock(stmts)
        }
    }

    private func compileDeclare(_ isConst: Bool, _ target: Target, _ value: Expr?, _ pos: SourcePos) {
        if let v = value { compileExpr(v) } else {
            if isConst { error("'let' needs a value", pos) }
            fs.emit(.pushNil, effect: 1)
        }
        fs.pos = pos
        declareTarget(target, isConst: isConst)
    }

    private func compileIf(_ branches: [(Expr, [Stmt])], _ elseBody: [Stmt]?) {
        var endJumps: [Int] = []
        for (cond, body) in branches {
            fs.pos = cond.pos
            let skip = compileJumpIfFalse(cond)
            compileBlock(body)
            endJumps.append(fs.emit(.jump, 0, effect: 0))
            fs.patch(skip, to: fs.here)
        }
        if let e = elseBody { compileBlock(e) }
        for j in endJumps { fs.patch(j, to: fs.here) }
    }

    private func compileWhile(_ cond: Expr, _ body: [Stmt]) {
        let top = fs.here
        let exit = compileJumpIfFalse(cond)
        compileLoopBody(body, continueTarget: top) {}
        fs.emit(.jump, top, effect: 0)
        fs.patch(exit, to: fs.here)
        patchBreaks()
    }

    /// How `for targets in iterable` walks: with two targets, `enumerate(x)` and
    /// `zip(x, y)` of the builtins (not shadowed) give their pairs without building a
    /// list per step, from the items the builtin would have gathered (mode 2, 3); any
    /// other iterable's elements are split in two as they come (mode 1). With one
    /// target, `reversed(x)` of the builtin walks a range backwards (mode 4); every
    /// other loop iterates its value (mode 0).
    private func pairLoop(_ targets: [Target], _ iterable: Expr) -> (mode: Int, operands: [Expr]) {
        guard targets.count == 2 else {
            // `for x in reversed(e)` of the builtin: a range is walked backwards
            // without a list (iterInit mode 4).
            if targets.count == 1, case .chain(.name("reversed", _), let steps, _) = iterable, steps.count == 1,
               case .call(let args) = steps[0], args.count == 1, case .positional(let e) = args[0],
               case .builtin = resolve("reversed") {
                return (4, [e])
            }
            return (0, [iterable])
        }
        if case .chain(.name(let name, _), let steps, _) = iterable, steps.count == 1,
           case .call(let args) = steps[0], name == "enumerate" || name == "zip" {
            let operands = args.compactMap { arg -> Expr? in
                if case .positional(let e) = arg { return e }
                return nil
            }
            if operands.count == args.count, case .builtin = resolve(name) {
                if name == "enumerate" && operands.count == 1 { return (2, operands) }
                if name == "zip" && operands.count == 2 { return (3, operands) }
            }
        }
        return (1, [iterable])
    }

    /// Evaluates the iterable, makes the loop's iterator in a hidden slot and emits
    /// the step that pushes the next element(s); returns the slot, the loop top and
    /// that step (to patch with the exit) and how many values it pushes.
    private func beginIteration(_ targets: [Target], _ iterable: Expr, _ pos: SourcePos)
        -> (top: Int, next: Int, pushed: Int) {
        let (mode, operands) = pairLoop(targets, iterable)
        for e in operands { compileExpr(e) }
        fs.beginScope()
        let it = hiddenSlot()
        fs.pos = pos
        fs.emit(.iterInit, it, effect: -operands.count); fs.word(mode)
        let top = fs.here
        let pushed = mode == 0 || mode == 4 ? 1 : 2
        let next = fs.emit(pushed == 1 ? .iterNext : .iterNext2, it, effect: pushed); fs.word(0)
        return (top, next, pushed)
    }

    /// Binds the pushed element(s) to the loop's targets.
    private func bindLoopTargets(_ targets: [Target], pushed: Int, unlessAssigned assigned: Set<String>?) {
        if targets.count > pushed {
            fs.emit(.unpack, targets.count, effect: targets.count - 1)
        }
        for t in targets { declareTarget(t, isConst: false, unlessAssigned: assigned) }
    }

    private func compileFor(_ targets: [Target], _ iterable: Expr, _ body: [Stmt], _ pos: SourcePos) {
        let (top, next, pushed) = beginIteration(targets, iterable, pos)
        // Loop variables the body never assigns are captured by value.
        let assigned = assignedNames(body)
        compileLoopBody(body, continueTarget: top) {
            self.bindLoopTargets(targets, pushed: pushed, unlessAssigned: assigned)
        }
        fs.emit(.jump, top, effect: 0)
        fs.patch(next, to: fs.here, extraWord: true)
        fs.adjust(-pushed)   // the values the step would have pushed
        patchBreaks()
        fs.endScope()
    }

    private func compileBreak(_ pos: SourcePos) {
        guard let loop = fs.loops.last else { error("'break' outside a loop", pos); return }
        emitCleanups(downTo: loop.cleanupDepth)
        let j = fs.emit(.jump, 0, effect: 0)
        fs.loops[fs.loops.count - 1].breakJumps.append(j)
    }

    private func compileContinue(_ pos: SourcePos) {
        guard let loop = fs.loops.last else { error("'continue' outside a loop", pos); return }
        emitCleanups(downTo: loop.cleanupDepth)
        fs.emit(.jump, loop.continueTarget, effect: 0)
    }

    private func compileReturn(_ value: Expr?, _ pos: SourcePos) {
        if fs.isTopLevel && fs.parent == nil { error("'return' outside a function", pos) }
        if let v = value { compileExpr(v) } else { fs.emit(.pushNil, effect: 1) }
        if !fs.cleanups.isEmpty {
            fs.beginScope()
            let tmp = hiddenSlot()
            fs.emit(.storeLocal, tmp, effect: -1)
            emitCleanups(downTo: 0)
            fs.emit(.loadLocal, tmp, effect: 1)
            fs.endScope()
        }
        fs.emit(.ret, effect: -1)
    }

    private func compileImport(_ d: ImportDecl) {
        let key = d.path ?? d.module ?? ""
        fs.emit(.importModule, fs.constant(.string((d.path != nil ? "file:" : "mod:") + key)), effect: 1)
        declare(d.alias, isConst: true, d.pos)
    }

    private func compileFunctionDecl(_ f: FuncDecl) {
        let name = f.name ?? "<fn>"
        if fs.isTopLevel && fs.scopes.count == 1 {
            compileFunction(f, isMethod: false)
            declare(name, isConst: true, f.pos)
        } else {
            // Declared before its body compiles so it can call itself (via a Cell).
            if fs.declaredInCurrentScope(name) {
                error("'\(name)' is already declared in this scope", f.pos)
            }
            let local = newLocal(name, isConst: false, f.pos)
            local.readOnly = true
            compileFunction(f, isMethod: false)
            let pc = fs.emit(local.isCell ? .storeCell : .storeLocal, local.slot, effect: -1)
            local.accessPCs.append(pc)
        }
    }

    private func compileLoopBody(_ body: [Stmt], continueTarget: Int, bind: () -> Void) {
        fs.loops.append(LoopContext(continueTarget: continueTarget, cleanupDepth: fs.cleanups.count,
                                    scopeDepth: fs.scopes.count))
        fs.beginScope()
        bind()
        for s in body { compileStmt(s) }
        fs.endScope()
    }

    private func patchBreaks() {
        let loop = fs.loops.removeLast()
        for j in loop.breakJumps { fs.patch(j, to: fs.here) }
    }

    /// Emits the cleanup code of every protected region above `depth`, innermost first.
    private func emitCleanups(downTo depth: Int) {
        let saved = fs.cleanups
        var i = fs.cleanups.count - 1
        while i >= depth {
            let c = saved[i]
            // Code run by a cleanup is outside the region it cleans up.
            fs.cleanups = Array(saved[..<i])
            switch c {
            case .handler:
                fs.emit(.popTry, effect: 0)
            case .finally(let body):
                compileBlock(body)
            case .withExit(let slot):
                fs.emit(.loadLocal, slot, effect: 1)
                fs.emit(.invoke, Int(Symbols.exit), effect: 0); fs.word(0)
                fs.emit(.pop, effect: -1)
            }
            i -= 1
        }
        fs.cleanups = saved
    }

    private func compileTry(_ body: [Stmt], _ catches: [CatchClause], _ finallyBody: [Stmt]?, _ pos: SourcePos) {
        var finallySetup: Int?
        if let fin = finallyBody {
            finallySetup = fs.emit(.setupTry, 0, effect: 0)
            fs.cleanups.append(.finally(fin))
            fs.cleanups.append(.handler)
        }
        if catches.isEmpty {
            compileBlock(body)
        } else {
            let setup = fs.emit(.setupTry, 0, effect: 0)
            fs.cleanups.append(.handler)
            compileBlock(body)
            fs.cleanups.removeLast()
            fs.emit(.popTry, effect: 0)
            let skip = fs.emit(.jump, 0, effect: 0)
            fs.patch(setup, to: fs.here)
            // Handler: the error is on the stack.
            fs.adjust(1)
            fs.beginScope()
            let errSlot = hiddenSlot()
            fs.emit(.storeLocal, errSlot, effect: -1)
            var ends: [Int] = []
            for clause in catches {
                fs.pos = clause.pos
                var nextClause: [Int] = []
                if !clause.kinds.isEmpty {
                    var matched: [Int] = []
                    for kind in clause.kinds {
                        fs.emit(.loadLocal, errSlot, effect: 1)
                        compileExpr(kind)
                        fs.emit(.assertCatchable, effect: -1)
                        matched.append(fs.emit(.jumpIfTrue, 0, effect: -1))
                    }
                    nextClause.append(fs.emit(.jump, 0, effect: 0))
                    for m in matched { fs.patch(m, to: fs.here) }
                }
                fs.beginScope()
                if let b = clause.binding {
                    fs.emit(.loadLocal, errSlot, effect: 1)
                    declare(b, isConst: false, clause.pos)
                }
                for s in clause.body { compileStmt(s) }
                fs.endScope()
                ends.append(fs.emit(.jump, 0, effect: 0))
                for n in nextClause { fs.patch(n, to: fs.here) }
            }
            // No clause matched: re-raise.
            fs.emit(.loadLocal, errSlot, effect: 1)
            fs.emit(.throwError, effect: -1)
            fs.endScope()
            for e in ends { fs.patch(e, to: fs.here) }
            fs.patch(skip, to: fs.here)
        }
        if let fin = finallyBody, let setup = finallySetup {
            fs.cleanups.removeLast(2)
            fs.emit(.popTry, effect: 0)
            compileBlock(fin)
            let skip = fs.emit(.jump, 0, effect: 0)
            fs.patch(setup, to: fs.here)
            fs.adjust(1)
            fs.beginScope()
            let errSlot = hiddenSlot()
            fs.emit(.storeLocal, errSlot, effect: -1)
            compileBlock(fin)
            fs.emit(.loadLocal, errSlot, effect: 1)
            fs.emit(.throwError, effect: -1)
            fs.endScope()
            fs.patch(skip, to: fs.here)
        }
    }

    /// `with a, b as x { body }`: nested single-item withs, so items exit right to left
    /// and only those that entered.
    private func compileWith(_ items: ArraySlice<WithItem>, _ body: [Stmt], _ pos: SourcePos) {
        guard let item = items.first else { compileBlock(body); return }
        if stackExhausted() { tooDeep(item.pos); return }   // one level per item
        fs.beginScope()
        fs.pos = item.pos
        compileExpr(item.value)
        let ctx = hiddenSlot()
        fs.emit(.storeLocal, ctx, effect: -1)
        fs.emit(.loadLocal, ctx, effect: 1)
        fs.emit(.invoke, Int(Symbols.enter), effect: 0); fs.word(0)
        let setup: Int
        if let b = item.binding {
            // Bind before protecting: exit() runs only once enter() has returned.
            declare(b, isConst: false, item.pos)
            setup = fs.emit(.setupTry, 0, effect: 0)
        } else {
            fs.emit(.pop, effect: -1)
            setup = fs.emit(.setupTry, 0, effect: 0)
        }
        fs.cleanups.append(.withExit(slot: ctx))
        fs.cleanups.append(.handler)
        compileWith(items.dropFirst(), body, pos)
        fs.cleanups.removeLast(2)
        fs.emit(.popTry, effect: 0)
        fs.pos = item.pos
        fs.emit(.loadLocal, ctx, effect: 1)
        fs.emit(.invoke, Int(Symbols.exit), effect: 0); fs.word(0)
        fs.emit(.pop, effect: -1)
        let skip = fs.emit(.jump, 0, effect: 0)
        fs.patch(setup, to: fs.here)
        fs.adjust(1)
        let errSlot = hiddenSlot()
        fs.emit(.storeLocal, errSlot, effect: -1)
        fs.emit(.loadLocal, ctx, effect: 1)
        fs.emit(.invoke, Int(Symbols.exit), effect: 0); fs.word(0)
        fs.emit(.pop, effect: -1)
        fs.emit(.loadLocal, errSlot, effect: 1)
        fs.emit(.throwError, effect: -1)
        fs.patch(skip, to: fs.here)
        fs.endScope()
    }

    private func compileAssign(_ target: Expr, _ value: Expr, _ pos: SourcePos) {
        switch target {
        case .name(let n, let p):
            compileExpr(value)
            fs.pos = p
            emitStore(n, p)
        default:
            guard let (base, before, last) = target.lastStep else {
                error("cannot assign to this expression", pos); return
            }
            let p = target.pos
            switch last {
            case .index(let idx):
                compileChain(base, before, p); compileExpr(idx); compileExpr(value)
                fs.pos = p
                fs.emit(.storeIndex, effect: -3)
            case .attr(let name):
                compileChain(base, before, p); compileExpr(value)
                fs.pos = p
                fs.emit(.setAttr, Int(Symbols.intern(name)), effect: -2)
            default:
                error("cannot assign to this expression", pos)
            }
        }
    }

    private func compareOpcode(_ op: CmpOp) -> Op {
        switch op {
        case .eq: return .eq
        case .ne: return .ne
        case .lt: return .lt
        case .le: return .le
        case .gt: return .gt
        case .ge: return .ge
        case .isIn: return .isIn
        case .notIn: return .notIn
        case .isSame: return .isSame
        case .isNot: return .isNot
        }
    }

    private func binOpcode(_ op: BinOp) -> Op {
        switch op {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .floorDiv: return .floorDiv
        case .mod: return .mod
        case .pow: return .pow
        case .bitAnd: return .bitAnd
        case .bitOr: return .bitOr
        case .bitXor: return .bitXor
        case .shl: return .shl
        case .shr: return .shr
        }
    }

    private func compileCompound(_ op: BinOp, _ target: Expr, _ value: Expr, _ pos: SourcePos) {
        switch target {
        case .name(let n, let p):
            if op == .add || op == .sub, case .local(let l) = resolve(n), !l.isConst {
                compileExpr(value)
                fs.pos = p
                let pc = fs.emit(op == .add ? .addLocal : .subLocal, l.slot, effect: -1)
                l.accessPCs.append(pc)
                return
            }
            emitLoad(n, p)
            compileExpr(value)
            fs.pos = pos
            fs.emit(binOpcode(op), effect: -1)
            emitStore(n, p)
        default:
            guard let (base, before, last) = target.lastStep else {
                error("cannot assign to this expression", pos); return
            }
            let p = target.pos
            switch last {
            case .index(let idx):
                compileChain(base, before, p); compileExpr(idx)
                fs.pos = p
                fs.emit(.dup2, effect: 2)
                fs.emit(.index, effect: -1)
                compileExpr(value)
                fs.pos = pos
                fs.emit(binOpcode(op), effect: -1)
                fs.emit(.storeIndex, effect: -3)
            case .attr(let name):
                compileChain(base, before, p)
                fs.pos = p
                fs.emit(.dup, effect: 1)
                let sym = Int(Symbols.intern(name))
                fs.emit(.getAttr, sym, effect: 0)
                compileExpr(value)
                fs.pos = pos
                fs.emit(binOpcode(op), effect: -1)
                fs.emit(.setAttr, sym, effect: -2)
            default:
                error("cannot assign to this expression", pos)
            }
        }
    }

    // MARK: - Functions and classes

    /// Compiles a function body into a prototype and emits `closure` for it.
    /// (Split in three so the frame on the recursive path stays small.)
    private func compileFunction(_ f: FuncDecl, isMethod: Bool) {
        let outer = fs
        let inner = FunctionState(parent: outer, name: f.name ?? "<fn>", isMethod: isMethod, isTopLevel: false,
                                  operandLimit: operandLimit)
        fs = inner
        let signature = compileParameters(f, isMethod: isMethod)
        inner.beginScope()
        for s in f.body { compileStmt(s) }
        inner.endScope()
        fs = outer
        finishFunction(f, inner, signature)
    }

    private struct Signature {
        var names: [String] = [], hasDefault: [Bool] = [], rest: Int?
        var params: [Local] = []
        var boxPCs: [Int] = []
    }

    /// Declares `self` and the parameters and compiles the default values.
    private func compileParameters(_ f: FuncDecl, isMethod: Bool) -> Signature {
        let inner = fs
        inner.pos = f.pos
        if isMethod {
            let selfLocal = Local(name: "self", slot: inner.allocSlot(), isConst: true, declPC: nil, pos: f.pos)
            inner.addLocal(selfLocal, scope: 0)
        }
        var sig = Signature()
        var nameSet = Set<String>()
        // Parameters the body never assigns are captured by value.
        let assigned = assignedNames(f.body)
        for (i, p) in f.params.enumerated() {
            if !nameSet.insert(p.name).inserted { error("duplicate parameter '\(p.name)'", p.pos) }
            sig.names.append(p.name); sig.hasDefault.append(p.defaultValue != nil)
            if p.isRest { sig.rest = i }
            let local = Local(name: p.name, slot: inner.allocSlot(), isConst: !assigned.contains(p.name),
                              declPC: nil, pos: p.pos)
            inner.addLocal(local, scope: 0)
            sig.params.append(local)
        }
        // Defaults are evaluated per call, in order, so they may use earlier parameters.
        for (i, p) in f.params.enumerated() {
            guard let d = p.defaultValue else { continue }
            inner.pos = p.pos
            let check = inner.emit(.jumpIfNotMissing, sig.params[i].slot, effect: 0); inner.word(0)
            compileExpr(d)
            let pc = inner.emit(.storeLocal, sig.params[i].slot, effect: -1)
            sig.params[i].accessPCs.append(pc)
            inner.patch(check, to: inner.here, extraWord: true)
        }
        // Boxing captured parameters happens after defaults are filled in; the
        // placeholders become `boxLocal` once the body shows which are captured.
        sig.boxPCs = sig.params.map { _ in inner.emit(.nop, effect: 0) }
        return sig
    }

    /// Ends the body, boxes captured parameters, and emits the closure (in `fs`).
    private func finishFunction(_ f: FuncDecl, _ inner: FunctionState, _ sig: Signature) {
        inner.pos = f.pos
        inner.emit(.pushNil, effect: 1)
        inner.emit(.ret, effect: -1)
        for (i, p) in sig.params.enumerated() where p.isCell {
            inner.code[sig.boxPCs[i]] = UInt32(Op.boxLocal.rawValue) | (UInt32(truncatingIfNeeded: p.slot) << 8)
        }
        // Default prologue accesses happen before boxing: they must stay plain.
        for p in sig.params where p.isCell {
            for pc in p.accessPCs where pc < (sig.boxPCs.first ?? 0) {
                let op = inner.code[pc] & 0xFF
                if op == UInt32(Op.loadCell.rawValue) { inner.code[pc] = (inner.code[pc] & ~0xFF) | UInt32(Op.loadLocal.rawValue) }
                if op == UInt32(Op.storeCell.rawValue) { inner.code[pc] = (inner.code[pc] & ~0xFF) | UInt32(Op.storeLocal.rawValue) }
            }
        }
        let proto = makeProto(inner, paramNames: sig.names, hasDefault: sig.hasDefault, restIndex: sig.rest)
        fs.pos = f.pos
        fs.emit(.closure, fs.constant(.object(ProtoBox(proto))), effect: 1)
    }

    private func compileClass(_ c: ClassDecl) {
        fs.pos = c.pos
        let atTop = fs.isTopLevel && fs.scopes.count == 1
        var local: Local?
        if !atTop {
            if fs.declaredInCurrentScope(c.name) {
                error("'\(c.name)' is already declared in this scope", c.pos)
            }
            local = newLocal(c.name, isConst: false, c.pos)
        }
        if let s = c.superclass { compileExpr(s) } else { fs.emit(.pushNil, effect: 1) }
        var methodNames: [String] = [], methodSet = Set<String>()
        for m in c.methods {
            let name = m.name ?? "<fn>"
            if !methodSet.insert(name).inserted { error("method '\(name)' is already defined in class '\(c.name)'", m.pos) }
            methodNames.append(name)
            compileFunction(m, isMethod: true)
        }
        var attrNames: [String] = [], attrSet = Set<String>()
        for a in c.attrs {
            if !attrSet.insert(a.name).inserted { error("'\(a.name)' is already declared in class '\(c.name)'", a.pos) }
            attrNames.append(a.name)
            compileExpr(a.value)
        }
        fs.pos = c.pos
        let template = ClassTemplate(name: c.name, methodNames: methodNames, attrNames: attrNames)
        fs.emit(.makeClass, fs.constant(.object(template)), effect: -(methodNames.count + attrNames.count))
        if let l = local {
            let pc = fs.emit(l.isCell ? .storeCell : .storeLocal, l.slot, effect: -1)
            l.accessPCs.append(pc)
        } else {
            declare(c.name, isConst: true, c.pos)
        }
    }

    // MARK: - Expressions

    /// Compiles an expression, leaving its value on the stack.
    /// Stack discipline (as in the parser): this function and the helpers on the
    /// recursive path each hold one construct, so unoptimized builds, which give every
    /// binding and temporary its own stack slot, keep small frames per nesting level.
    private func compileExpr(_ e: Expr) {
        if stackExhausted() {
            tooDeep(e.pos)
            fs.emit(.pushNil, effect: 1)
            return
        }
        let saved = fs.pos
        fs.pos = e.pos
        switch e {
        case .interpolated(let parts, _): compileInterpolated(parts)
        case .list(let items, _): compileList(items)
        case .map(let pairs, _): compileMap(pairs)
        case .listComp, .mapComp: compileComprehensionExpr(e)
        case .function(let f): compileFunction(f, isMethod: false)
        case .unary(let op, let x, _): compileUnary(op, x)
        case .not(let x, _): compileUnary(nil, x)
        case .compare(let op, let a, let b, let p): compileBinaryNode(compareOpcode(op), 0, a, b, p)
        case .range(let a, let b, let inclusive, let p): compileBinaryNode(.makeRange, inclusive ? 1 : 0, a, b, p)
        case .ternary(let c, let a, let b, _): compileTernary(c, a, b)
        case .chain(let base, let steps, let p): compileChain(base, steps[...], p)
        default: compileLeaf(e)
        }
        fs.pos = saved
    }

    /// Expressions without subexpressions.
    private func compileLeaf(_ e: Expr) {
        switch e {
        case .nilLit: fs.emit(.pushNil, effect: 1)
        case .boolLit(let b, _): fs.emit(b ? .pushTrue : .pushFalse, effect: 1)
        case .intLit(let i, _):
            if i >= -(1 << 23) && i < (1 << 23) {
                fs.emit(.pushInt, i + (1 << 23), effect: 1)
            } else {
                fs.emit(.constant, fs.constant(.int(i)), effect: 1)
            }
        case .floatLit(let d, _): fs.emit(.constant, fs.constant(.float(d)), effect: 1)
        case .bytesLit(let b, _): fs.emit(.constant, fs.constant(.object(BytesObj(b))), effect: 1)
        case .string(let s, _): fs.emit(.constant, fs.constant(.string(s)), effect: 1)
        case .name(let n, let p): emitLoad(n, p)
        case .selfRef(let p):
            if fs.findLocal("self") == nil && resolveCapture(fs, "self") == nil {
                error("'self' used outside a method", p)
                fs.emit(.pushNil, effect: 1)
            } else {
                emitLoad("self", p)
            }
        case .superAttr(let name, let p):
            guard fs.isMethod else {
                error("'super' used outside a method", p)
                fs.emit(.pushNil, effect: 1)
                return
            }
            fs.emit(.loadLocal, 0, effect: 1)
            fs.emit(.getSuper, Int(Symbols.intern(name)), effect: 0)
        default:
            fs.emit(.pushNil, effect: 1)   // (compileExpr handles every other case)
        }
    }

    private func compileInterpolated(_ parts: [StringPart]) {
        for p in parts {
            switch p {
            case .text(let t): fs.emit(.constant, fs.constant(.string(t)), effect: 1)
            case .expr(let x):
                compileExpr(x)
                fs.emit(.toStr, effect: 0)
            }
        }
        fs.emit(.concat, parts.count, effect: 1 - parts.count)
    }

    private func compileList(_ items: [Expr]) {
        for x in items { compileExpr(x) }
        fs.emit(.buildList, items.count, effect: 1 - items.count)
    }

    private func compileMap(_ pairs: [(Expr, Expr)]) {
        for (k, v) in pairs { compileExpr(k); compileExpr(v) }
        fs.emit(.buildMap, pairs.count, effect: 1 - 2 * pairs.count)
    }

    private func compileComprehensionExpr(_ e: Expr) {
        switch e {
        case .listComp(let element, let clauses, _):
            compileComprehension(clauses, isMap: false) { slot in
                self.compileExpr(element)
                self.fs.emit(.appendLocal, slot, effect: -1)
            }
        case .mapComp(let key, let value, let clauses, _):
            compileComprehension(clauses, isMap: true) { slot in
                self.compileExpr(key); self.compileExpr(value)
                self.fs.emit(.insertLocal, slot, effect: -2)
            }
        default:
            break
        }
    }

    /// `- x`, `~ x`, or `not x` (op nil).
    private func compileUnary(_ op: UnaryOp?, _ x: Expr) {
        compileExpr(x)
        switch op {
        case .neg?: fs.emit(.neg, effect: 0)
        case .bitNot?: fs.emit(.bitNot, effect: 0)
        case nil: fs.emit(.not, effect: 0)
        }
    }

    /// `a op b` for a comparison or range: both operands, then `op` with operand `arg`.
    private func compileBinaryNode(_ op: Op, _ arg: Int, _ a: Expr, _ b: Expr, _ p: SourcePos) {
        compileExpr(a); compileExpr(b)
        fs.pos = p
        fs.emit(op, arg, effect: -1)
    }

    private func compileTernary(_ c: Expr, _ a: Expr, _ b: Expr) {
        let toElse = compileJumpIfFalse(c)
        compileExpr(a)
        let toEnd = fs.emit(.jump, 0, effect: 0)
        fs.adjust(-1)
        fs.patch(toElse, to: fs.here)
        compileExpr(b)
        fs.patch(toEnd, to: fs.here)
    }

    /// The slice `xs[a:b]` when `base` and the first step are `reversed(xs[a:b])`
    /// of the builtin (not shadowed).
    private func reversedSlice(_ base: Expr, _ steps: ArraySlice<ChainStep>) -> Expr? {
        guard case .name("reversed", _) = base, let first = steps.first,
              case .call(let args) = first, args.count == 1,
              case .positional(let arg) = args[0],
              case .chain(_, let argSteps, _) = arg, case .slice = argSteps.last,
              case .builtin = resolve("reversed") else { return nil }
        return arg
    }

    /// Compiles `base` and then each step in turn, leaving the value on the stack.
    /// Steps compile in a loop, so a chain of any length costs one level of recursion
    /// (its operands recurse, and those are as deep as the source nests them).
    /// `.attr(name)` followed by a call compiles to one `invoke`.
    private func compileChain(_ base: Expr, _ steps: ArraySlice<ChainStep>, _ p: SourcePos) {
        var i = steps.startIndex
        // Whether the value on the stack was just made by a slice, a list display,
        // a comprehension or such a `+` (a new list nobody else holds, when it is a
        // list).
        var fresh = false
        if let slice = reversedSlice(base, steps) {
            // `reversed(xs[a:b])`: the slice is a new list nobody else holds, so it is
            // reversed where it is instead of copied again.
            compileExpr(slice)
            fs.pos = p
            fs.emit(.reverseFresh, effect: 0)
            i += 1
            fresh = true
        } else {
            compileExpr(base)
            switch base {
            case .list, .listComp: fresh = true
            default: break
            }
        }
        while i < steps.endIndex {
            fs.pos = p
            if case .attr(let name) = steps[i], i + 1 < steps.endIndex, case .call(let args) = steps[i + 1],
               !Self.hasSpread(args) {
                compileInvoke(name, args, p)
                i += 2
                fresh = false
            } else if fresh, case .binary(.add, let rhs) = steps[i], let (sliced, lo, hi, rhsPos) = Self.sliceParts(rhs) {
                // `xs[a:b] + ys[c:d]`: ys's elements are appended to the new slice
                // where it is, instead of being copied into a second new list and
                // both into a third. `concatSlice` skips the `add` after it when it
                // did that, and otherwise leaves the slice for it (a str, an error
                // reported where the `+` is).
                compileExpr(sliced)
                compileSliceBounds(lo, hi)
                fs.pos = rhsPos
                fs.emit(.concatSlice, effect: -2)
                fs.pos = p
                fs.emit(.add, effect: -1)
                i += 1
            } else if fresh, case .binary(.add, let rhs) = steps[i] {
                // `xs[a:b] + ys`, `[x] + ys`: the same, for any right operand.
                compileExpr(rhs)
                fs.pos = p
                fs.emit(.concatFresh, effect: 0)
                fs.emit(.add, effect: -1)
                i += 1
            } else {
                compileStep(steps[i], p)
                if case .slice = steps[i] { fresh = true } else { fresh = false }
                i += 1
            }
        }
        fs.pos = p
    }

    /// `ys[c:d]` as the expression sliced, the bounds and the slice's position, or
    /// nil for anything else.
    private static func sliceParts(_ e: Expr) -> (Expr, Expr?, Expr?, SourcePos)? {
        guard case .chain(let base, let steps, let p) = e, case .slice(let lo, let hi) = steps.last else { return nil }
        let sliced = steps.count == 1 ? base : Expr.chain(base, Array(steps.dropLast()), p)
        return (sliced, lo, hi, p)
    }

    /// Pushes a slice's bounds (nil for one left out).
    private func compileSliceBounds(_ lo: Expr?, _ hi: Expr?) {
        if let l = lo { compileExpr(l) } else { fs.emit(.pushNil, effect: 1) }
        if let h = hi { compileExpr(h) } else { fs.emit(.pushNil, effect: 1) }
    }

    /// One step of a chain, applied to the value on the stack.
    private func compileStep(_ step: ChainStep, _ p: SourcePos) {
        switch step {
        case .binary(let op, .intLit(let k, _)) where (op == .add || op == .sub) && abs(k) < (1 << 22):
            fs.emit(op == .add ? .addImm : .subImm, k + (1 << 23), effect: 0)
        case .binary(let op, let b):
            compileExpr(b)
            fs.pos = p
            fs.emit(binOpcode(op), effect: -1)
        case .and(let b):
            let j = fs.emit(.jumpIfFalseOrPop, 0, effect: -1)
            compileExpr(b)
            fs.patch(j, to: fs.here)
        case .or(let b):
            let j = fs.emit(.jumpIfTrueOrPop, 0, effect: -1)
            compileExpr(b)
            fs.patch(j, to: fs.here)
        case .call(let args):
            if Self.hasSpread(args) { compileSpreadCall(args, p) } else { compileCall(args, p) }
        case .index(.intLit(let k, _)) where abs(k) < (1 << 22):
            fs.pos = p
            fs.emit(.indexImm, k + (1 << 23), effect: 0)
        case .index(let x):
            compileExpr(x)
            fs.pos = p
            fs.emit(.index, effect: -1)
        case .slice(let lo, let hi):
            compileSliceBounds(lo, hi)
            fs.pos = p
            fs.emit(.slice, effect: -2)
        case .attr(let name):
            fs.emit(.getAttr, Int(Symbols.intern(name)), effect: 0)
        }
    }

    private func compileComprehension(_ clauses: [CompClause], isMap: Bool, element: @escaping (Int) -> Void) {
        fs.beginScope()
        let result = hiddenSlot()
        fs.emit(isMap ? .buildMap : .buildList, 0, effect: 1)
        fs.emit(.storeLocal, result, effect: -1)
        func emitClauses(_ rest: ArraySlice<CompClause>, continueTarget: Int?) {
            guard let clause = rest.first else { element(result); return }
            if stackExhausted() { tooDeep(fs.pos); return }   // one level per clause
            switch clause {
            case .ifCond(let c):
                let skip = compileJumpIfFalse(c)
                emitClauses(rest.dropFirst(), continueTarget: continueTarget)
                fs.patch(skip, to: fs.here)
            case .forIn(let targets, let iterable, let p):
                let (top, next, pushed) = beginIteration(targets, iterable, p)
                fs.beginScope()
                bindLoopTargets(targets, pushed: pushed, unlessAssigned: nil)
                emitClauses(rest.dropFirst(), continueTarget: top)
                fs.endScope()
                fs.emit(.jump, top, effect: 0)
                fs.patch(next, to: fs.here, extraWord: true)
                fs.adjust(-pushed)
                fs.endScope()
            }
        }
        emitClauses(clauses[...], continueTarget: nil)
        fs.emit(.loadLocal, result, effect: 1)
        fs.endScope()
    }

    private static func hasSpread(_ args: [Argument]) -> Bool {
        args.contains { if case .spread = $0 { return true }; return false }
    }

    /// Positional and keyword arguments; reports a duplicate keyword.
    private func splitArguments(_ args: [Argument]) -> ([Expr], [(String, Expr, SourcePos)]) {
        var positional: [Expr] = [], keywords: [(String, Expr, SourcePos)] = []
        var seen = Set<String>()
        for a in args {
            switch a {
            case .positional(let e): positional.append(e)
            case .keyword(let n, let e, let p):
                if !seen.insert(n).inserted { error("duplicate keyword argument '\(n)'", p) }
                keywords.append((n, e, p))
            case .spread: break
            }
        }
        return (positional, keywords)
    }

    /// A call with spread arguments of the callee already on the stack.
    private func compileSpreadCall(_ args: [Argument], _ pos: SourcePos) {
        let (_, keywords) = splitArguments(args)
        do {
            // Positionals (with spreads) as one list, keywords as a map.
            fs.emit(.buildList, 0, effect: 1)
            var pending = 0
            for a in args {
                switch a {
                case .positional(let e):
                    compileExpr(e); pending += 1
                case .spread(let e):
                    if pending > 0 { fs.emit(.buildList, pending, effect: 1 - pending); fs.emit(.add, effect: -1); pending = 0 }
                    fs.emit(.buildList, 0, effect: 1)
                    compileExpr(e)
                    fs.emit(.add, effect: -1)   // [] + xs: TypeError unless xs is a list
                    fs.emit(.add, effect: -1)
                case .keyword: break
                }
            }
            if pending > 0 { fs.emit(.buildList, pending, effect: 1 - pending); fs.emit(.add, effect: -1) }
            if keywords.isEmpty {
                fs.emit(.pushNil, effect: 1)
            } else {
                for (n, e, _) in keywords { fs.emit(.constant, fs.constant(.string(n)), effect: 1); compileExpr(e) }
                fs.emit(.buildMap, keywords.count, effect: 1 - 2 * keywords.count)
            }
            fs.pos = pos
            fs.emit(.callSpread, effect: -2)
        }
    }

    /// A call (no spread) of the callee already on the stack.
    private func compileCall(_ args: [Argument], _ pos: SourcePos) {
        let (positional, keywords) = splitArguments(args)
        let argc = positional.count
        for e in positional { compileExpr(e) }
        for (_, e, _) in keywords { compileExpr(e) }
        fs.pos = pos
        if keywords.isEmpty {
            fs.emit(.call, argc, effect: -argc)
        } else {
            fs.keywordSets.append(KeywordNames(keywords.map(\.0)))
            fs.emit(.callKw, argc, effect: -argc - keywords.count); fs.word(fs.keywordSets.count - 1)
        }
    }

    /// `receiver.name(args)` with the receiver already on the stack (no spread).
    private func compileInvoke(_ name: String, _ args: [Argument], _ pos: SourcePos) {
        let (positional, keywords) = splitArguments(args)
        let argc = positional.count
        for e in positional { compileExpr(e) }
        for (_, e, _) in keywords { compileExpr(e) }
        fs.pos = pos
        let sym = Int(Symbols.intern(name))
        if keywords.isEmpty {
            fs.emit(.invoke, sym, effect: -argc); fs.word(argc)
        } else {
            fs.keywordSets.append(KeywordNames(keywords.map(\.0)))
            fs.emit(.invokeKw, sym, effect: -argc - keywords.count)
            fs.word(argc); fs.word(fs.keywordSets.count - 1)
        }
    }
}

/// Wraps a prototype so it can sit in a constant table.
final class ProtoBox: Obj {
    let proto: FuncProto
    init(_ proto: FuncProto) { self.proto = proto }
    override var typeName: String { "code" }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
