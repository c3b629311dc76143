// The script threads that host calls (`eval`, `call`, `repr`, `waitForThreads`) run
// as. One evaluation at a time runs as the interpreter's main thread. One that starts
// while another is still running — two host threads calling in at once, or the REPL's
// next evaluation while an abandoned one goes on — runs as a thread of its own
// (`host-N`), so the two never share wait, interrupt, cancellation, thread-local or
// activity state, and traces, `:threads` and deadlock reports name it.
// Also keeps a few VMs for reuse: a host call costs no memory mapping.

final class EvaluationThreads: @unchecked Sendable {
    private let lock = PosixLock()
    private var mainBusy = false
    /// Extra evaluation threads now running, with the Thread instances that keep
    /// them visible to `current_thread()`.
    private var extra: [(thread: ThreadObj, instance: Instance?)] = []
    private var nextNumber = 1
    /// VMs of finished host calls, ready for the next ones.
    private var spareVMs: [VM] = []
    static let maxSpareVMs = 2

    var mainIsBusy: Bool { lock.lock(); defer { lock.unlock() }; return mainBusy }

    /// Incremented by `Interpreter.cancel()`: a host call handed to a pool thread
    /// before a cancel and not yet started when it came does not start.
    private(set) var cancelEpoch = 0
    func noteCancel() { lock.lock(); cancelEpoch += 1; lock.unlock() }
    var currentCancelEpoch: Int { lock.lock(); defer { lock.unlock() }; return cancelEpoch }

    /// The script thread for a new evaluation, with a fresh budget (when the host
    /// set one) and the interpreter's capabilities.
    func claim(_ core: InterpreterCore) -> ThreadObj {
        let t = claimThread(core)
        if t.isMain {
            // A Ctrl-C or cancel() that arrived after the previous evaluation ended is stale.
            t.clearInterrupt()
            t.clearHostCancel()
        }
        t.capabilities = core.capabilities
        let budget = CallBudget(core.options)
        budget?.armTimer(core: core)
        t.budget = budget
        return t
    }

    private func claimThread(_ core: InterpreterCore) -> ThreadObj {
        lock.lock()
        if !mainBusy {
            mainBusy = true
            lock.unlock()
            return core.mainThread
        }
        let number = nextNumber
        nextNumber += 1
        lock.unlock()
        let t = ThreadObj(core: core, name: "host-\(number)", daemon: true)
        t.isHostCall = true
        lock.lock()
        extra.append((t, nil))
        lock.unlock()
        core.threads.add(t)
        return t
    }

    /// Gives an extra evaluation thread its script-visible Thread instance. Called
    /// once the call's VM is attached to the collector: no collection runs until
    /// its next safepoint, so none traces the new objects while their fields are
    /// set (a collection running alongside would, since they are referenced from
    /// Swift).
    func makeInstance(_ t: ThreadObj) {
        if t.isMain { return }
        let inst = Instance(cls: ThreadBuiltins.threadClass)
        inst.native = t
        t.instance = inst
        lock.lock()
        if let i = extra.firstIndex(where: { $0.thread === t }) { extra[i].instance = inst }
        lock.unlock()
    }

    /// Ends an evaluation begun with `claim`.
    func release(_ t: ThreadObj, _ core: InterpreterCore) {
        if let b = t.budget, b.wallTime != nil,
           !core.threads.live.contains(where: { $0 !== t && $0.budget === b }) {
            b.disarm()
        }
        if t.isMain {
            t.setActivity(.outside)
            t.budget = nil
            lock.lock(); mainBusy = false; lock.unlock()
            return
        }
        t.setActivity(.finished)
        lock.lock()
        extra.removeAll { $0.thread === t }
        lock.unlock()
        core.threads.remove(t)
    }

    /// Every thread now running an evaluation (for `interrupt` and `cancel`).
    func running(_ core: InterpreterCore) -> [ThreadObj] {
        lock.lock()
        defer { lock.unlock() }
        return (mainBusy ? [core.mainThread] : []) + extra.map(\.thread)
    }

    /// A VM for a host call: a spare one, or a new one (nil when the system
    /// refuses the mapping).
    func takeVM(_ core: InterpreterCore) -> VM? {
        lock.lock()
        if let vm = spareVMs.popLast() {
            lock.unlock()
            return vm
        }
        lock.unlock()
        guard let stack = VM.reserveStack(maxDepth: core.maxDepth) else { return nil }
        return VM(core: core, stack: stack)
    }

    /// Gives back a VM after its host call, detached from the collector. One left
    /// in an unexpected state (never after a normal return or a script error) is
    /// dropped rather than reused.
    func returnVM(_ vm: VM) {
        guard vm.frameCount == 0, vm.sp == vm.stackBase, vm.handlers.isEmpty else { return }
        vm.thread = nil
        vm.nesting = 0
        lock.lock()
        if spareVMs.count < EvaluationThreads.maxSpareVMs { spareVMs.append(vm) }
        lock.unlock()
    }
}
