// The methods of builtin types (§8): `"a,b".split(",")`, `xs.append(1)`,
// `m.get(k)`. Each type's methods live in its own file (StrMethods, BytesMethods,
// ListMethods, MapMethods) as a list of (name, body); this file builds the
// symbol-keyed tables the VM consults when it calls `receiver.name(...)`, and holds
// the small argument helpers those files share.
//
// A method is an ordinary `NativeFn` whose body receives the receiver as its
// second parameter. Every method is one atomic operation with respect to other
// threads: list state is read and written under the list's lock, and script code
// (`vm.call`, `vm.less`, `vm.equals`) only ever runs on a snapshot, never while a
// lock is held.

import CWeftSupport

enum MethodTables {
    /// One type's methods: by symbol for dispatch, by name for completion.
    struct MethodSet {
        let table: [Int32: NativeFn]
        let names: [String]
        /// The dispatch index the VM's calls use.
        let index: MethodIndex

        init(_ methods: [NativeEntry]) {
            var t: [Int32: NativeFn] = [:]
            for e in methods { t[Symbols.intern(e.name)] = NativeFn(e.name, e.body) }
            table = t
            names = methods.map(\.name).sorted()
            index = MethodIndex(t)
        }
    }

    /// The methods of one type indexed by symbol (symbols are small, dense ints), as
    /// unretained references in memory allocated once for the process: native
    /// functions are pinned for good, and a copy of this struct retains nothing, so a
    /// call `s.method(...)` looks its method up without hashing or reference counting.
    /// (Handing out the whole `MethodSet` retained its three arrays on every call.)
    struct MethodIndex {
        /// Word 0 holds the slot count; the slots follow, one per symbol.
        fileprivate let base: UnsafeMutablePointer<UnsafeRawPointer?>

        init(_ table: [Int32: NativeFn]) {
            let count = Int(table.keys.max() ?? 0) + 1
            base = .allocate(capacity: count + 1)
            base.initialize(to: UnsafeRawPointer(bitPattern: count))
            (base + 1).initialize(repeating: nil, count: count)
            for (sym, fn) in table { base[1 + Int(sym)] = UnsafeRawPointer(Unmanaged.passUnretained(fn).toOpaque()) }
        }

        fileprivate init(base: UnsafeMutablePointer<UnsafeRawPointer?>) { self.base = base }

        /// Calls `body` with method `sym` borrowed, or returns nil when there is none.
        @inline(__always) func withMethod<R>(_ sym: Int32, _ body: (NativeFn) throws -> R) rethrows -> R? {
            let count = Int(bitPattern: base[0])
            guard sym >= 0, Int(sym) < count, let p = base[1 + Int(sym)] else { return nil }
            return try Unmanaged<NativeFn>.fromOpaque(p)._withUnsafeGuaranteedRef(body)
        }
    }

    /// The method index of a str, list or map receiver (tested on the word), or nil.
    @inline(__always) static func index(of receiver: Word) -> MethodIndex? {
        if receiver.isStr { return index(0) }
        if receiver.isList { return index(1) }
        if receiver.isMap { return index(2) }
        return nil
    }

    /// The indexes live in C globals (weft_support.h, `weft_tables`): read through
    /// the `static let`s below, every call `s.method()` paid a swift_once.
    @inline(__always) private static func index(_ i: Int32) -> MethodIndex {
        if let p = weft_table(i) { return MethodIndex(base: UnsafeMutablePointer(mutating: p.assumingMemoryBound(to: UnsafeRawPointer?.self))) }
        return fillIndexes(i)
    }

    @inline(never) private static func fillIndexes(_ i: Int32) -> MethodIndex {
        for (k, set) in [str, list, map].enumerated() { weft_set_table(Int32(k), UnsafeRawPointer(set.index.base)) }
        return index(i)
    }

    static let str = MethodSet(StrMethods.methods)
    static let bytes = MethodSet(BytesMethods.methods)
    static let list = MethodSet(ListMethods.methods)
    static let map = MethodSet(MapMethods.methods)
    static let range = MethodSet(ListMethods.rangeMethods)

    /// The builtin method `sym` of a str/bytes/list/map/range receiver, or nil.
    static func lookup(_ receiver: Word, _ sym: Int32) -> NativeFn? {
        switch receiver.unpacked {
        case .str: return str.table[sym]
        case .list: return list.table[sym]
        case .map: return map.table[sym]
        case .object(let o):
            if o is BytesObj { return bytes.table[sym] }
            if o is RangeObj { return range.table[sym] }
            return nil
        default: return nil
        }
    }

    /// Method names per type (for REPL completion): "str", "bytes", "list", "map", "range".
    static func names(ofType type: String) -> [String] {
        switch type {
        case "str": return str.names
        case "bytes": return bytes.names
        case "list": return list.names
        case "map": return map.names
        case "range": return range.names
        default: return []
        }
    }
}

/// Argument helpers shared by the builtin methods and standard modules.
enum MethodSupport {
    /// An int argument; bool is not a number (§2).
    static func int(_ v: Word, _ fn: String, _ param: String) throws -> Int {
        if case .int(let i) = v.unpacked { return i }
        throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be int, not \(v.typeName)")
    }

    /// A str argument.
    static func str(_ v: Word, _ fn: String, _ param: String) throws -> StrObj {
        if case .str(let s) = v.unpacked { return s }
        throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be str, not \(v.typeName)")
    }

    /// An int or float argument as a Double.
    static func number(_ v: Word, _ fn: String, _ param: String) throws -> Double {
        switch v.unpacked {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default:
            throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be int or float, not \(v.typeName)")
        }
    }

    /// A required parameter, by position or keyword.
    static func required(_ args: Args, _ i: Int, _ name: String) throws -> Word {
        if let v = try args.arg(i, name) { return v }
        throw ScriptThrow.typeError("\(args.fnName)() missing required argument '\(name)'")
    }

    /// The receiver as a list (a method table only dispatches on its own type, but a
    /// NativeFn is a value and could be called some other way).
    static func list(_ r: Word, _ fn: String) throws -> ListObj {
        if case .list(let l) = r.unpacked { return l }
        throw ScriptThrow.typeError("\(fn)() needs a list receiver, not \(r.typeName)")
    }

    /// Runs `body` with the receiver borrowed as a list (no retain and release, as a
    /// reference from `list(_:_:)` costs: the hot methods, `pop` and `insert`).
    @inline(__always)
    static func withList<R>(_ r: Word, _ fn: String, _ body: (ListObj) throws -> R) throws -> R {
        guard r.isList else { throw ScriptThrow.typeError("\(fn)() needs a list receiver, not \(r.typeName)") }
        return try r.withObject(ListObj.self, body)
    }

    static func map(_ r: Word, _ fn: String) throws -> MapObj {
        if case .map(let m) = r.unpacked { return m }
        throw ScriptThrow.typeError("\(fn)() needs a map receiver, not \(r.typeName)")
    }

    static func strReceiver(_ r: Word, _ fn: String) throws -> StrObj {
        if case .str(let s) = r.unpacked { return s }
        throw ScriptThrow.typeError("\(fn)() needs a str receiver, not \(r.typeName)")
    }

    static func bytesReceiver(_ r: Word, _ fn: String) throws -> BytesObj {
        if case .object(let o) = r.unpacked, let b = o as? BytesObj { return b }
        throw ScriptThrow.typeError("\(fn)() needs a bytes receiver, not \(r.typeName)")
    }

    /// Python-style index normalisation: negative counts from the end; nil when out of range.
    @inline(__always) static func index(_ i: Int, count n: Int) -> Int? {
        let j = i < 0 ? i &+ n : i
        return (j >= 0 && j < n) ? j : nil
    }

    /// A stable merge sort of `0..<n` under a throwing comparator; returns the permutation.
    static func stableOrder(_ n: Int, _ less: (Int, Int) throws -> Bool) throws -> [Int] {
        var a = Array(0..<n)
        if n < 2 { return a }
        var buf = a
        // Insertion-sort runs of 8, then merge bottom-up.
        let run = 8
        var lo = 0
        while lo < n {
            let hi = Swift.min(lo + run, n)
            var i = lo + 1
            while i < hi {
                let x = a[i]
                var j = i
                while j > lo, try less(x, a[j - 1]) { a[j] = a[j - 1]; j -= 1 }
                a[j] = x
                i += 1
            }
            lo = hi
        }
        var width = run
        while width < n {
            var start = 0
            while start < n {
                let mid = Swift.min(start + width, n), end = Swift.min(start + 2 * width, n)
                var i = start, j = mid, k = start
                if mid < end, try !less(a[mid], a[mid - 1]) {
                    // Already in order: copy through.
                    while k < end { buf[k] = a[k]; k += 1 }
                } else {
                    while i < mid && j < end {
                        if try less(a[j], a[i]) { buf[k] = a[j]; j += 1 } else { buf[k] = a[i]; i += 1 }
                        k += 1
                    }
                    while i < mid { buf[k] = a[i]; i += 1; k += 1 }
                    while j < end { buf[k] = a[j]; j += 1; k += 1 }
                }
                start = end
            }
            swap(&a, &buf)
            width *= 2
        }
        return a
    }
}
