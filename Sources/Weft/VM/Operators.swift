// Operator semantics (§2, §3) outside the VM loop's inline int/float fast paths:
// arithmetic with overflow checks, Python-style division and modulo, equality,
// ordering, membership, and hashing.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension VM {
    func binary(_ op: Op, _ a: Word, _ b: Word) throws -> Word {
        if let x = a.asInt {
            if let y = b.asInt { return try intBinary(op, x, y) }
            if b.isFloat { return try floatBinary(op, Double(x), b.floatValue, a, b) }
        } else if a.isFloat {
            if b.isFloat { return try floatBinary(op, a.floatValue, b.floatValue, a, b) }
            if let y = b.asInt { return try floatBinary(op, a.floatValue, Double(y), a, b) }
        }
        switch op {
        case .add:
            if let x = a.asStr, let y = b.asStr {
                try checkSize(x.utf8Count &+ y.utf8Count, .string)
                return .str(StrObj.concat(x, y))
            }
            if a.isList && b.isList {
                try checkSize(a.withObject(ListObj.self) { $0.count } &+ b.withObject(ListObj.self) { $0.count }, .list)
                return a.withObject(ListObj.self) { x in b.withObject(ListObj.self) { ListObj.concat(x, $0) } }
            }
            switch (a.unpacked, b.unpacked) {
            case (.object(let x as BytesObj), .object(let y as BytesObj)):
                try checkSize(x.bytes.count &+ y.bytes.count, .bytes)
                return .object(BytesObj(x.bytes + y.bytes))
            default: break
            }
        case .mul:
            switch (a.unpacked, b.unpacked) {
            case (.str(let s), .int(let n)), (.int(let n), .str(let s)):
                return .str(try repeatString(s, n))
            case (.list(let l), .int(let n)), (.int(let n), .list(let l)):
                let items = l.copyItems
                guard n > 0, !items.isEmpty else { return .list(ListObj()) }
                let (total, o) = items.count.multipliedReportingOverflow(by: n)
                if o { throw ScriptThrow(ErrorKinds.memoryError, "repeated list too large to allocate") }
                try AllocationLimit.check(total, stride: MemoryLayout<Word>.stride, "repeated list")
                try checkSize(total, .list)
                var out: [Word] = []
                out.reserveCapacity(total)
                for _ in 0..<n { out += items }
                return .list(ListObj(out))
            default: break
            }
        default: break
        }
        throw ScriptThrow.typeError("unsupported operand types for \(opSymbol(op)): '\(a.typeName)' and '\(b.typeName)'")
    }

    private func repeatString(_ s: StrObj, _ n: Int) throws -> StrObj {
        guard n > 0, s.count > 0 else { return StrObj("", count: 0) }
        let (total, o) = s.value.utf8.count.multipliedReportingOverflow(by: n)
        if o { throw ScriptThrow(ErrorKinds.memoryError, "repeated string too large to allocate") }
        try AllocationLimit.check(total, stride: 1, "repeated string")
        try checkSize(total, .string)
        return StrObj(String(repeating: s.value, count: n), count: s.count * n)
    }

    func opSymbol(_ op: Op) -> String {
        switch op {
        case .add: return "+"
        case .sub: return "-"
        case .mul: return "*"
        case .div: return "/"
        case .floorDiv: return "//"
        case .mod: return "%"
        case .pow: return "**"
        case .bitAnd: return "&"
        case .bitOr: return "|"
        case .bitXor: return "^"
        case .shl: return "<<"
        case .shr: return ">>"
        default: return "\(op)"
        }
    }

    func intBinary(_ op: Op, _ x: Int, _ y: Int) throws -> Word {
        switch op {
        case .add:
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw ScriptThrow.overflow("integer overflow in \(x) + \(y)") }
            return .int(r)
        case .sub:
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw ScriptThrow.overflow("integer overflow in \(x) - \(y)") }
            return .int(r)
        case .mul:
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw ScriptThrow.overflow("integer overflow in \(x) * \(y)") }
            return .int(r)
        case .div:
            if y == 0 { throw ScriptThrow.zeroDivision() }
            return .float(Double(x) / Double(y))
        case .floorDiv:
            if y == 0 { throw ScriptThrow.zeroDivision("integer division by zero") }
            let (q, o) = x.dividedReportingOverflow(by: y)
            if o { throw ScriptThrow.overflow("integer overflow in \(x) // \(y)") }
            let r = x - q * y
            return .int(r != 0 && (r < 0) != (y < 0) ? q - 1 : q)
        case .mod:
            if y == 0 { throw ScriptThrow.zeroDivision("integer modulo by zero") }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y)
            if o { return .int(0) }
            return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .pow:
            if y < 0 {
                if x == 0 { throw ScriptThrow.zeroDivision("0 cannot be raised to a negative power") }
                return .float(Glibc.pow(Double(x), Double(y)))
            }
            var result = 1, base = x, e = y
            while e > 0 {
                if e & 1 == 1 {
                    let (r, o) = result.multipliedReportingOverflow(by: base)
                    if o { throw ScriptThrow.overflow("integer overflow in \(x) ** \(y)") }
                    result = r
                }
                e >>= 1
                if e > 0 {
                    let (b2, o) = base.multipliedReportingOverflow(by: base)
                    if o { throw ScriptThrow.overflow("integer overflow in \(x) ** \(y)") }
                    base = b2
                }
            }
            return .int(result)
        case .bitAnd: return .int(x & y)
        case .bitOr: return .int(x | y)
        case .bitXor: return .int(x ^ y)
        case .shl:
            if y < 0 { throw ScriptThrow.valueError("negative shift count") }
            if x == 0 { return .int(0) }
            if y >= 63 { throw ScriptThrow.overflow("integer overflow in \(x) << \(y)") }
            let r = x << y
            if r >> y != x || (r < 0) != (x < 0) { throw ScriptThrow.overflow("integer overflow in \(x) << \(y)") }
            return .int(r)
        case .shr:
            if y < 0 { throw ScriptThrow.valueError("negative shift count") }
            if y >= 64 { return .int(x < 0 ? -1 : 0) }
            return .int(x >> y)
        default:
            throw ScriptThrow.typeError("bad operator")
        }
    }

    func floatBinary(_ op: Op, _ x: Double, _ y: Double, _ a: Word, _ b: Word) throws -> Word {
        switch op {
        case .add: return .float(x + y)
        case .sub: return .float(x - y)
        case .mul: return .float(x * y)
        case .div:
            if y == 0 { throw ScriptThrow.zeroDivision("float division by zero") }
            return .float(x / y)
        case .floorDiv:
            if y == 0 { throw ScriptThrow.zeroDivision("float floor division by zero") }
            return .float(pythonFloatDivMod(x, y).div)
        case .mod:
            if y == 0 { throw ScriptThrow.zeroDivision("float modulo by zero") }
            return .float(pythonFloatDivMod(x, y).mod)
        case .pow:
            if x == 0 && y < 0 { throw ScriptThrow.zeroDivision("0.0 cannot be raised to a negative power") }
            if x < 0 && y != y.rounded() && y.isFinite {
                throw ScriptThrow.valueError("negative number cannot be raised to a fractional power")
            }
            return .float(Glibc.pow(x, y))
        default:
            throw ScriptThrow.typeError("unsupported operand types for \(opSymbol(op)): '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// CPython's float floor division and modulo (float_divmod).
    func pythonFloatDivMod(_ vx: Double, _ wx: Double) -> (div: Double, mod: Double) {
        var mod = fmod(vx, wx)
        var div = (vx - mod) / wx
        if mod != 0 {
            if (wx < 0) != (mod < 0) { mod += wx; div -= 1 }
        } else {
            mod = copysign(0, wx)
        }
        var floordiv: Double
        if div != 0 {
            floordiv = floor(div)
            if div - floordiv > 0.5 { floordiv += 1 }
        } else {
            floordiv = copysign(0, vx / wx)
        }
        return (floordiv, mod)
    }

    func negate(_ x: Word) throws -> Word {
        switch x.unpacked {
        case .int(let i):
            if i == Int.min { throw ScriptThrow.overflow("integer overflow in -(\(i))") }
            return .int(-i)
        case .float(let d): return .float(-d)
        default: throw ScriptThrow.typeError("bad operand type for unary -: '\(x.typeName)'")
        }
    }

    // MARK: - Equality and ordering

    func equals(_ a: Word, _ b: Word) throws -> Bool {
        // The common cases, tested on the words without unpacking.
        if a.isStr && b.isStr { return strEqual(a, b) }
        if a.isSmallInt && b.isSmallInt { return a.bits == b.bits }
        if (a.isList && b.isList) || (a.isMap && b.isMap) {
            // Containers recurse; cyclic ones must end in RecursionError, not a crash.
            try enterNesting(); defer { nesting -= 1 }
            return try equalsUnguarded(a, b)
        }
        return try equalsUnguarded(a, b)
    }

    /// Counts nested container comparisons and hashes (see `equals`).
    func enterNesting() throws {
        nesting += 1
        if nesting > 2_000 {
            nesting -= 1
            throw ScriptThrow(ErrorKinds.recursionError, "maximum nesting depth exceeded while comparing or hashing")
        }
    }

    private func equalsUnguarded(_ a: Word, _ b: Word) throws -> Bool {
        switch (a.unpacked, b.unpacked) {
        case (.nil, .nil): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.int(let x), .float(let y)): return intEqualsDouble(x, y)
        case (.float(let x), .int(let y)): return intEqualsDouble(y, x)
        case (.float(let x), .float(let y)): return x == y
        case (.str(let x), .str(let y)): return strEqual(x, y)
        case (.list(let x), .list(let y)):
            if x === y { return true }
            let xs = x.snapshot, ys = y.snapshot
            if xs.count != ys.count { return false }
            for i in 0..<xs.count where !(try equals(xs[i], ys[i])) { return false }
            return true
        case (.map(let x), .map(let y)):
            if x === y { return true }
            let xe = x.entries
            if xe.count != y.count { return false }
            for (k, v) in xe {
                guard let w = try mapGet(y, k), try equals(v, w) else { return false }
            }
            return true
        case (.instance(let x), _):
            if x.cls.methods[Symbols.eq] != nil {
                return try invokeMethod(a, Symbols.eq, [b]).isTruthy
            }
            if case .instance(let y) = b.unpacked { return x === y }
            return false
        case (_, .instance(let y)):
            if y.cls.methods[Symbols.eq] != nil {
                return try invokeMethod(b, Symbols.eq, [a]).isTruthy
            }
            return false
        case (.object(let x), .object(let y)):
            if x === y { return true }
            if let p = x as? BytesObj, let q = y as? BytesObj { return p.bytes == q.bytes }
            if let p = x as? RangeObj, let q = y as? RangeObj {
                return p.count == q.count && (p.count == 0 || (p.start == q.start && (p.count == 1 || p.step == q.step)))
            }
            return false
        case (.function(let x), .function(let y)): return x === y
        default: return false
        }
    }

    /// `a < b` for numbers, strings, bytes and lists; TypeError otherwise.
    func less(_ a: Word, _ b: Word) throws -> Bool {
        try compare(.lt, a, b)
    }

    func compare(_ op: Op, _ a: Word, _ b: Word) throws -> Bool {
        func ordered<T: Comparable>(_ x: T, _ y: T) -> Bool {
            switch op {
            case .lt: return x < y
            case .le: return x <= y
            case .gt: return x > y
            default: return x >= y
            }
        }
        switch (a.unpacked, b.unpacked) {
        case (.int(let x), .int(let y)): return ordered(x, y)
        case (.int(let x), .float(let y)): return orderIntDouble(op, x, y)
        case (.float(let x), .int(let y)): return orderDoubleInt(op, x, y)
        case (.float(let x), .float(let y)): return ordered(x, y)
        case (.str(let x), .str(let y)):
            let lt = strLess(x, y), eq = strEqual(x, y)
            switch op {
            case .lt: return lt
            case .le: return lt || eq
            case .gt: return !lt && !eq
            default: return !lt
            }
        case (.object(let x as BytesObj), .object(let y as BytesObj)):
            let lt = x.bytes.lexicographicallyPrecedes(y.bytes), eq = x.bytes == y.bytes
            switch op {
            case .lt: return lt
            case .le: return lt || eq
            case .gt: return !lt && !eq
            default: return !lt
            }
        case (.list(let x), .list(let y)):
            try enterNesting(); defer { nesting -= 1 }
            let xs = x.snapshot, ys = y.snapshot
            for i in 0..<min(xs.count, ys.count) where !(try equals(xs[i], ys[i])) {
                return try compare(op, xs[i], ys[i])
            }
            return ordered(xs.count, ys.count)
        default:
            let sym: String
            switch op {
            case .lt: sym = "<"
            case .le: sym = "<="
            case .gt: sym = ">"
            default: sym = ">="
            }
            throw ScriptThrow.typeError("'\(sym)' not supported between '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// `item in container`.
    func contains(_ container: Word, _ item: Word) throws -> Bool {
        switch container.unpacked {
        case .str(let s):
            guard case .str(let sub) = item.unpacked else {
                throw ScriptThrow.typeError("'in <str>' requires a str, not '\(item.typeName)'")
            }
            return sub.value.isEmpty || s.value.utf8.firstRange(of: sub.value.utf8) != nil
        case .list(let l):
            for v in l.snapshot where try equals(v, item) { return true }
            return false
        case .map(let m):
            return try mapGet(m, item) != nil
        case .object(let r as RangeObj):
            switch item.unpacked {
            case .int(let i): return r.contains(i)
            case .float(let d):
                guard let i = Int(exactly: d) else { return false }
                return r.contains(i)
            default: return false
            }
        case .object(let b as BytesObj):
            switch item.unpacked {
            case .int(let i): return b.bytes.contains { Int($0) == i }
            case .object(let sub as BytesObj):
                return sub.bytes.isEmpty || b.bytes.firstRange(of: sub.bytes) != nil
            default: throw ScriptThrow.typeError("'in <bytes>' requires an int or bytes, not '\(item.typeName)'")
            }
        default:
            throw ScriptThrow.typeError("argument of type '\(container.typeName)' is not a container")
        }
    }

    // MARK: - Hashing and maps

    /// The hash used for map keys: equal values (`1 == 1.0`) hash alike.
    func hash(_ v: Word) throws -> Int {
        // The common keys, tested on the word without unpacking.
        if v.isStr { return v.withObject(StrObj.self) { $0.hashValue32 } }
        if v.isSmallInt { return mixHash(v.smallIntValue) }
        switch v.unpacked {
        case .nil: return 0x51ED270B
        case .bool(let b): return b ? 0x2545F491 : 0x1B873593
        case .int(let i): return mixHash(i)
        case .float(let d):
            if let i = Int(exactly: d) { return mixHash(i) }   // equal to an int: hash alike
            return mixHash(Int(bitPattern: UInt(d.bitPattern)))
        case .str(let s): return s.hashValue32
        case .list(let l):
            try enterNesting(); defer { nesting -= 1 }
            guard l.frozen else { throw ScriptThrow.typeError("unhashable type: 'list' (freeze it to use it as a key)") }
            var h = 0x345678
            for x in l.snapshot { h = (h &* 1_000_003) ^ (try hash(x)) }
            return h
        case .map(let m):
            try enterNesting(); defer { nesting -= 1 }
            guard m.frozen else { throw ScriptThrow.typeError("unhashable type: 'map' (freeze it to use it as a key)") }
            var h = 0x7E57
            for (k, x) in m.entries { h ^= mixHash((try hash(k)) &* 31 &+ (try hash(x))) }
            return h
        case .instance(let inst):
            if inst.cls.methods[Symbols.hash] != nil {
                let r = try invokeMethod(v, Symbols.hash, [])
                guard case .int(let i) = r.unpacked else { throw ScriptThrow.typeError("hash() must return an int") }
                return mixHash(i)
            }
            if inst.cls.methods[Symbols.eq] != nil {
                throw ScriptThrow.typeError("unhashable type: '\(inst.cls.name)' (it defines eq but not hash)")
            }
            return mixHash(ObjectIdentifier(inst).hashValue)
        case .object(let o):
            if let b = o as? BytesObj { return fnv1a(b.bytes) }
            if let r = o as? RangeObj { return mixHash(r.start &* 31 &+ r.count &* 17 &+ r.step) }
            return mixHash(ObjectIdentifier(o).hashValue)
        case .function(let f): return mixHash(ObjectIdentifier(f).hashValue)
        }
    }
}

@inline(__always) func mixHash(_ x: Int) -> Int {
    var z = UInt64(bitPattern: Int64(x)) &+ 0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
    return Int(bitPattern: UInt(z ^ (z >> 31)))
}

func fnv1a<S: Sequence>(_ bytes: S) -> Int where S.Element == UInt8 {
    var h: UInt64 = 0xcbf29ce484222325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return Int(bitPattern: UInt(h))
}

extension StrObj {
    /// FNV-1a over the UTF-8 bytes, cached (strings are immutable once shared).
    var hashValue32: Int {
        let cached = hashCache.load(ordering: .relaxed)
        if cached != 0 { return cached }
        var h = withUTF8Bytes { fnv1a($0) }
        if h == 0 { h = 1 }
        hashCache.store(h, ordering: .relaxed)
        return h
    }
}
