// Builtins over iterables (§8): enumerate, zip, sorted, reversed, min, max, sum,
// any, all. `enumerate zip reversed sorted` return lists. Script callbacks
// (`key:`) and comparisons run on snapshots, never while a lock is held.

enum Sequences {
    /// Raised inside `vm.iterate` to stop early (any/all/zip); never escapes here.
    private struct StopIteration: Error {}

    /// Iterates `v`, stopping as soon as `body` returns false.
    static func iterate(_ vm: VM, _ v: Word, _ body: (Word) throws -> Bool) throws {
        if case .list(let l) = v.unpacked {
            for x in l.snapshot where try !body(x) { return }
            return
        }
        do {
            try vm.iterate(v) { x in if try !body(x) { throw StopIteration() } }
        } catch is StopIteration {}
    }

    /// The elements of an iterable (a list's snapshot without going through the VM).
    static func items(_ vm: VM, _ v: Word) throws -> [Word] {
        if case .list(let l) = v.unpacked { return l.snapshot }
        return try vm.collect(v)
    }

    // MARK: - enumerate, zip, reversed

    /// `enumerate(xs, start: 0)` → `[[start, x0], [start + 1, x1], ...]`.
    static func enumerate(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 2, keywords: ["start"])
        var i = 0
        if let s = try args.arg(1, "start") {
            guard case .int(let n) = s.unpacked else {
                throw ScriptThrow.typeError("enumerate() argument 'start' must be int, not \(s.typeName)")
            }
            i = n
        }
        try checkEnumerateSize(args[0])
        var out: [Word] = []
        var overflowed = false
        try iterate(vm, args[0]) { x in
            if overflowed { throw ScriptThrow.overflow("enumerate() index overflow") }
            out.append(.list(ListObj([.int(i), x])))
            let (n, o) = i.addingReportingOverflow(1)
            i = n; overflowed = o
            return true
        }
        return .list(ListObj(out))
    }

    /// A huge range: refuse at once (shared with `for i, x in enumerate(xs)`).
    static func checkEnumerateSize(_ x: Word) throws {
        if let k = knownLength(x) {
            try AllocationLimit.check(k, stride: MemoryLayout<Word>.stride, "enumerate() result")
        }
    }

    /// `zip(...iterables)` → a list of lists, as long as the shortest input. No
    /// input is read past that length (a huge range or a queue is not drained).
    static func zip(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: Int.max)
        if args.count == 0 { return .list(ListObj()) }
        let columns = try zipColumns(vm, (0..<args.count).map { args[$0] })
        let n = columns.map(\.count).min() ?? 0
        var out: [Word] = []
        out.reserveCapacity(n)
        for r in 0..<n { out.append(.list(ListObj(columns.map { $0[r] }))) }
        return .list(ListObj(out))
    }

    /// The columns `zip(inputs...)` pairs up, read exactly as `zip` reads them (no
    /// input past the shortest's length); shared with `for a, b in zip(xs, ys)`,
    /// which walks them without building the pair lists.
    static func zipColumns(_ vm: VM, _ inputs: [Word]) throws -> [[Word]] {
        var n = Int.max
        for x in inputs {
            if let k = knownLength(x) { n = Swift.min(n, k) }
        }
        if n != Int.max {                         // every input a huge range: refuse at once
            try AllocationLimit.check(n, stride: MemoryLayout<Word>.stride, "zip() result")
        }
        var columns: [[Word]] = []
        for x in inputs {
            var col: [Word] = []
            if n == Int.max {
                col = try items(vm, x)           // the first lazy input sets the length
            } else if n > 0 {
                try iterate(vm, x) { v in
                    col.append(v)
                    return col.count < n
                }
            } else {
                try checkIterable(vm, x, "zip")
            }
            n = Swift.min(n, col.count)
            columns.append(col)
            Heap.keep(col)   // rooted while the next input's iteration may run script code
        }
        return columns
    }

    /// The element count of a sized iterable (list, str, bytes, map, range).
    static func knownLength(_ v: Word) -> Int? {
        switch v.unpacked {
        case .list(let l): return l.count
        case .str(let s): return s.count
        case .map(let m): return m.count
        case .object(let o as BytesObj): return o.bytes.count
        case .object(let o as RangeObj): return o.count
        default: return nil
        }
    }

    /// Raises the usual TypeError for a non-iterable without consuming anything
    /// from an iterable (zip with an empty first argument still checks the others).
    private static func checkIterable(_ vm: VM, _ v: Word, _ fn: String) throws {
        switch v.unpacked {
        case .nil, .bool, .int, .float, .function:
            throw ScriptThrow.typeError("\(fn)() argument must be iterable, not \(v.typeName)")
        default: return
        }
    }

    static func reversed(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return try reversed(vm, args[0])
    }

    /// `reversed(x)`: a new list of x's items, last first.
    static func reversed(_ vm: VM, _ x: Word) throws -> Word {
        if x.isList { return x.withObject(ListObj.self) { $0.reversedCopy() } }
        if case .object(let r as RangeObj) = x.unpacked { return try vm.list(of: r, reversed: true) }
        return .list(ListObj(try items(vm, x).reversed()))
    }

    // MARK: - sorted

    /// `sorted(xs, key: nil, reverse: false)`: a new list, stable (also in reverse:
    /// equal elements keep their order, as in Python). Shares `list.sort`'s code.
    static func sorted(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 3, keywords: ["key", "reverse"])
        let xs = try items(vm, args[0])
        return .list(ListObj(try ListMethods.sortedValues(
            vm, xs, key: try args.arg(1, "key"), reverse: try args.arg(2, "reverse"), fn: "sorted")))
    }

    /// Weft's `<`, with the common same-type cases inline.
    @inline(__always) static func less(_ vm: VM, _ a: Word, _ b: Word) throws -> Bool {
        switch (a.unpacked, b.unpacked) {
        case (.int(let x), .int(let y)): return x < y
        case (.float(let x), .float(let y)): return x < y
        case (.str(let x), .str(let y)): return strLess(x, y)
        default: return try vm.less(a, b)
        }
    }

    // MARK: - min, max

    static func min(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try extreme(vm, args, "min", wantMax: false)
    }

    static func max(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try extreme(vm, args, "max", wantMax: true)
    }

    /// `min`/`max` of one iterable or several values, with `key:` and `default:`
    /// (returned for an empty iterable). The first of equal extremes wins.
    private static func extreme(_ vm: VM, _ args: Args, _ name: String, wantMax: Bool) throws -> Word {
        try args.check(min: 1, max: Int.max, keywords: ["key", "default"])
        if args.count > 1, args.kw("default") != nil {
            throw ScriptThrow.typeError("\(name)() cannot take 'default' with several positional arguments")
        }
        if args.count > 1 && args.kw("key") == nil {
            // `max(a, b)`: the candidates are arguments, on the VM's stack (rooted while
            // a comparison runs script code), so nothing is copied or allocated.
            var best = args[0]
            for i in 1..<args.count {
                let x = args[i]
                if wantMax ? try less(vm, best, x) : try less(vm, x, best) { best = x }
            }
            return best
        }
        let xs = args.count == 1 ? try items(vm, args[0]) : args.positional
        guard let first = xs.first else {
            if let d = args.kw("default") { return d }
            throw ScriptThrow.valueError("\(name)() arg is an empty sequence")
        }
        var keyFn = args.kw("key")
        if let k = keyFn, Conversions.isNil(k) { keyFn = nil }
        var best = first
        var bestKey = try keyFn.map { try vm.call($0, [first]) } ?? first
        // The best key so far is rooted while the next key call may collect.
        let held = ListObj([bestKey])
        for x in xs.dropFirst() {
            let k = try keyFn.map { try vm.call($0, [x]) } ?? x
            held.appendUnlocked(k)
            if wantMax ? try less(vm, bestKey, k) : try less(vm, k, bestKey) {
                best = x; bestKey = k
                held.setUnlocked(0, k)
            }
            _ = held.removeUnlocked(at: 1)
        }
        return best
    }

    // MARK: - sum

    /// `sum(xs, start: 0)`: ints stay ints (OverflowError on overflow), a float makes
    /// the total a float; lists concatenate when `start` is a list.
    static func sum(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 2, keywords: ["start"])
        var total = try args.arg(1, "start") ?? .int(0)
        var joined: [Word]? = nil
        if case .list(let l) = total.unpacked { joined = l.snapshot }
        switch total.unpacked {
        case .int, .float, .list: break
        default:
            throw ScriptThrow.typeError("sum() start must be a number or a list, not \(total.typeName)")
        }
        try iterate(vm, args[0]) { x in
            if joined != nil {
                guard case .list(let l) = x.unpacked else {
                    throw ScriptThrow.typeError("unsupported operand types for +: 'list' and '\(x.typeName)'")
                }
                joined!.append(contentsOf: l.snapshot)
                return true
            }
            total = try add(total, x)
            return true
        }
        if let j = joined { return .list(ListObj(j)) }
        return total
    }

    /// Numeric `+` for sum: int + int checks overflow; bool is not a number.
    static func add(_ a: Word, _ b: Word) throws -> Word {
        switch (a.unpacked, b.unpacked) {
        case (.int(let x), .int(let y)):
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw ScriptThrow.overflow("integer overflow in sum()") }
            return .int(r)
        case (.int(let x), .float(let y)): return .float(Double(x) + y)
        case (.float(let x), .int(let y)): return .float(x + Double(y))
        case (.float(let x), .float(let y)): return .float(x + y)
        default:
            throw ScriptThrow.typeError("unsupported operand types for +: '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    // MARK: - any, all

    static func any(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        var found = false
        try iterate(vm, args[0]) { x in
            if x.isTruthy { found = true; return false }
            return true
        }
        return .bool(found)
    }

    static func all(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        var ok = true
        try iterate(vm, args[0]) { x in
            if !x.isTruthy { ok = false; return false }
            return true
        }
        return .bool(ok)
    }
}
