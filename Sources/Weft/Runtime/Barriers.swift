// Barrier (§7.3), following CPython's threading.Barrier state machine: a barrier
// fills (arrivals counted), then drains (every waiter leaves), and only when the
// last one has left does it fill again, so a fast thread cannot lap the others.
// Unlike CPython, the action runs with no monitor held (state `.action`), and a
// waiter that is cancelled or interrupted breaks the barrier, as a timeout does,
// so the other parties get BrokenBarrierError instead of waiting forever.

final class BarrierObj: Obj, @unchecked Sendable {
    enum State { case filling, action, draining, resetting, broken }

    let id = SyncIds.next()
    let parties: Int
    let action: Word
    let defaultTimeout: Double?
    let monitor = PosixCondition()
    /// Guarded by `monitor`.
    private var state = State.filling
    private var count = 0

    init(parties: Int, action: Word, timeout: Double?) {
        self.parties = parties
        self.action = action
        self.defaultTimeout = timeout
    }

    override var typeName: String { "Barrier" }
    override func trace(_ m: inout Marker) { m.mark(action) }
    var label: String { "Barrier#\(id)" }
    override func method(_ sym: Int32) -> NativeFn? { BarrierBuiltins.methods.find(sym) }
    override func methodNames() -> [String] { BarrierBuiltins.methods.names + ["parties", "n_waiting", "broken"] }

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        if sym == BarrierBuiltins.partiesSym { return .int(parties) }
        if sym == BarrierBuiltins.nWaitingSym {
            monitor.lock(); defer { monitor.unlock() }
            return .int(state == .filling ? count : 0)
        }
        if sym == BarrierBuiltins.brokenSym {
            monitor.lock(); defer { monitor.unlock() }
            return .bool(state == .broken)
        }
        return nil
    }

    private func broken() -> ScriptThrow {
        ScriptThrow(ErrorKinds.brokenBarrierError, "the barrier is broken")
    }

    /// Called with `monitor` held.
    private func breakBarrier() {
        state = .broken
        monitor.broadcast()
    }

    /// A party leaves (monitor held): the last one out of a drain or reset lets
    /// the barrier fill again.
    private func leave() {
        count -= 1
        if count == 0 && (state == .draining || state == .resetting) {
            state = .filling
            monitor.broadcast()
        }
    }

    /// Waits for all parties; returns this thread's arrival index.
    func wait(_ vm: VM, timeout: Double?) throws -> Int {
        let timeout = timeout ?? defaultTimeout
        monitor.lock()
        defer { monitor.unlock() }
        // A barrier still draining the previous round admits nobody new.
        _ = try vm.blockingWait(monitor, timeout: nil, on: label) {
            state == .filling || state == .broken
        }
        if state == .broken { throw broken() }

        let index = count
        count += 1
        if index + 1 == parties {
            if !action.isNil {
                state = .action
                monitor.unlock()
                var failure: Error?
                do { _ = try vm.call(action, []) } catch { failure = error }
                monitor.lock()
                if let f = failure {
                    breakBarrier()
                    leave()
                    throw f
                }
                if state != .action {   // reset or aborted while the action ran
                    leave()
                    throw broken()
                }
            }
            state = .draining
            monitor.broadcast()
            leave()
            return index
        }

        do {
            let released = try vm.blockingWait(monitor, timeout: timeout, on: label) {
                state != .filling && state != .action
            }
            if !released {
                breakBarrier()
                throw broken()
            }
            if state == .broken || state == .resetting { throw broken() }
        } catch {
            if state == .filling || state == .action { breakBarrier() }
            leave()
            throw error
        }
        leave()
        return index
    }

    func reset() {
        monitor.lock()
        defer { monitor.unlock() }
        if count > 0 {
            if state != .draining { state = .resetting }
        } else {
            state = .filling
        }
        monitor.broadcast()
    }

    func abort() {
        monitor.lock()
        breakBarrier()
        monitor.unlock()
    }
}

enum BarrierBuiltins {
    static let partiesSym = Symbols.intern("parties")
    static let nWaitingSym = Symbols.intern("n_waiting")
    static let brokenSym = Symbols.intern("broken")

    static func this(_ r: Word) -> BarrierObj { SyncBuiltins.this(r, BarrierObj.self) }

    static let methods = MethodList([
        NativeEntry("wait", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(args.arg(0, "timeout"), "wait")
            return .int(try this(r).wait(vm, timeout: timeout))
        }),
        NativeEntry("reset", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r).reset()
            return .nil
        }),
        NativeEntry("abort", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r).abort()
            return .nil
        }),
    ])
}
