// Thread-local storage (§7.6): `local()` is an object whose attributes are
// separate per thread. Storage is keyed by the thread's `ident` (unique for the
// life of the process, unlike an object address) and holds a weak reference to
// the thread, so the slots of finished threads are dropped as new threads arrive.

final class LocalObj: Obj, @unchecked Sendable {
    private final class Slots {
        weak var thread: ThreadObj?
        var values: [Int32: Word] = [:]
        init(_ t: ThreadObj) { thread = t }
    }

    private let mutex = PosixLock()
    /// Guarded by `mutex`.
    private var slots: [Int: Slots] = [:]
    private var pruneAt = 8

    override var typeName: String { "Local" }
    override func trace(_ m: inout Marker) {
        for (_, s) in slots { m.mark(all: s.values.values) }
    }

    override func methodNames() -> [String] { [] }

    private func key(_ vm: VM) -> (Int, ThreadObj) {
        let t = vm.thread!
        return (t.ownIdent, t)
    }

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        let (k, t) = key(vm)
        mutex.lock(); defer { mutex.unlock() }
        guard let s = slots[k], s.thread === t else { return nil }
        return s.values[sym]
    }

    override func setAttribute(_ sym: Int32, _ value: Word, vm: VM) throws -> Bool {
        let (k, t) = key(vm)
        mutex.lock(); defer { mutex.unlock() }
        if let s = slots[k], s.thread === t {
            s.values[sym] = value
            return true
        }
        if slots.count >= pruneAt {
            slots = slots.filter { $0.value.thread.map { !$0.isFinished } ?? false }
            pruneAt = max(8, slots.count * 2)
        }
        let s = Slots(t)
        s.values[sym] = value
        slots[k] = s
        return true
    }
}

enum LocalBuiltins {
    static let functions: [String: Word] = [
        "local": .object(NativeFn("local") { _, _, args in
            try args.check(min: 0, max: 0)
            return .object(LocalObj())
        }),
        "atomic": .object(NativeFn("atomic") { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["value"])
            return .object(AtomicObj(try args.arg(0, "value") ?? .int(0)))
        }),
    ]
}
