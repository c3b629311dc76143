// `atomic(value: 0)` (§7.6): a cell whose every operation is one indivisible
// step. The critical sections are a few instructions (never script code), so the
// object's one-byte spin lock guards them.

final class AtomicObj: Obj, @unchecked Sendable {
    @exclusivity(unchecked) private var value: Word

    init(_ v: Word) { value = v }

    override var typeName: String { "Atomic" }
    override func trace(_ m: inout Marker) { m.mark(value) }
    override func method(_ sym: Int32) -> NativeFn? { AtomicBuiltins.methods.find(sym) }
    override func methodNames() -> [String] { AtomicBuiltins.methods.names }

    func get() -> Word { locked { value } }

    func set(_ v: Word) { locked { value = v } }

    func exchange(_ v: Word) -> Word {
        locked {
            let old = value
            value = v
            return old
        }
    }

    func add(_ n: Word) throws -> Word {
        switch n.unpacked {
        case .int, .float: break
        default: throw ScriptThrow.typeError("Atomic.add() needs an int or a float, not '\(n.typeName)'")
        }
        return try locked {
            let sum: Word
            switch (value.unpacked, n.unpacked) {
            case (.int(let a), .int(let b)):
                let (s, o) = a.addingReportingOverflow(b)
                if o { throw ScriptThrow.overflow("integer overflow in Atomic.add(): \(a) + \(b)") }
                sum = .int(s)
            case (.int(let a), .float(let b)): sum = .float(Double(a) + b)
            case (.float(let a), .int(let b)): sum = .float(a + Double(b))
            case (.float(let a), .float(let b)): sum = .float(a + b)
            default:
                throw ScriptThrow.typeError("Atomic.add() on a '\(value.typeName)' value")
            }
            value = sum
            return sum
        }
    }

    /// Equality that never runs script code: by value for nil, bools, numbers and
    /// strings, by identity for everything else.
    static func plainEquals(_ a: Word, _ b: Word) -> Bool {
        switch (a.unpacked, b.unpacked) {
        case (.nil, .nil): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.int(let x), .float(let y)), (.float(let y), .int(let x)):
            return intEqualsDouble(x, y)        // exact; no trap near 2**63
        case (.str(let x), .str(let y)): return strEqual(x, y)
        default: return a.isIdentical(to: b)
        }
    }

    func compareAndSet(_ expected: Word, _ new: Word) -> Bool {
        locked {
            guard AtomicObj.plainEquals(value, expected) else { return false }
            value = new
            return true
        }
    }
}

enum AtomicBuiltins {
    static func this(_ r: Word) -> AtomicObj { SyncBuiltins.this(r, AtomicObj.self) }

    static func required(_ args: Args, _ i: Int, _ name: String) throws -> Word {
        guard let v = try args.arg(i, name) else {
            throw ScriptThrow.typeError("\(args.fnName)() missing required argument '\(name)'")
        }
        return v
    }

    static let methods = MethodList([
        NativeEntry("get", { _, r, args in
            try args.check(min: 0, max: 0)
            return this(r).get()
        }),
        NativeEntry("set", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["value"])
            this(r).set(try required(args, 0, "value"))
            return .nil
        }),
        NativeEntry("add", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["n"])
            return try this(r).add(try args.arg(0, "n") ?? .int(1))
        }),
        NativeEntry("exchange", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["value"])
            return this(r).exchange(try required(args, 0, "value"))
        }),
        NativeEntry("compare_and_set", { _, r, args in
            try args.check(min: 0, max: 2, keywords: ["expected", "new"])
            let e = try required(args, 0, "expected")
            let n = try required(args, 1, "new")
            return .bool(this(r).compareAndSet(e, n))
        }),
    ])
}
