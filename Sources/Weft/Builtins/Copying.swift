// `copy`, `deepcopy`, `freeze`, `is_frozen` (§2).
//
// - copy(x): a new mutable list/map/instance holding the same elements; a frozen
//   value gives a mutable copy; immutable values are returned as they are.
// - deepcopy(x): copies lists, maps and instances all the way down, preserving
//   shared references and cycles; frozen containers come back mutable. Map keys are
//   kept as they are (they are immutable, or instances keyed by identity).
// - freeze(x): a deep immutable copy; lists, maps and instances inside are frozen
//   copies, already-frozen values and immutables (str, numbers, bytes, ranges,
//   functions, classes, runtime objects) are shared.
//
// deepcopy and freeze are iterative (a worklist, not recursion), so a deeply nested
// structure cannot overflow the native stack. A copy is registered in the memo
// before its contents are filled, which is what makes cycles work. freeze inserts
// map entries only after every copy is complete, because a key's script `hash` may
// read its (copied) fields; the `frozen` flags are set last of all.

enum Copying {
    static func copy(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return shallowCopy(args[0])
    }

    static func deepcopy(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return try DeepCopier(vm: vm, freezing: false).run(args[0])
    }

    static func freeze(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return try freezeValue(vm, args[0])
    }

    static func isFrozen(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return .bool(isFrozenValue(args[0]))
    }

    /// `freeze(x)` for Swift callers.
    static func freezeValue(_ vm: VM, _ v: Word) throws -> Word {
        try DeepCopier(vm: vm, freezing: true).run(v)
    }

    /// Frozen containers and inherently immutable values (nil, bool, int, float,
    /// str, bytes, range) are frozen; mutable containers, functions, classes,
    /// modules and runtime objects are not.
    static func isFrozenValue(_ v: Word) -> Bool {
        switch v.unpacked {
        case .nil, .bool, .int, .float, .str: return true
        case .list(let l): return l.locked { l.frozen }
        case .map(let m): return m.locked { m.frozen }
        case .instance(let i): return i.locked { i.frozen }
        case .function: return false
        case .object(let o): return o is BytesObj || o is RangeObj
        }
    }

    // MARK: - Shallow copies

    static func shallowCopy(_ v: Word) -> Word {
        switch v.unpacked {
        case .list(let l): return .list(ListObj(l.copyItems))
        case .map(let m): return .map(m.entriesCopy())
        case .instance(let i): return .instance(cloneInstance(i))
        default: return v
        }
    }

    /// An error's state is copied (the copy records its own trace); other native
    /// state (a Thread's handle) is shared.
    static func nativeCopy(_ native: AnyObject?) -> AnyObject? {
        if let s = native as? ErrorState { return s.copy() }
        return native
    }

    /// A mutable instance of the same class with the same fields and native state.
    static func cloneInstance(_ i: Instance) -> Instance {
        let c = Instance(cls: i.cls)
        c.copyFields(from: i, transform: { $0 }, native: nativeCopy)
        return c
    }
}

/// One deepcopy or freeze: the memo of copies made, and the work still to do.
private final class DeepCopier {
    let vm: VM
    let freezing: Bool
    var memo: [ObjectIdentifier: Word] = [:]
    /// Copies registered whose contents are still to be filled.
    var work: [(from: Word, to: Word)] = []
    /// freeze: map entries to insert once every copy is complete.
    var pendingEntries: [(map: MapObj, entries: [(Word, Word)])] = []
    /// freeze: every container made, to mark frozen at the very end.
    var made: [Word] = []

    init(vm: VM, freezing: Bool) { self.vm = vm; self.freezing = freezing }

    func run(_ v: Word) throws -> Word {
        let result = copyOf(v)
        while let item = work.popLast() { fill(item.from, item.to) }
        for (m, entries) in pendingEntries {
            for (k, v) in entries { try vm.mapSet(m, k, v) }
        }
        for c in made {
            switch c.unpacked {
            case .list(let l): l.locked { l.frozen = true }
            case .map(let m): m.locked { m.frozen = true }
            case .instance(let i): i.locked { i.frozen = true }
            default: break
            }
        }
        return result
    }

    /// The copy of `v`: memoized, or registered now (contents filled later).
    func copyOf(_ v: Word) -> Word {
        let obj: AnyObject
        switch v.unpacked {
        case .list(let l):
            if freezing && l.locked({ l.frozen }) { return v }
            obj = l
        case .map(let m):
            if freezing && m.locked({ m.frozen }) { return v }
            obj = m
        case .instance(let i):
            if freezing && i.locked({ i.frozen }) { return v }
            obj = i
        default:
            return v
        }
        let id = ObjectIdentifier(obj)
        if let c = memo[id] { return c }
        let c: Word
        switch v.unpacked {
        case .list: c = .list(ListObj())
        case .map: c = .map(MapObj())
        case .instance(let i): c = .instance(Instance(cls: i.cls))
        default: return v
        }
        memo[id] = c
        work.append((v, c))
        if freezing { made.append(c) }
        return c
    }

    func fill(_ from: Word, _ to: Word) {
        switch (from.unpacked, to.unpacked) {
        case (.list(let src), .list(let dst)):
            dst.replaceAllUnlocked(src.snapshot.map(copyOf))
        case (.map(let src), .map(let dst)):
            if freezing {
                let entries = src.entries.map { (copyOf($0.key), copyOf($0.value)) }
                pendingEntries.append((dst, entries))
            } else {
                // Same keys, same hashes: clone the table, then copy the values.
                dst.copyEntries(from: src)
                dst.transformValues(copyOf)
            }
        case (.instance(let src), .instance(let dst)):
            dst.copyFields(from: src, transform: copyOf, native: Copying.nativeCopy)
        default:
            break
        }
    }
}
