// Per-function compilation state: the code being emitted, local slots and scopes,
// captures, loop and cleanup contexts, and operand-stack depth accounting.

/// A local variable of the function being compiled.
final class Local {
    let name: String
    let slot: Int
    let isConst: Bool
    /// Placeholder `nop` emitted at the declaration; becomes `newCell` if an inner
    /// function captures this (assignable) variable.
    let declPC: Int?
    /// Every loadLocal/storeLocal emitted for it, patched to the cell form on capture.
    var accessPCs: [Int] = []
    var isCell = false
    /// Function and class names: assignable by nobody, but captured through a
    /// Cell so a local function can call itself.
    var readOnly = false
    let pos: SourcePos
    /// Index of the scope it was declared in (`FunctionState.scopes`).
    var scopeDepth = 0

    init(name: String, slot: Int, isConst: Bool, declPC: Int?, pos: SourcePos) {
        self.name = name; self.slot = slot; self.isConst = isConst; self.declPC = declPC; self.pos = pos
    }
}

/// Code that must run when control leaves a protected region early
/// (`return`, `break`, `continue`): a `finally` body or a `with` item's exit().
enum Cleanup {
    case finally([Stmt])
    case withExit(slot: Int)
    /// A handler pushed by setupTry that must be popped.
    case handler
}

struct LoopContext {
    var continueTarget: Int
    var breakJumps: [Int] = []
    /// Height of the cleanup stack when the loop started.
    var cleanupDepth: Int
    var scopeDepth: Int
}

final class FunctionState {
    let parent: FunctionState?
    let name: String
    let isMethod: Bool
    let isTopLevel: Bool
    var code: [UInt32] = []
    var positions: [SourcePos] = []
    var constants: [Word] = []
    var constantObjects: [Obj] = []
    var intConstants: [Int: Int] = [:]
    var stringConstants: [String: Int] = [:]
    var keywordSets: [KeywordNames] = []
    /// Locals by scope, innermost last (read-only outside: declare with `addLocal`).
    private(set) var scopes: [[Local]] = [[]]
    /// The visible locals of each name, innermost last: lookups cost O(1) however
    /// many locals a function has (150,000 locals once took 30 s to compile).
    private var visible: [String: [Local]] = [:]
    var nextSlot = 0
    var slotHighWater = 0
    var captures: [CaptureSpec] = []
    var captureNames: [String] = []
    var captureConst: [Bool] = []
    /// Index of each name in `captureNames`.
    var captureIndex: [String: Int] = [:]
    /// Largest operand an instruction word holds (24 bits; lower in tests).
    let operandLimit: Int
    /// Where an operand first exceeded `operandLimit` (a compile error, reported by
    /// the compiler when the function is finished).
    var overflowPos: SourcePos?
    var loops: [LoopContext] = []
    var cleanups: [Cleanup] = []
    var stack = 0
    var maxStack = 0
    var pos = SourcePos(line: 1, col: 1)

    init(parent: FunctionState?, name: String, isMethod: Bool, isTopLevel: Bool,
         operandLimit: Int = FunctionState.maxOperand) {
        self.parent = parent; self.name = name; self.isMethod = isMethod; self.isTopLevel = isTopLevel
        self.operandLimit = operandLimit
    }

    /// Operands live in the upper 24 bits of an instruction word.
    static let maxOperand = (1 << 24) - 1

    @inline(__always)
    private func checkOperand(_ a: Int) {
        if (a < 0 || a > operandLimit) && overflowPos == nil { overflowPos = pos }
    }

    // MARK: emission

    /// Emits an instruction with operand `a`, adjusting the tracked stack depth by `effect`.
    @discardableResult
    func emit(_ op: Op, _ a: Int = 0, effect: Int) -> Int {
        let pc = code.count
        // (Immediates are biased by 2^23 and range-checked where they are emitted.)
        if op != .pushInt && op != .addImm && op != .subImm && op != .indexImm { checkOperand(a) }
        code.append(UInt32(op.rawValue) | (UInt32(truncatingIfNeeded: a) << 8))
        positions.append(pos)
        adjust(effect)
        return pc
    }

    /// Emits an extra operand word.
    func word(_ v: Int) {
        code.append(UInt32(truncatingIfNeeded: v))
        positions.append(pos)
    }

    func adjust(_ effect: Int) {
        stack += effect
        if stack > maxStack { maxStack = stack }
    }

    /// Points the operand of the jump at `pc` (or its extra word) to `target`.
    func patch(_ pc: Int, to target: Int, extraWord: Bool = false) {
        if extraWord {
            code[pc + 1] = UInt32(truncatingIfNeeded: target)
        } else {
            checkOperand(target)
            code[pc] = (code[pc] & 0xFF) | (UInt32(truncatingIfNeeded: target) << 8)
        }
    }

    var here: Int { code.count }

    func constant(_ v: Word) -> Int {
        switch v.unpacked {
        case .int(let i):
            if let k = intConstants[i] { return k }
            intConstants[i] = constants.count
        case .str(let s):
            if let k = stringConstants[s.value] { return k }
            stringConstants[s.value] = constants.count
        default: break
        }
        constants.append(v)
        // Constants are words; this strong reference is what keeps the object
        // alive (a Swift-held root) until the prototype holds it (docs/vm.md §3).
        if let o = v.heapObject { constantObjects.append(o) }
        return constants.count - 1
    }

    // MARK: locals

    func allocSlot() -> Int {
        let s = nextSlot
        nextSlot += 1
        if nextSlot > slotHighWater { slotHighWater = nextSlot }
        return s
    }

    func findLocal(_ name: String) -> Local? {
        visible[name]?.last
    }

    /// Is `name` declared in the innermost scope?
    func declaredInCurrentScope(_ name: String) -> Bool {
        guard let l = visible[name]?.last else { return false }
        return l.scopeDepth == scopes.count - 1
    }

    /// Adds `local` to scope `depth` (default: the innermost). Only the innermost
    /// scope, or the function's outermost before any inner one opens, is used.
    func addLocal(_ local: Local, scope depth: Int? = nil) {
        let d = depth ?? scopes.count - 1
        local.scopeDepth = d
        scopes[d].append(local)
        visible[local.name, default: []].append(local)
    }

    func beginScope() { scopes.append([]) }

    func endScope() {
        let scope = scopes.removeLast()
        for l in scope.reversed() {
            if var list = visible.removeValue(forKey: l.name) {
                list.removeLast()
                if !list.isEmpty { visible[l.name] = list }
            }
        }
        if let first = scope.first { nextSlot = min(nextSlot, first.slot) }
    }

    /// Every local name in scope (for "did you mean").
    var visibleNames: Dictionary<String, [Local]>.Keys { visible.keys }

    /// Marks `local` as captured: assignable variables move into a Cell, and every
    /// access emitted so far is rewritten to the cell form.
    func capture(_ local: Local) {
        guard !local.isConst, !local.isCell else { return }
        local.isCell = true
        if let d = local.declPC { code[d] = UInt32(Op.newCell.rawValue) | (UInt32(local.slot) << 8) }
        for pc in local.accessPCs {
            let op = Op(rawValue: UInt8(code[pc] & 0xFF))!
            // addLocal and subLocal need no rewrite: they find the Cell in the slot itself.
            let newOp: Op = op == .loadLocal ? .loadCell : (op == .storeLocal ? .storeCell : op)
            code[pc] = (code[pc] & ~0xFF) | UInt32(newOp.rawValue)
        }
    }
}

/// Names that appear as assignment targets (`x = ...`, `x op= ...`) anywhere in
/// `stmts`, nested functions included. A parameter or loop variable that is never
/// assigned can be captured by value instead of through a Cell.
/// Walks the tree with an explicit work list, so it needs no stack however deep the
/// tree is.
func assignedNames(_ body: [Stmt]) -> Set<String> {
    var names = Set<String>()
    var stmts: [Stmt] = body
    var exprs: [Expr] = []
    func clauses(_ cs: [CompClause]) {
        for c in cs {
            switch c {
            case .forIn(_, let x, _): exprs.append(x)
            case .ifCond(let x): exprs.append(x)
            }
        }
    }
    while true {
        if let e = exprs.popLast() {
            switch e {
            case .function(let f): stmts += f.body
            case .interpolated(let parts, _):
                for case .expr(let x) in parts { exprs.append(x) }
            case .list(let xs, _): exprs += xs
            case .map(let kvs, _): for (k, v) in kvs { exprs.append(k); exprs.append(v) }
            case .listComp(let x, let cs, _): exprs.append(x); clauses(cs)
            case .mapComp(let k, let v, let cs, _): exprs.append(k); exprs.append(v); clauses(cs)
            case .unary(_, let x, _), .not(let x, _): exprs.append(x)
            case .compare(_, let a, let b, _), .range(let a, let b, _, _): exprs.append(a); exprs.append(b)
            case .ternary(let a, let b, let c, _): exprs.append(a); exprs.append(b); exprs.append(c)
            case .chain(let base, let steps, _):
                exprs.append(base)
                for step in steps {
                    switch step {
                    case .binary(_, let x), .and(let x), .or(let x), .index(let x): exprs.append(x)
                    case .call(let args):
                        for a in args {
                            switch a {
                            case .positional(let x), .keyword(_, let x, _), .spread(let x): exprs.append(x)
                            }
                        }
                    case .slice(let b, let c):
                        if let b = b { exprs.append(b) }
                        if let c = c { exprs.append(c) }
                    case .attr: break
                    }
                }
            default: break
            }
        } else if let s = stmts.popLast() {
            switch s {
            case .expr(let e, _), .throwStmt(let e, _): exprs.append(e)
            case .declare(_, _, let v, _): if let v = v { exprs.append(v) }
            case .assign(let t, let v, _), .compound(_, let t, let v, _):
                if case .name(let n, _) = t { names.insert(n) } else { exprs.append(t) }
                exprs.append(v)
            case .ifStmt(let branches, let els, _):
                for (c, b) in branches { exprs.append(c); stmts += b }
                if let e = els { stmts += e }
            case .whileStmt(let c, let b, _): exprs.append(c); stmts += b
            case .forIn(_, let it, let b, _): exprs.append(it); stmts += b
            case .returnStmt(let v, _): if let v = v { exprs.append(v) }
            case .tryStmt(let b, let cs, let f, _):
                stmts += b
                for c in cs { stmts += c.body }
                if let f = f { stmts += f }
            case .with(let items, let b, _): for i in items { exprs.append(i.value) }; stmts += b
            case .function(let f):
                for p in f.params { if let d = p.defaultValue { exprs.append(d) } }
                stmts += f.body
            case .classDecl(let c):
                for m in c.methods { stmts += m.body }
                for a in c.attrs { exprs.append(a.value) }
            case .block(let b, _): stmts += b
            case .breakStmt, .continueStmt, .importStmt: break
            }
        } else {
            return names
        }
    }
}
