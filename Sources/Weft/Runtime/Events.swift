// Event (§7.3), the builtin table of the synchronization primitives (event,
// condition, semaphore, bounded_semaphore, barrier), and the spin-then-park
// helper they share.
//
// Parking a thread and waking it costs ~22 µs; a hand-off between two running
// threads that spins briefly first costs ~0.1 µs. So every blocking primitive
// here polls its wake-up condition for a few microseconds (lock-free, no monitor
// held) before it parks in `VM.blockingWait`. Spinning is bounded three ways: at
// most `cores - 1` threads spin at once (a spinner never takes the last core from
// the thread it waits for), each spin lasts at most `Spin.budgetNs`, and an
// object whose recent spins failed stops spinning for a while (`SpinGate`).
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ids for the labels deadlock reports use ("Event#3").
enum SyncIds {
    private static let counter = Atomic<Int>(0)
    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}

enum Spin {
    static let cores = ProcessInfo.processInfo.activeProcessorCount
    /// Threads spinning right now.
    private static let spinners = Atomic<Int>(0)
    /// The longest a single spin lasts.
    static let budgetNs: UInt64 = 20_000

    @inline(__always) static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Polls `ready` for up to `budgetNs` unless `gate` says spinning has been
    /// failing on this object; true when `ready()` became true. Holds no lock.
    static func poll(_ gate: SpinGate, _ ready: () -> Bool) -> Bool {
        guard cores > 1, gate.shouldSpin() else { return false }
        if spinners.add(1, ordering: .relaxed).newValue >= cores {
            spinners.subtract(1, ordering: .relaxed)
            return false
        }
        defer { spinners.subtract(1, ordering: .relaxed) }
        let start = nowNs()
        var i = 0
        while true {
            if ready() { gate.succeeded(); return true }
            i &+= 1
            if i & 63 == 0 {
                if nowNs() &- start > budgetNs { break }
            }
        }
        if ready() { gate.succeeded(); return true }
        gate.failed()
        return false
    }
}

/// Per-object spin adaptation: after a failed spin the object skips spinning for
/// 1, 2, 4, ... up to 64 waits, and a successful spin resets that. Races between
/// threads only blur the counts (relaxed atomics).
final class SpinGate: @unchecked Sendable {
    private let skip = Atomic<Int>(0)
    private let penalty = Atomic<Int>(0)

    @inline(__always) func shouldSpin() -> Bool {
        let s = skip.load(ordering: .relaxed)
        if s > 0 { skip.store(s - 1, ordering: .relaxed); return false }
        return true
    }

    @inline(__always) func succeeded() {
        if penalty.load(ordering: .relaxed) != 0 { penalty.store(0, ordering: .relaxed) }
    }

    func failed() {
        let p = min(max(1, penalty.load(ordering: .relaxed) * 2), 64)
        penalty.store(p, ordering: .relaxed)
        skip.store(p, ordering: .relaxed)
    }
}

// MARK: - Event

final class EventObj: Obj, @unchecked Sendable {
    let id = SyncIds.next()
    let monitor = NSCondition()
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
    override func method(_ sym: Int32) -> NativeFn? { SyncBuiltins.eventMethods[sym] }
    override func methodNames() -> [String] { ["set", "clear", "is_set", "wait"] }

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
        let start = timeout == nil ? 0 : Spin.nowNs()
        if Spin.poll(gate, { flag.load(ordering: .acquiring) || generation.load(ordering: .acquiring) != gen }) {
            return true
        }
        let left = timeout.map { max(0, $0 - Double(Spin.nowNs() - start) / 1e9) }
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
    static let functions: [String: Value] = [
        "event": .object(NativeFn("event") { _, _, args in
            try args.check(min: 0, max: 0)
            return .object(EventObj())
        }),
        "condition": .object(NativeFn("condition") { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["lock"])
            switch try args.arg(0, "lock") {
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

    static func intArg(_ v: Value, _ fn: String, _ name: String) throws -> Int {
        guard case .int(let i) = v else {
            throw ScriptThrow.typeError("\(fn)(): \(name) must be an int, not '\(v.typeName)'")
        }
        return i
    }

    /// `blocking:` (default true) and `timeout:` of an acquire.
    static func acquireArgs(_ vm: VM, _ args: Args) throws -> (Bool, Double?) {
        try args.check(min: 0, max: 2, keywords: ["blocking", "timeout"])
        var blocking = true
        switch try args.arg(0, "blocking") {
        case nil, .nil?: break
        case .bool(let b)?: blocking = b
        case let other?: throw ScriptThrow.typeError("acquire(): blocking must be a bool, not '\(other.typeName)'")
        }
        return (blocking, try vm.timeoutArg(args.arg(1, "timeout"), "acquire"))
    }

    @inline(__always) static func this<T: Obj>(_ receiver: Value, _ type: T.Type) -> T {
        guard case .object(let o) = receiver else { fatalError("method on the wrong receiver") }
        return unsafeDowncast(o, to: T.self)
    }

    static let eventMethods: [Int32: NativeFn] = LockBuiltins.table([
        ("set", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r, EventObj.self).set()
            return .nil
        }),
        ("clear", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r, EventObj.self).clear()
            return .nil
        }),
        ("is_set", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r, EventObj.self).isSet)
        }),
        ("wait", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(args.arg(0, "timeout"), "wait")
            return .bool(try this(r, EventObj.self).wait(vm, timeout: timeout))
        }),
    ])
}
