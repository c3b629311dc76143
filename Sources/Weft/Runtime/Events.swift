// Event (§7.3) and the builtin table of the synchronization primitives (event,
// condition, semaphore, bounded_semaphore, barrier). Spinning before parking:
// Spin.swift.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Event

final class EventObj: Obj, @unchecked Sendable {
    let id = SyncIds.next()
    let monitor = PosixCondition()
    /// The flag; written only with `monitor` held, read anywhere.
    let flag = Atomic<Bool>(false)
    /// Bumped by every set() that turns the flag on, so a waiter that was woken
    /// by a set() returns true even if clear() came first (as in Python).
    let generation = Atomic<Int>(0)
    /// Threads parked in wait(); guarded by `monitor`.
    private var parked = 0
    let gate = SpinGate()

    override var typeName: String { "Event" }
    var label: String { "Event#\(id)" }
    override func method(_ sym: Int32) -> NativeFn? { SyncBuiltins.eventMethods.find(sym) }
    override func methodNames() -> [String] { SyncBuiltins.eventMethods.names }

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() {
        monitor.lock()
        if !flag.load(ordering: .relaxed) {
            generation.add(1, ordering: .relaxed)
            flag.store(true, ordering: .releasing)
            if parked > 0 { monitor.broadcast() }
        }
        monitor.unlock()
    }

    func clear() {
        monitor.lock()
        flag.store(false, ordering: .releasing)
        monitor.unlock()
    }

    func wait(_ vm: VM, timeout: Double?) throws -> Bool {
        try vm.thread.checkPending()
        if flag.load(ordering: .acquiring) { return true }
        if let t = timeout, t <= 0 { return false }
        let gen = generation.load(ordering: .acquiring)
        let start = Spin.nowNs()
        if Spin.poll(gate, since: start, { flag.load(ordering: .acquiring) || generation.load(ordering: .acquiring) != gen }) {
            return true
        }
        let left = Spin.remaining(timeout, since: start)
        monitor.lock()
        parked += 1
        defer { parked -= 1; monitor.unlock() }
        let woke = try vm.blockingWait(monitor, timeout: left, on: label) {
            flag.load(ordering: .relaxed) || generation.load(ordering: .relaxed) != gen
        }
        return woke || flag.load(ordering: .relaxed)
    }
}

// MARK: - The builtin functions and method tables

enum SyncBuiltins {
    static let functions: [String: Word] = [
        "event": .object(NativeFn("event") { _, _, args in
            try args.check(min: 0, max: 0)
            return .object(EventObj())
        }),
        "condition": .object(NativeFn("condition") { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["lock"])
            switch try args.arg(0, "lock")?.unpacked {
            case nil, .nil?: return .object(ConditionObj(lock: LockObj(reentrant: true)))
            case .object(let l as LockObj)?: return .object(ConditionObj(lock: l))
            case let other?:
                throw ScriptThrow.typeError("condition() needs a Lock or an RLock, not '\(other.typeName)'")
            }
        }),
        "semaphore": .object(NativeFn("semaphore") { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["value"])
            let v = try intArg(args.arg(0, "value") ?? .int(1), "semaphore", "value")
            if v < 0 { throw ScriptThrow.valueError("semaphore initial value must be >= 0") }
            return .object(SemaphoreObj(value: v, bounded: false))
        }),
        "bounded_semaphore": .object(NativeFn("bounded_semaphore") { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["value"])
            let v = try intArg(args.arg(0, "value") ?? .int(1), "bounded_semaphore", "value")
            if v < 0 { throw ScriptThrow.valueError("semaphore initial value must be >= 0") }
            return .object(SemaphoreObj(value: v, bounded: true))
        }),
        "barrier": .object(NativeFn("barrier") { vm, _, args in
            try args.check(min: 1, max: 3, keywords: ["parties", "action", "timeout"])
            let parties = try intArg(args.arg(0, "parties") ?? .nil, "barrier", "parties")
            if parties < 1 { throw ScriptThrow.valueError("barrier() needs at least 1 party") }
            let action = try args.arg(1, "action") ?? .nil
            let timeout = try vm.timeoutArg(args.arg(2, "timeout"), "barrier")
            return .object(BarrierObj(parties: parties, action: action, timeout: timeout))
        }),
    ]

    static func intArg(_ v: Word, _ fn: String, _ name: String) throws -> Int {
        guard case .int(let i) = v.unpacked else {
            throw ScriptThrow.typeError("\(fn)(): \(name) must be an int, not '\(v.typeName)'")
        }
        return i
    }

    /// `blocking:` (default true) and `timeout:` of an acquire.
    static func acquireArgs(_ vm: VM, _ args: Args) throws -> (Bool, Double?) {
        try args.check(min: 0, max: 2, keywords: ["blocking", "timeout"])
        var blocking = true
        switch try args.arg(0, "blocking")?.unpacked {
        case nil, .nil?: break
        case .bool(let b)?: blocking = b
        case let other?: throw ScriptThrow.typeError("acquire(): blocking must be a bool, not '\(other.typeName)'")
        }
        return (blocking, try vm.timeoutArg(args.arg(1, "timeout"), "acquire"))
    }

    @inline(__always) static func this<T: Obj>(_ receiver: Word, _ type: T.Type) -> T {
        guard case .object(let o) = receiver.unpacked else { fatalError("method on the wrong receiver") }
        return unsafeDowncast(o, to: T.self)
    }

    static let eventMethods = MethodList([
        NativeEntry("set", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r, EventObj.self).set()
            return .nil
        }),
        NativeEntry("clear", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r, EventObj.self).clear()
            return .nil
        }),
        NativeEntry("is_set", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r, EventObj.self).isSet)
        }),
        NativeEntry("wait", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(args.arg(0, "timeout"), "wait")
            return .bool(try this(r, EventObj.self).wait(vm, timeout: timeout))
        }),
    ])
}
