// Semaphore and BoundedSemaphore (§7.3).
import Synchronization

final class SemaphoreObj: Obj, @unchecked Sendable {
    let id = SyncIds.next()
    let bounded: Bool
    let initial: Int
    let monitor = PosixCondition()
    /// The counter; guarded by `monitor`, mirrored in `available` for spinning.
    private var value: Int
    private let available: Atomic<Int>
    /// Threads parked in acquire(); guarded by `monitor`.
    private var parked = 0
    let gate = SpinGate()

    init(value: Int, bounded: Bool) {
        self.value = value
        self.initial = value
        self.bounded = bounded
        self.available = Atomic<Int>(value)
    }

    override var typeName: String { bounded ? "BoundedSemaphore" : "Semaphore" }
    var label: String { "\(typeName)#\(id)" }
    override func method(_ sym: Int32) -> NativeFn? { SemaphoreBuiltins.methods.find(sym) }
    override func methodNames() -> [String] { SemaphoreBuiltins.methods.names }

    func acquire(_ vm: VM, blocking: Bool, timeout: Double?) throws -> Bool {
        try vm.thread.checkPending()
        monitor.lock()
        if value > 0 {
            value -= 1
            available.store(value, ordering: .relaxed)
            monitor.unlock()
            return true
        }
        monitor.unlock()
        if !blocking { return false }
        if let t = timeout, t <= 0 { return false }
        let start = Spin.nowNs()
        _ = Spin.poll(gate, since: start) { available.load(ordering: .relaxed) > 0 }
        let left = Spin.remaining(timeout, since: start)

        monitor.lock()
        defer { monitor.unlock() }
        if value > 0 {
            value -= 1
            available.store(value, ordering: .relaxed)
            return true
        }
        parked += 1
        var got = false
        defer {
            parked -= 1
            // A wake-up this thread did not use goes to the next waiter.
            if !got && value > 0 && parked > 0 { monitor.signal() }
        }
        got = try vm.blockingWait(monitor, timeout: left, on: label) { value > 0 }
        if !got { return false }
        value -= 1
        available.store(value, ordering: .relaxed)
        return true
    }

    func release(_ n: Int) throws {
        if n < 1 { throw ScriptThrow.valueError("release(): n must be one or more") }
        monitor.lock()
        defer { monitor.unlock() }
        let (sum, overflow) = value.addingReportingOverflow(n)
        if overflow { throw ScriptThrow.overflow("semaphore value overflow") }
        if bounded && sum > initial { throw ScriptThrow.valueError("Semaphore released too many times") }
        value = sum
        available.store(value, ordering: .releasing)
        if parked > 0 {
            if n == 1 { monitor.signal() } else { monitor.broadcast() }
        }
    }
}

enum SemaphoreBuiltins {
    static func this(_ r: Word) -> SemaphoreObj { SyncBuiltins.this(r, SemaphoreObj.self) }

    static let methods = MethodList([
        NativeEntry("acquire", { vm, r, args in
            let (blocking, timeout) = try SyncBuiltins.acquireArgs(vm, args)
            return .bool(try this(r).acquire(vm, blocking: blocking, timeout: timeout))
        }),
        NativeEntry("release", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["n"])
            let n = try SyncBuiltins.intArg(args.arg(0, "n") ?? .int(1), "release", "n")
            try this(r).release(n)
            return .nil
        }),
        NativeEntry("enter", { vm, r, args in
            try args.check(min: 0, max: 0)
            _ = try this(r).acquire(vm, blocking: true, timeout: nil)
            return r
        }),
        NativeEntry("exit", { vm, r, args in
            try this(r).release(1)
            return .nil
        }),
    ])
}
