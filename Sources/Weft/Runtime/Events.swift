// Event (§7.3), the builtin table of the synchronization primitives (event,
// condition, semaphore, bounded_semaphore, barrier), and the spin-then-park
// helper they share.
//
// Parking a thread and waking it costs 10-40 µs; a hand-off between two running
// threads that spins briefly first costs ~0.1 µs. So every blocking primitive
// here polls its wake-up condition for a while (lock-free, no monitor held)
// before it parks in `VM.blockingWait`. Each object tracks whether spinning
// pays (`SpinGate`): after failed spins it parks at once for a growing number
// of waits, so with more runnable threads than cores spinning all but stops.
// At most one thread per core spins at a time, and spinners never yield (with
// CPU-bound threads around, `sched_yield` gives the core away for a whole
// time slice, measured at milliseconds per hand-off).
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

    @inline(__always) static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Seconds left of `timeout` after what passed since `start`.
    @inline(__always) static func remaining(_ timeout: Double?, since start: UInt64) -> Double? {
        timeout.map { max(0, $0 - Double(nowNs() &- start) / 1e9) }
    }

    /// Polls `ready` for as long as `gate` allows (maybe not at all); true when
    /// it became true, else the caller parks. Holds no lock; `ready` must be
    /// cheap. With `backoff` (polling a lock that its holder keeps re-taking)
    /// the polls space out exponentially, so the holder can finish a burst of
    /// short critical sections instead of losing the lock's cache line on each.
    static func poll(_ gate: SpinGate, since start: UInt64, backoff: Bool = false, _ ready: () -> Bool) -> Bool {
        let budget = gate.budget()
        guard budget > 0, cores > 1 else { return false }
        if spinners.add(1, ordering: .relaxed).newValue > cores {
            spinners.subtract(1, ordering: .relaxed)
            return false
        }
        defer { spinners.subtract(1, ordering: .relaxed) }
        var i = 0
        var delay = 8
        while true {
            if ready() { gate.succeeded(); return true }
            i &+= 1
            if backoff {
                pause(delay)
                if delay < 512 { delay &*= 2 } else if nowNs() &- start > budget { break }
            } else if i & 31 == 0 && nowNs() &- start > budget {
                break
            }
        }
        gate.failed()
        return false
    }

    /// A line every core may cache read-only: pausing reads it, which costs
    /// no coherence traffic (Swift has no `pause` instruction).
    private static let idle = Atomic<Int>(0)

    @inline(never) static func pause(_ n: Int) {
        var k = 0
        for _ in 0..<n { k &+= idle.load(ordering: .relaxed) }
        if k == -1 { print(k) }
    }
}

/// Whether spinning pays on one object. A spin that fails (the other thread did
/// not act within the budget: it was parked, busy, or had no core to run on)
/// makes the object skip spinning for the next 1, 2, 4, ... up to 64 waits; a
/// spin that succeeds resets that. So with idle cores hand-offs stay hot, and
/// with more runnable threads than cores (where spinning only delays the
/// thread being waited for) nearly every wait parks at once. Races between
/// threads only blur the counts (relaxed atomics).
final class SpinGate: @unchecked Sendable {
    private let skip = Atomic<Int>(0)
    private let penalty = Atomic<Int>(0)

    /// The spin budget: long enough to cover one wake-up of a parked thread
    /// (10-40 µs on this kind of VM), so that two threads that keep parking for
    /// each other get back to running side by side.
    static let budgetNs: UInt64 = 50_000

    /// The budget for this wait, or 0 to park at once.
    @inline(__always) func budget() -> UInt64 {
        let s = skip.load(ordering: .relaxed)
        if s > 0 { skip.store(s - 1, ordering: .relaxed); return 0 }
        return SpinGate.budgetNs
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

    static let eventMethods = MethodList([
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
