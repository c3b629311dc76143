// Attribute, index and slice access, destructuring, ranges and in-place add.

extension VM {
    // MARK: - Attributes

    func attributeError(_ v: Word, _ sym: Int32) -> ScriptThrow {
        let name = Symbols.name(sym)
        switch v.unpacked {
        case .object(let m as ModuleObj):
            return ScriptThrow(ErrorKinds.attributeError, "module '\(m.name)' has no attribute '\(name)'")
        case .object(let c as ClassObj):
            return ScriptThrow(ErrorKinds.attributeError, "class '\(c.name)' has no attribute '\(name)'")
        default:
            return ScriptThrow(ErrorKinds.attributeError, "'\(v.typeName)' object has no attribute '\(name)'")
        }
    }

    /// Attributes of non-instance heap objects: module globals, class attributes and
    /// methods, and whatever the object itself exposes.
    func attribute(of o: Obj, _ sym: Int32) throws -> Word? {
        if let m = o as? ModuleObj { return m.globals.lookup(symbol: sym) }
        if let c = o as? ClassObj {
            if let v = c.attr(sym) ?? c.methods[sym] { return v }
            if sym == Symbols.name { return .string(c.name) }
            return nil
        }
        return try o.attribute(sym, vm: self)
    }

    /// `x.name` as a value (methods come back bound to `x`).
    func getAttribute(_ v: Word, _ sym: Int32) throws -> Word {
        switch v.unpacked {
        case .instance(let inst):
            if let f = inst.field(sym) { return f }
            if let m = inst.cls.findMethod(sym) { return .object(BoundMethod(receiver: v, method: m)) }
            if let a = inst.cls.attr(sym) { return a }
            if let n = try inst.nativeObject(self), let a = try n.attribute(sym, vm: self) { return a }
        case .object(let o):
            if let a = try attribute(of: o, sym) { return a }
            if let m = o.method(sym) ?? MethodTables.lookup(v, sym) {
                return .object(BoundMethod(receiver: v, method: .object(m)))
            }
        default:
            if let m = MethodTables.lookup(v, sym) {
                return .object(BoundMethod(receiver: v, method: .object(m)))
            }
        }
        throw attributeError(v, sym)
    }

    /// Attribute by name, for natives.
    func getAttr(_ v: Word, _ name: String) throws -> Word {
        try getAttribute(v, Symbols.intern(name))
    }

    func setAttribute(_ target: Word, _ sym: Int32, _ v: Word) throws {
        switch target.unpacked {
        case .instance(let inst):
            if let n = try inst.nativeObject(self), try n.setAttribute(sym, v, vm: self) { return }
            try inst.locked {
                if inst.frozen { throw ScriptThrow.frozen(inst.cls.name) }
                inst.setFieldUnlocked(sym, v)
            }
            return
        case .object(let c as ClassObj):
            if c.isBuiltin { throw ScriptThrow.typeError("cannot set attributes of builtin class '\(c.name)'") }
            c.locked { c.attrs[sym] = v }
            return
        case .object(let m as ModuleObj):
            m.globals.set(Symbols.name(sym), v)
            return
        case .object(let o):
            if try o.setAttribute(sym, v, vm: self) { return }
        default: break
        }
        throw ScriptThrow(ErrorKinds.attributeError,
                          "cannot set attribute '\(Symbols.name(sym))' on '\(target.typeName)' object")
    }

    // MARK: - Indexing

    /// Normalises a possibly negative index; nil when out of range.
    @inline(__always) func normalize(_ i: Int, _ n: Int) -> Int? {
        let j = i < 0 ? i + n : i
        return j >= 0 && j < n ? j : nil
    }

    private func intIndex(_ i: Word, _ what: String) throws -> Int {
        guard let n = i.asInt else {
            throw ScriptThrow.typeError("\(what) indices must be int, not '\(i.typeName)'")
        }
        return n
    }

    func index(_ x: Word, _ i: Word) throws -> Word {
        if x.isMap {
            // Borrowed: a retain here would write the shared map's reference count
            // on every lookup (readers on several threads would contend for it).
            if let v = try x.withObject(MapObj.self, { try mapGet($0, i) }) { return v }
            throw ScriptThrow.keyError("\(try repr(i)) not in map")
        }
        switch x.unpacked {
        case .list(let l):
            let n = try intIndex(i, "list")
            let v = normalize(n, l.count).flatMap { l.get($0) }
            guard let r = v else { throw ScriptThrow.indexError("list index out of range") }
            return r
        case .str(let s):
            let n = try intIndex(i, "str")
            guard let j = normalize(n, s.count) else { throw ScriptThrow.indexError("string index out of range") }
            return StrObj.char(s.scalar(at: j))
        case .map(let m):
            if let v = try mapGet(m, i) { return v }
            throw ScriptThrow.keyError("\(try repr(i)) not in map")
        case .object(let b as BytesObj):
            let n = try intIndex(i, "bytes")
            guard let j = normalize(n, b.bytes.count) else { throw ScriptThrow.indexError("bytes index out of range") }
            return .int(Int(b.bytes[j]))
        case .object(let r as RangeObj):
            let n = try intIndex(i, "range")
            guard let j = normalize(n, r.count) else { throw ScriptThrow.indexError("range index out of range") }
            return .int(r.element(j))
        default:
            throw ScriptThrow.typeError("'\(x.typeName)' object is not subscriptable")
        }
    }

    func setIndex(_ x: Word, _ i: Word, _ v: Word) throws {
        if x.isList {
            let n = try intIndex(i, "list")
            try x.withObject(ListObj.self) { l in
                try l.locked {
                    if l.frozen { throw ScriptThrow.frozen("list") }
                    guard let j = normalize(n, l.count) else {
                        throw ScriptThrow.indexError("list assignment index out of range")
                    }
                    l.setUnlocked(j, v)
                }
            }
            return
        }
        if x.isMap { return try x.withObject(MapObj.self) { try mapSet($0, i, v) } }
        switch x.unpacked {
        default:
            throw ScriptThrow.typeError("'\(x.typeName)' object does not support item assignment")
        }
    }

    /// Python's slice clamping for `a[lo:hi]`.
    func sliceBounds(_ lo: Word, _ hi: Word, count n: Int) throws -> (Int, Int) {
        func bound(_ v: Word, _ dflt: Int) throws -> Int {
            if v.isNil { return dflt }
            guard let i = v.asInt else {
                throw ScriptThrow.typeError("slice indices must be int or nil, not '\(v.typeName)'")
            }
            let j = i < 0 ? i + n : i
            return min(max(j, 0), n)
        }
        let a = try bound(lo, 0), b = try bound(hi, n)
        return (a, max(a, b))
    }

    func slice(_ x: Word, _ lo: Word, _ hi: Word) throws -> Word {
        if x.isList {
            return try x.withObject(ListObj.self) { l in
                try l.locked {
                    try l.withElements { items in
                        let (a, b) = try sliceBounds(lo, hi, count: items.count)
                        return ListObj.word(copying: UnsafeBufferPointer(rebasing: items[a..<b]))
                    }
                }
            }
        }
        if x.isStr {
            return try x.withObject(StrObj.self) { s in
                let (a, b) = try sliceBounds(lo, hi, count: s.count)
                if b - a == 1 { return StrObj.char(s.scalar(at: a)) }
                return .handedOff(s.substring(a, b, handingOff: true), tag: Word.strTag)
            }
        }
        switch x.unpacked {
        case .object(let bo as BytesObj):
            let (a, b) = try sliceBounds(lo, hi, count: bo.bytes.count)
            return .object(BytesObj(Array(bo.bytes[a..<b])))
        default:
            throw ScriptThrow.typeError("'\(x.typeName)' object cannot be sliced")
        }
    }

    /// Appends `x[lo:hi]` to `fresh`, a list just made that no other code can
    /// hold, when `x` is a list (`xs[a:b] + ys[c:d]`, and `xs[a:b] + ys` with nil
    /// bounds); false, with nothing done, for anything else.
    func appendSlice(of x: Word, _ lo: Word, _ hi: Word, to fresh: ListObj) throws -> Bool {
        guard x.isList else { return false }
        try x.withObject(ListObj.self) { l in
            try l.locked {
                try l.withElements { items in
                    let (a, b) = try sliceBounds(lo, hi, count: items.count)
                    try checkSize(fresh.count &+ (b - a), .list)
                    fresh.appendUnlocked(contentsOf: UnsafeBufferPointer(rebasing: items[a..<b]))
                }
            }
        }
        return true
    }

    // MARK: - Destructuring, ranges, in-place add

    func unpack(_ x: Word, count: Int) throws -> [Word] {
        let items: [Word]
        // A list's items are copied unrooted: the caller pushes them before the
        // next safepoint.
        if x.isList { items = x.withObject(ListObj.self) { $0.copyItems } } else { items = try collect(x) }
        if items.count != count {
            throw ScriptThrow.valueError("expected \(count) values to unpack, got \(items.count)")
        }
        return items
    }

    /// `x` destructured into two values (`for a, b in pairs`); a two-element list is
    /// read in place, without copying its items into an array.
    func unpackPair(_ x: Word) throws -> (Word, Word) {
        if x.isList, let pair = x.withObject(ListObj.self, { l in
            l.locked { l.withElements { $0.count == 2 ? ($0[0], $0[1]) : nil } }
        }) {
            return pair
        }
        let items = try unpack(x, count: 2)
        return (items[0], items[1])
    }

    func makeRange(_ a: Word, _ b: Word, inclusive: Bool) throws -> Word {
        guard case .int(let x) = a.unpacked, case .int(var y) = b.unpacked else {
            let bad = a.isInt ? b : a
            throw ScriptThrow.typeError("range bounds must be int, not '\(bad.typeName)'")
        }
        if inclusive {
            let (e, o) = y.addingReportingOverflow(1)
            if o { throw ScriptThrow.overflow("range end overflows") }
            y = e
        }
        return .object(try Conversions.makeRange(start: x, end: y, step: 1, inclusive: inclusive))
    }

    /// `x += rhs` or `x -= rhs` (`op`) on a local slot, which holds a Cell if the local
    /// is captured; `+=` on a string appends in place (a rope).
    func updateInPlace(_ slot: UnsafeMutablePointer<Word>, _ op: Op, _ rhs: Word) throws {
        if case .object(let o) = slot.pointee.unpacked, let cell = o as? Cell {
            cell.value = try binary(op, cell.value, rhs)
            return
        }
        if op == .add, let s = slot.pointee.asStr, let t = rhs.asStr {
            try checkSize(s.utf8Count &+ t.utf8Count, .string)
            slot.pointee = .str(StrObj.concat(s, t))
            return
        }
        slot.pointee = try binary(op, slot.pointee, rhs)
    }
}
