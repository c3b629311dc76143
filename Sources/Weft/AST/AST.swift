// The syntax tree the parser builds and the compiler consumes.
// Every node carries the source position of its first token, so every error
// (syntax, compile or runtime) can name a line and column.

/// A 1-based line and column in a source file.
public struct SourcePos: Equatable, Sendable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int32
    /// 1-based column.
    public var col: Int32
    /// A position.
    public init(line: Int32, col: Int32) { self.line = line; self.col = col }
    /// A position from `Int`s.
    public init(_ line: Int, _ col: Int) { self.line = Int32(line); self.col = Int32(col) }
    /// `line:col`.
    public var description: String { "\(line):\(col)" }
}

/// Arithmetic and bitwise binary operators (also used by compound assignment).
enum BinOp: String {
    case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**"
    case bitAnd = "&", bitOr = "|", bitXor = "^", shl = "<<", shr = ">>"
}

/// Comparison operators (precedence level 5, non-associative).
enum CmpOp: String {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case isIn = "in", notIn = "not in", isSame = "is", isNot = "is not"
}

enum UnaryOp: String { case neg = "-", bitNot = "~" }

/// A binding target: a plain name or a (nested) list pattern `[a, [b, c]]`.
indirect enum Target {
    case name(String, SourcePos)
    case list([Target], SourcePos)

    var pos: SourcePos {
        switch self { case .name(_, let p), .list(_, let p): return p }
    }
}

/// One piece of an interpolated string: literal text or `\(expr)`.
enum StringPart {
    case text(String)
    case expr(Expr)
}

/// A call argument: positional, `name: value`, or `...spread`.
enum Argument {
    case positional(Expr)
    case keyword(String, Expr, SourcePos)
    case spread(Expr)
}

/// A clause of a comprehension: `for t in e` or `if c`.
enum CompClause {
    case forIn([Target], Expr, SourcePos)
    case ifCond(Expr)
}

/// One step of a chain (see `Expr.chain`): an operator applied to everything on its
/// left. All share the position of the chain's first token, as errors report it.
enum ChainStep {
    case binary(BinOp, Expr)            // `+ rhs`, `** rhs` (arithmetic and bitwise)
    case and(Expr)                      // `and rhs`
    case or(Expr)                       // `or rhs`
    case call([Argument])               // `(args)`
    case index(Expr)                    // `[i]`
    case slice(Expr?, Expr?)            // `[lo:hi]`
    case attr(String)                   // `.name`
}

indirect enum Expr {
    case nilLit(SourcePos)
    case boolLit(Bool, SourcePos)
    case intLit(Int, SourcePos)
    case floatLit(Double, SourcePos)
    case bytesLit([UInt8], SourcePos)               // b"..."
    case string(String, SourcePos)                 // no interpolation
    case interpolated([StringPart], SourcePos)
    case name(String, SourcePos)
    case selfRef(SourcePos)
    case superAttr(String, SourcePos)              // `super.name`
    case list([Expr], SourcePos)
    case map([(Expr, Expr)], SourcePos)
    case listComp(Expr, [CompClause], SourcePos)
    case mapComp(Expr, Expr, [CompClause], SourcePos)
    case function(FuncDecl)
    case unary(UnaryOp, Expr, SourcePos)
    case not(Expr, SourcePos)
    case compare(CmpOp, Expr, Expr, SourcePos)
    case ternary(Expr, Expr, Expr, SourcePos)      // cond ? a : b
    case range(Expr, Expr, inclusive: Bool, SourcePos)
    /// `base step1 step2 ...`, evaluated left to right: `((base step1) step2) ...`.
    /// Binary operators, `and`/`or`, calls, indexes, slices and attributes chain
    /// (`a.b(c)[0] + 1 + 2`). A chain is one flat node however long, so a 50,000-term
    /// `1 + 1 + ...` or `a.b.b.b...` has a shallow tree: every walk over the tree (the
    /// compiler, `assignedNames`, and freeing it) recurses only as deep as the real
    /// nesting, which the parser caps. `steps` is never empty.
    case chain(Expr, [ChainStep], SourcePos)

    var pos: SourcePos {
        switch self {
        case .nilLit(let p), .boolLit(_, let p), .intLit(_, let p), .floatLit(_, let p), .bytesLit(_, let p),
             .string(_, let p), .interpolated(_, let p), .name(_, let p), .selfRef(let p),
             .superAttr(_, let p), .list(_, let p), .map(_, let p), .listComp(_, _, let p),
             .mapComp(_, _, _, let p), .unary(_, _, let p), .not(_, let p), .compare(_, _, _, let p),
             .ternary(_, _, _, let p), .range(_, _, _, let p), .chain(_, _, let p):
            return p
        case .function(let f): return f.pos
        }
    }

    /// `left` followed by `steps` (`left` itself when there are none).
    static func chained(_ left: Expr, _ steps: [ChainStep]) -> Expr {
        steps.isEmpty ? left : .chain(left, steps, left.pos)
    }

    /// The last step of a chain and what it applies to (the base and the steps before).
    var lastStep: (base: Expr, before: ArraySlice<ChainStep>, last: ChainStep)? {
        guard case .chain(let base, let steps, _) = self, let last = steps.last else { return nil }
        return (base, steps.dropLast(), last)
    }
}

/// A function parameter. `isRest` marks `...name`.
struct Param {
    var name: String
    var defaultValue: Expr?
    var isRest: Bool
    var pos: SourcePos
}

/// `fn name(params) { body }`, `fn(params) => expr` (body is then one `return`).
final class FuncDecl {
    var name: String?
    var params: [Param]
    var body: [Stmt]
    var pos: SourcePos
    init(name: String?, params: [Param], body: [Stmt], pos: SourcePos) {
        self.name = name; self.params = params; self.body = body; self.pos = pos
    }
}

/// A class-body attribute: `let name = expr` / `var name = expr`.
struct ClassAttr {
    var name: String
    var isConst: Bool
    var value: Expr
    var pos: SourcePos
}

final class ClassDecl {
    var name: String
    var superclass: Expr?          // usually `.name`, may be `.attr` (module.Class)
    var methods: [FuncDecl]
    var attrs: [ClassAttr]
    var pos: SourcePos
    init(name: String, superclass: Expr?, methods: [FuncDecl], attrs: [ClassAttr], pos: SourcePos) {
        self.name = name; self.superclass = superclass; self.methods = methods
        self.attrs = attrs; self.pos = pos
    }
}

/// `catch e: A | B { }` (kinds non-empty) or `catch e { }` (kinds empty, catches all).
struct CatchClause {
    var binding: String?
    var kinds: [Expr]
    var body: [Stmt]
    var pos: SourcePos
}

/// One item of a `with` statement: `expr` or `expr as name`.
struct WithItem {
    var value: Expr
    var binding: String?
    var pos: SourcePos
}

/// `import "path.weft" as name` or `import name` (a builtin module).
struct ImportDecl {
    var path: String?               // string form
    var module: String?             // bare-name form
    var alias: String               // the bound name (file stem / module name if no `as`)
    var pos: SourcePos
}

indirect enum Stmt {
    case expr(Expr, SourcePos)
    case declare(isConst: Bool, Target, Expr?, SourcePos)     // let/var
    case assign(Expr, Expr, SourcePos)                          // target is .name/.index/.attr
    case compound(BinOp, Expr, Expr, SourcePos)                 // target op= value
    case ifStmt([(Expr, [Stmt])], [Stmt]?, SourcePos)           // branches, else
    case whileStmt(Expr, [Stmt], SourcePos)
    case forIn([Target], Expr, [Stmt], SourcePos)               // 1 or 2 targets
    case breakStmt(SourcePos)
    case continueStmt(SourcePos)
    case returnStmt(Expr?, SourcePos)
    case tryStmt([Stmt], [CatchClause], [Stmt]?, SourcePos)
    case throwStmt(Expr, SourcePos)
    case with([WithItem], [Stmt], SourcePos)
    case importStmt(ImportDecl)
    case function(FuncDecl)                                     // named declaration
    case classDecl(ClassDecl)
    case block([Stmt], SourcePos)

    var pos: SourcePos {
        switch self {
        case .expr(_, let p), .declare(_, _, _, let p), .assign(_, _, let p),
             .compound(_, _, _, let p), .ifStmt(_, _, let p), .whileStmt(_, _, let p),
             .forIn(_, _, _, let p), .breakStmt(let p), .continueStmt(let p),
             .returnStmt(_, let p), .tryStmt(_, _, _, let p), .throwStmt(_, let p),
             .with(_, _, let p), .block(_, let p):
            return p
        case .importStmt(let d): return d.pos
        case .function(let f): return f.pos
        case .classDecl(let c): return c.pos
        }
    }
}

/// A syntax (or compile) problem found in source, with its position.
/// `incomplete` is true when the input simply ended too early (an open bracket,
/// string or block): the REPL then asks for another line instead of reporting it.
public struct SyntaxIssue: Equatable, Sendable {
    /// What is wrong.
    public var message: String
    /// Where.
    public var pos: SourcePos
    /// True when more input could fix it (the REPL then reads another line).
    public var incomplete: Bool
    /// An issue at `pos`.
    public init(message: String, pos: SourcePos, incomplete: Bool = false) {
        self.message = message; self.pos = pos; self.incomplete = incomplete
    }
}
