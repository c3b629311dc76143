// Condition (§7.3), built as CPython's threading.Condition: each waiter enqueues
// its own wake-up record (FIFO), so notify(n) wakes exactly the n oldest waiters,
// with no lost and no spurious wake-ups.
//
// Locking: `mutex` guards the waiter queue only; each waiter parks on its own
// PosixCondition. The user lock is released (fully, for an RLock) while waiting and
// reacquired, with its recursion depth, before wait returns or throws — unless
// re-taking it is itself interrupted or found deadlocked (see LockObj.reacquire).
// No monitor is ever held while the user lock is taken, or script code runs.
import Synchronization

/// One waiting thread's wake-up token.
final class CondWaiter: @unchecked Sendable {
    let cv = PosixCondition()
    let notified = Atomic<Bool>(false)
}

final class ConditionObj: Obj, @unchecked Sendable {
    let id = SyncIds.next()
    let lock: LockObj
    private let mutex = PosixLock()
    /// Waiters not yet notified, oldest first; guarded by `mutex`.
    private var waiters: [CondWaiter] = [] {
        didSet { waiterCount.store(waiters.count, ordering: .relaxed) }
    }
    /// `waiters.count`, readable without `mutex`. Waiters enqueue while holding
    /// the lock, so a notifier (which holds it too) never reads it too low.
    private let waiterCount = Atomic<Int>(0)
    /// Reusable records; guarded by `mutex`.
    private var spare: [CondWaiter] = []
    let gate = SpinGate()
    let lockGate = SpinGate()

    init(lock: LockObj) { self.lock = lock }

    override var typeName: String { "Condition" }
    var label: String { "Condition#\(id)" }
    override func method(_ sym: Int32) -> NativeFn? { ConditionBuiltins.methods.find(sym) }
    override func methodNames() -> [String] { ConditionBuiltins.methods.names }

    /// Takes the lock back after a wait, at its old recursion depth. The
    /// notifier usually holds it a moment longer: poll for it to be let go
    /// (spacing the polls out, so it can finish its critical section) before
    /// parking. See `LockObj.reacquire` for what may end the wait early.
    private func reacquire(_ vm: VM, depth: Int) throws {
        if lock.isLocked {
            _ = Spin.poll(lockGate, since: Spin.nowNs(), backoff: true) { !lock.isLocked }
        }
        try lock.reacquire(vm, depth: depth, for: label)
    }

    /// Waits for a notify; false on timeout.
    func wait(_ vm: VM, timeout: Double?) throws -> Bool {
        guard lock.isHeld(by: vm) else { throw ScriptThrow.runtimeError("cannot wait on un-acquired lock") }
        try vm.thread.checkPending()
        mutex.lock()
        let w = spare.popLast() ?? CondWaiter()
        w.notified.store(false, ordering: .relaxed)
        waiters.append(w)
        mutex.unlock()

        let depth: Int
        do {
            depth = try lock.releaseAll(vm)
        } catch {
            mutex.lock()
            if let i = waiters.firstIndex(where: { $0 === w }) { waiters.remove(at: i) }
            mutex.unlock()
            throw error
        }

        var got = false
        var failure: Error?
        let start = Spin.nowNs()
        if timeout != 0 {
            got = Spin.poll(gate, since: start) { w.notified.load(ordering: .acquiring) }
        }
        if !got {
            w.cv.lock()
            do {
                got = try vm.blockingWait(w.cv, timeout: timeout, on: label) {
                    w.notified.load(ordering: .acquiring)
                }
            } catch {
                failure = error
            }
            w.cv.unlock()
        }

        // Settle the token: a notify that raced with a timeout counts as a wake-up;
        // one that raced with an error is passed on to the next waiter.
        mutex.lock()
        let notified = w.notified.load(ordering: .acquiring)
        var passOn: CondWaiter?
        if !notified {
            if let i = waiters.firstIndex(where: { $0 === w }) { waiters.remove(at: i) }
        } else if failure != nil, !waiters.isEmpty {
            passOn = waiters.removeFirst()
            passOn!.notified.store(true, ordering: .releasing)
        }
        if spare.count < 4 { spare.append(w) }
        mutex.unlock()
        if let p = passOn { p.cv.lock(); p.cv.signal(); p.cv.unlock() }

        do {
            try reacquire(vm, depth: depth)
        } catch {
            throw failure ?? error
        }
        if let f = failure { throw f }
        return got || notified
    }

    /// Waits until `pred()` is truthy, or the timeout passes; returns pred's last value.
    func waitFor(_ vm: VM, _ pred: Word, timeout: Double?) throws -> Word {
        guard lock.isHeld(by: vm) else { throw ScriptThrow.runtimeError("cannot wait on un-acquired lock") }
        var result = try vm.call(pred, [])
        if result.isTruthy { return result }
        let deadline = Deadline.after(timeout)
        while !result.isTruthy {
            var left: Double?
            if let d = deadline {
                left = d.left
                if left! <= 0 { break }
            }
            // The last result is returned on timeout: rooted across the wait.
            let held = ListObj([result])
            _ = try wait(vm, timeout: left)
            withExtendedLifetime(held) {}
            result = try vm.call(pred, [])
        }
        return result
    }

    /// Wakes up to `n` waiters, oldest first.
    func notify(_ vm: VM, _ n: Int) throws {
        guard lock.isHeld(by: vm) else { throw ScriptThrow.runtimeError("cannot notify on un-acquired lock") }
        if n <= 0 || waiterCount.load(ordering: .relaxed) == 0 { return }
        mutex.lock()
        if waiters.isEmpty { mutex.unlock(); return }
        if n == 1 {
            let w = waiters.removeFirst()
            w.notified.store(true, ordering: .releasing)
            mutex.unlock()
            w.cv.lock(); w.cv.signal(); w.cv.unlock()
            return
        }
        let k = min(n, waiters.count)
        let woken = Array(waiters[0..<k])
        waiters.removeFirst(k)
        for w in woken { w.notified.store(true, ordering: .releasing) }
        mutex.unlock()
        for w in woken { w.cv.lock(); w.cv.signal(); w.cv.unlock() }
    }
}

enum ConditionBuiltins {
    static func this(_ r: Word) -> ConditionObj { SyncBuiltins.this(r, ConditionObj.self) }

    static let methods = MethodList([
        NativeEntry("acquire", { vm, r, args in
            let (blocking, timeout) = try SyncBuiltins.acquireArgs(vm, args)
            return .bool(try this(r).lock.acquire(vm, blocking: blocking, timeout: timeout))
        }),
        NativeEntry("release", { vm, r, args in
            try args.check(min: 0, max: 0)
            try this(r).lock.release(vm)
            return .nil
        }),
        NativeEntry("enter", { vm, r, args in
            try args.check(min: 0, max: 0)
            _ = try this(r).lock.acquire(vm, blocking: true, timeout: nil)
            return r
        }),
        NativeEntry("exit", { vm, r, args in
            try this(r).lock.release(vm)
            return .nil
        }),
        NativeEntry("wait", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(args.arg(0, "timeout"), "wait")
            return .bool(try this(r).wait(vm, timeout: timeout))
        }),
        NativeEntry("wait_for", { vm, r, args in
            try args.check(min: 1, max: 2, keywords: ["pred", "timeout"])
            let pred = try args.arg(0, "pred") ?? .nil
            let timeout = try vm.timeoutArg(args.arg(1, "timeout"), "wait_for")
            return try this(r).waitFor(vm, pred, timeout: timeout)
        }),
        NativeEntry("notify", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["n"])
            let n = try SyncBuiltins.intArg(args.arg(0, "n") ?? .int(1), "notify", "n")
            try this(r).notify(vm, n)
            return .nil
        }),
        NativeEntry("notify_all", { vm, r, args in
            try args.check(min: 0, max: 0)
            try this(r).notify(vm, Int.max)
            return .nil
        }),
    ])
}
