// Event (§7.3), the builtin table of the synchronization primitives (event,
// condition, semaphore, bounded_semaphore, barrier), and the spin-then-park
// helper they share.
//
// Parking a thread and waking it costs ~10-25 µs; a hand-off between two running
// threads that spins briefly first costs ~0.1 µs. So every blocking primitive
// here polls its wake-up condition for a few microseconds (lock-free, no monitor
// held) before it parks in `VM.blockingWait`. Each object learns how long its
// waits usually last (`SpinGate`, a moving average of every wait, parked or not)
// and spins for about twice that (at most 60 µs), or not at all when waits are
// long; at most one thread per core spins at once. With more running threads
// than cores the waits grow long and spinning stops by itself.
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

    /// Polls `ready` for as long as `gate` suggests (maybe not at all); true when
    /// it became true, in which case the wait's length is recorded. After a false
    /// return the caller parks, then calls `gate.record(since: start)`.
    /// Holds no lock; `ready` must be cheap. With `backoff` (polling a lock that
    /// its holder keeps re-taking) the polls space out exponentially, so the
    /// holder can finish a burst of short critical sections instead of having
    /// the lock's cache lines pulled away on every one.
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
            if ready() { gate.record(since: start); return true }
            i &+= 1
            if backoff {
                pause(delay)
                if delay < 512 { delay &*= 2 } else if nowNs() &- start > budget { break }
            } else if i & 31 == 0 && nowNs() &- start > budget {
                break
            }
        }
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

/// How long the waits on one object last: an exponential moving average of
/// every wait (spun or parked), from which the spin budget follows. Races
/// between threads only blur the average (relaxed atomics).
final class SpinGate: @unchecked Sendable {
    /// Average wait, ns. Starts optimistic: the first waits spin.
    private let average = Atomic<Int>(2_000)

    /// Spin for about twice the usual wait, at least 4 µs; not at all when
    /// waits usually outlast what a spin may cost.
    static let maxSpinNs = 60_000

    @inline(__always) func budget() -> UInt64 {
        let a = average.load(ordering: .relaxed)
        if a * 2 > SpinGate.maxSpinNs { return 0 }
        return UInt64(max(4_000, a * 2))
    }

    @inline(__always) func record(since start: UInt64) {
        let sample = Int(min(Spin.nowNs() &- start, 1_000_000))
        let a = average.load(ordering: .relaxed)
        average.store(a + (sample - a) / 4, ordering: .relaxed)
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
        defer { parked -= 1; monitor.unlock(); gate.record(since: start) }
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
