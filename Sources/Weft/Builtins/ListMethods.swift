// Methods of `list` (§8), and the two read-only methods of `range`.
//
// Lists may be shared between threads, so each method is one atomic operation: it
// reads and writes the items under the list's lock. Methods that run script code
// (equality on instances, `sort` comparisons and keys, `map`/`filter`/`reduce`
// callbacks) work on a snapshot taken under the lock, call the script with no lock
// held, and write any result back under the lock. A frozen list refuses every
// mutation with FrozenError.

enum ListMethods {
    static let methods: [NativeEntry] = [
        NativeEntry("append", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "append")
            let v = args[0]
            try l.locked {
                if l.frozen { throw ScriptThrow.frozen("list") }
                try vm.checkSize(l.count &+ 1, .list)
                l.appendUnlocked(v)
            }
            return .nil
        }),
        NativeEntry("extend", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "extend")
            if l.locked({ l.frozen }) { throw ScriptThrow.frozen("list") }
            let new: [Word]
            if case .list(let other) = args[0].unpacked { new = other.snapshot } else { new = try vm.collect(args[0]) }
            try l.locked {
                if l.frozen { throw ScriptThrow.frozen("list") }
                try vm.checkSize(l.count &+ new.count, .list)
                l.appendUnlocked(contentsOf: new)
            }
            return .nil
        }),
        NativeEntry("insert", { vm, r, args in
            try args.check(min: 2, max: 2)
            return try MethodSupport.withList(r, "insert") { l in
                let i = try MethodSupport.int(args[0], "insert", "index")
                let v = args[1]
                try l.locked {
                    if l.frozen { throw ScriptThrow.frozen("list") }
                    let n = l.count
                    try vm.checkSize(n &+ 1, .list)
                    var j = i < 0 ? i &+ n : i
                    if j < 0 { j = 0 } else if j > n { j = n }
                    l.insertUnlocked(v, at: j)
                }
                return .nil
            }
        }),
        NativeEntry("pop", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["index"])
            return try MethodSupport.withList(r, "pop") { l in
                var i = -1
                if let iv = try args.arg(0, "index") { i = try MethodSupport.int(iv, "pop", "index") }
                return try l.locked {
                    if l.frozen { throw ScriptThrow.frozen("list") }
                    let n = l.count
                    if n == 0 { throw ScriptThrow.indexError("pop from empty list") }
                    guard let j = MethodSupport.index(i, count: n) else {
                        throw ScriptThrow.indexError("pop index out of range")
                    }
                    return l.removeUnlocked(at: j)
                }
            }
        }),
        NativeEntry("remove", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "remove")
            let x = args[0]
            if l.locked({ l.frozen }) { throw ScriptThrow.frozen("list") }
            // Find an equal item on a snapshot (equality may run script code), then
            // remove that very item under the lock; if another thread moved or removed
            // it meanwhile, search again.
            while true {
                let snap = l.snapshot
                guard let i = try firstIndex(vm, snap, x) else {
                    throw ScriptThrow.valueError("list.remove(x): x not in list")
                }
                let target = snap[i]
                let done: Bool = try l.locked {
                    if l.frozen { throw ScriptThrow.frozen("list") }
                    if let v = l.get(i), v.isIdentical(to: target) {
                        _ = l.removeUnlocked(at: i); return true
                    }
                    if let j = l.withElements({ $0.firstIndex { $0.isIdentical(to: target) } }), j <= i {
                        _ = l.removeUnlocked(at: j); return true
                    }
                    return false
                }
                if done { return .nil }
            }
        }),
        NativeEntry("index", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "index")
            guard let i = try firstIndex(vm, l.snapshot, args[0]) else {
                throw ScriptThrow.valueError("\(try vm.repr(args[0])) is not in list")
            }
            return .int(i)
        }),
        NativeEntry("count", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "count")
            var n = 0
            for v in l.snapshot where try vm.equals(v, args[0]) { n += 1 }
            return .int(n)
        }),
        NativeEntry("clear", { _, r, args in
            try args.check(min: 0, max: 0)
            let l = try MethodSupport.list(r, "clear")
            try l.locked {
                if l.frozen { throw ScriptThrow.frozen("list") }
                l.removeAllUnlocked()
            }
            return .nil
        }),
        NativeEntry("sort", { vm, r, args in
            try args.check(min: 0, max: 0, keywords: ["key", "reverse"])
            let l = try MethodSupport.list(r, "sort")
            if l.locked({ l.frozen }) { throw ScriptThrow.frozen("list") }
            let items = l.snapshot
            let sorted = try sortedValues(vm, items, key: args.kw("key"), reverse: args.kw("reverse"), fn: "sort")
            try l.locked {
                if l.frozen { throw ScriptThrow.frozen("list") }
                l.replaceAllUnlocked(sorted)
            }
            return .nil
        }),
        NativeEntry("reverse", { _, r, args in
            try args.check(min: 0, max: 0)
            let l = try MethodSupport.list(r, "reverse")
            try l.locked {
                if l.frozen { throw ScriptThrow.frozen("list") }
                l.reverseUnlocked()
            }
            return .nil
        }),
        NativeEntry("copy", { _, r, args in
            try args.check(min: 0, max: 0)
            let l = try MethodSupport.list(r, "copy")
            return .list(ListObj(l.copyItems))
        }),
        NativeEntry("map", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "map")
            let f = args[0]
            let items = l.snapshot
            // Results go straight into the new list, which this Swift reference keeps
            // alive (and so its items) while later calls may collect (docs/vm.md §3).
            let out = ListObj(capacity: items.count)
            for v in items { out.appendUnlocked(try vm.call(f, [v])) }
            return .list(out)
        }),
        NativeEntry("filter", { vm, r, args in
            try args.check(min: 1, max: 1)
            let l = try MethodSupport.list(r, "filter")
            let f = args[0]
            let out = ListObj()
            for v in l.snapshot where try vm.call(f, [v]).isTruthy { out.appendUnlocked(v) }
            return .list(out)
        }),
        NativeEntry("reduce", { vm, r, args in
            try args.check(min: 1, max: 2, keywords: ["initial"])
            let l = try MethodSupport.list(r, "reduce")
            let f = args[0]
            let items = l.snapshot
            var acc: Word
            var rest = items[...]
            if let initial = try args.arg(1, "initial") {
                acc = initial
            } else {
                guard let first = items.first else {
                    throw ScriptThrow.typeError("reduce() of empty list with no initial value")
                }
                acc = first
                rest = items.dropFirst()
            }
            // The running value is rooted in a list while the next call may collect.
            let held = ListObj([acc])
            for v in rest {
                acc = try vm.call(f, [acc, v])
                held.setUnlocked(0, acc)
            }
            return acc
        }),
    ]

    /// `range` is an immutable sequence: it only counts and searches.
    static let rangeMethods: [NativeEntry] = [
        NativeEntry("count", { _, r, args in
            try args.check(min: 1, max: 1)
            let rg = try rangeReceiver(r, "count")
            if let n = rangeElement(args[0]), rangeIndex(rg, n) != nil { return .int(1) }
            return .int(0)
        }),
        NativeEntry("index", { vm, r, args in
            try args.check(min: 1, max: 1)
            let rg = try rangeReceiver(r, "index")
            if let n = rangeElement(args[0]), let i = rangeIndex(rg, n) {
                guard let idx = Int(exactly: i) else { throw ScriptThrow.overflow("range index too large") }
                return .int(idx)
            }
            throw ScriptThrow.valueError("\(try vm.repr(args[0])) is not in range")
        }),
    ]

    // MARK: - Helpers

    /// The index of the first item equal to `x`.
    static func firstIndex(_ vm: VM, _ items: [Word], _ x: Word) throws -> Int? {
        for (i, v) in items.enumerated() where try vm.equals(v, x) { return i }
        return nil
    }

    /// Sorts a snapshot: stable, by `key` (a callable or nil) and `<`, optionally
    /// reversed (equal items keep their order either way, as in Python). Shared with
    /// the `sorted` builtin if it wants it.
    static func sortedValues(_ vm: VM, _ items: [Word], key: Word?, reverse: Word?, fn: String) throws -> [Word] {
        var rev = false
        if let rv = reverse {
            switch rv.unpacked {
            case .bool(let b): rev = b
            case .nil: rev = false
            default: throw ScriptThrow.typeError("\(fn)() argument 'reverse' must be bool, not \(rv.typeName)")
            }
        }
        // Computed keys are rooted in a list while later key calls may collect.
        let keyList: ListObj
        if let k = key, !StrMethods.isNil(k) {
            keyList = ListObj(capacity: items.count)
            for v in items { keyList.appendUnlocked(try vm.call(k, [v])) }
        } else {
            keyList = ListObj(items)
        }
        let keys = keyList.copyItems
        defer { withExtendedLifetime(keyList) {} }
        let order = try MethodSupport.stableOrder(items.count) { a, b in
            rev ? try vm.less(keys[b], keys[a]) : try vm.less(keys[a], keys[b])
        }
        return order.map { items[$0] }
    }

    static func rangeReceiver(_ r: Word, _ fn: String) throws -> RangeObj {
        if case .object(let o) = r.unpacked, let rg = o as? RangeObj { return rg }
        throw ScriptThrow.typeError("\(fn)() needs a range receiver, not \(r.typeName)")
    }

    /// The position of `n` in `rg`, or nil; overflow-free for any bounds.
    static func rangeIndex(_ rg: RangeObj, _ n: Int) -> UInt? {
        let dist: UInt
        if rg.step > 0 {
            guard n >= rg.start && n < rg.end else { return nil }
            dist = UInt(bitPattern: n &- rg.start)
        } else {
            guard n <= rg.start && n > rg.end else { return nil }
            dist = UInt(bitPattern: rg.start &- n)
        }
        let step = rg.step.magnitude
        guard step != 0, dist % step == 0 else { return nil }
        return dist / step
    }

    /// A value a range could contain: an int, or a float with an integral value.
    static func rangeElement(_ v: Word) -> Int? {
        switch v.unpacked {
        case .int(let i): return i
        case .float(let d):
            if d.rounded() == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 { return Int(d) }
            return nil
        default: return nil
        }
    }
}
