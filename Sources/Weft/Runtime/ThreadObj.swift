// A script thread (§7.1): a real OS thread running its own VM. Scripts see it as
// an instance of the builtin class `Thread` (or a subclass); this object is that
// instance's native state, and also what every blocking call consults for
// cancellation, interruption and deadlock reports.
import Foundation
import Synchronization

final class ThreadObj: Obj, @unchecked Sendable {
    let core: InterpreterCore
    let isMain: Bool
    /// The script-visible Thread instance (weak: the instance owns this object).
    weak var instance: Instance?

    private let stateLock = NSLock()
    private var _name: String
    private var _daemon: Bool
    private var _ident: Int?
    private var _started = false
    private var _finished = false
    private var _activity: ThreadActivity = .running
    private var currentWait: NSCondition?
    private var pendingDeadlock: String?
    /// Set with `pendingDeadlock`, so the common check needs no lock.
    private let hasPendingDeadlock = Atomic<Bool>(false)
    var target: Value = .nil
    var args: [Value] = []
    /// The thread's return value or uncaught error, once finished.
    private(set) var result: Value = .nil
    private(set) var error: Value?

    let cancelled = Atomic<Bool>(false)
    /// Set when something is pending for this thread (an interrupt, or a request to
    /// turn locking on); loops poll it at backward jumps and call `checkPending`.
    let attention = Atomic<Bool>(false)
    private let interruptPending = Atomic<Bool>(false)
    /// Signalled when the thread finishes (join waits here).
    let done = NSCondition()
    /// Private condition `sleep` waits on, so cancel/interrupt can wake it.
    let sleeper = NSCondition()

    init(core: InterpreterCore, name: String, daemon: Bool, isMain: Bool = false) {
        self.core = core
        self._name = name
        self._daemon = daemon
        self.isMain = isMain
        super.init()
        if isMain {
            _ident = core.threads.allocateIdent()
            _started = true
            _activity = .outside
        }
    }

    override var typeName: String { "Thread" }

    override func attribute(_ sym: Int32, vm: VM) throws -> Value? { threadAttribute(sym) }
    override func methodNames() -> [String] { ["name", "ident", "daemon", "cancelled"] }

    override func setAttribute(_ sym: Int32, _ value: Value, vm: VM) throws -> Bool {
        try setThreadAttribute(sym, value)
    }

    var name: String {
        get { stateLock.lock(); defer { stateLock.unlock() }; return _name }
        set { stateLock.lock(); _name = newValue; stateLock.unlock() }
    }
    var daemon: Bool { stateLock.lock(); defer { stateLock.unlock() }; return _daemon }
    var ident: Int? { stateLock.lock(); defer { stateLock.unlock() }; return _ident }
    /// This thread's ident, read by the thread itself without locking: it is
    /// assigned before the thread starts running.
    var ownIdent: Int { _ident ?? 0 }
    var isStarted: Bool { stateLock.lock(); defer { stateLock.unlock() }; return _started }
    var isFinished: Bool { stateLock.lock(); defer { stateLock.unlock() }; return _finished }
    var isAlive: Bool { stateLock.lock(); defer { stateLock.unlock() }; return _started && !_finished }

    var activity: ThreadActivity {
        stateLock.lock(); defer { stateLock.unlock() }
        return _activity
    }

    func setActivity(_ a: ThreadActivity) {
        stateLock.lock()
        _activity = a
        stateLock.unlock()
        core.threads.activityChanged()
        switch a {
        case .blocked(_, untimed: true), .idle, .finished: core.threads.checkQuiescence()
        default: break
        }
    }

    func setDaemon(_ d: Bool) throws {
        stateLock.lock(); defer { stateLock.unlock() }
        if _started { throw ScriptThrow.runtimeError("cannot set daemon status of an active thread") }
        _daemon = d
    }

    // MARK: - Cancellation, interruption, deadlock

    /// Marks the thread cancelled and wakes whatever it is blocked on.
    func cancel() {
        cancelled.store(true, ordering: .sequentiallyConsistent)
        wake()
    }

    /// Raises Interrupted in this thread at its next check (REPL Ctrl-C).
    func interrupt() {
        interruptPending.store(true, ordering: .sequentiallyConsistent)
        requestAttention()
    }

    /// Forgets an interrupt that arrived after the evaluation it was meant for ended.
    func clearInterrupt() {
        interruptPending.store(false, ordering: .sequentiallyConsistent)
    }

    /// Makes the thread call `checkPending` at its next safepoint, waking it if it
    /// is blocked (see Runtime.enter).
    func requestAttention() {
        attention.store(true, ordering: .sequentiallyConsistent)
        wake()
    }

    func deliverDeadlock(_ report: String) {
        stateLock.lock()
        pendingDeadlock = report
        stateLock.unlock()
        hasPendingDeadlock.store(true, ordering: .sequentiallyConsistent)
        wake()
    }

    /// Wakes the condition this thread is blocked on, if any. Never called with
    /// any monitor held, so it cannot deadlock with the waiter.
    func wake() {
        stateLock.lock()
        let c = currentWait
        stateLock.unlock()
        if let c = c { c.lock(); c.broadcast(); c.unlock() }
    }

    /// Throws what is pending for this thread: an interrupt, a deadlock verdict,
    /// or (sticky) its cancellation.
    func checkPending() throws {
        // A safepoint: no object operation is in progress in this thread here.
        Runtime.safepoint()
        if attention.load(ordering: .relaxed) {
            attention.store(false, ordering: .sequentiallyConsistent)
            Runtime.safepoint()
            if interruptPending.exchange(false, ordering: .sequentiallyConsistent) {
                throw ScriptThrow(ErrorKinds.interrupted, "interrupted")
            }
        }
        if hasPendingDeadlock.load(ordering: .relaxed) {
            stateLock.lock()
            let d = pendingDeadlock
            pendingDeadlock = nil
            hasPendingDeadlock.store(false, ordering: .relaxed)
            stateLock.unlock()
            if let d = d { throw ScriptThrow(ErrorKinds.deadlockError, d) }
        }
        if cancelled.load(ordering: .relaxed) {
            throw ScriptThrow(ErrorKinds.cancelled, "thread \"\(name)\" was cancelled")
        }
    }

    func beginWait(_ c: NSCondition, _ a: ThreadActivity) {
        stateLock.lock()
        currentWait = c
        stateLock.unlock()
        setActivity(a)
    }

    func endWait() {
        stateLock.lock()
        currentWait = nil
        stateLock.unlock()
        setActivity(.running)
    }

    // MARK: - Life cycle

    /// Starts the OS thread, which runs `body` on a VM of its own.
    func start(_ body: @escaping (VM) throws -> Value) throws {
        stateLock.lock()
        if _started {
            stateLock.unlock()
            throw ScriptThrow.runtimeError("threads can only be started once")
        }
        _started = true
        _ident = core.threads.allocateIdent()
        _activity = .running
        stateLock.unlock()
        Runtime.becomeMultithreaded()
        core.threads.add(self)
        let holder = instance   // keeps the Thread instance alive while it runs
        let thread = Foundation.Thread { [self] in
            let vm = VM(core: core)
            vm.thread = self
            vm.threadName = name
            var value: Value = .nil
            var failure: Value?
            do {
                value = try body(vm)
            } catch let e as ScriptThrow {
                failure = e.value
                if !e.value.isInstance(of: ErrorKinds.cancelled) {
                    core.threadError(ScriptError(e).threadReport(name))
                }
            } catch let e as ExitRequest {
                StandardStreams.flushOut()
                Foundation.exit(e.code)
            } catch {
                failure = ScriptThrow(ErrorKinds.runtimeError, "\(error)").value
            }
            finish(value, failure)
            withExtendedLifetime(holder) {}
        }
        thread.stackSize = ThreadObj.stackSize
        thread.start()
    }

    /// Script threads get large stacks: native code may re-enter the VM deeply.
    static let stackSize = 256 << 20

    private func finish(_ value: Value, _ failure: Value?) {
        done.lock()
        stateLock.lock()
        result = value
        error = failure
        _finished = true
        _activity = .finished
        stateLock.unlock()
        done.broadcast()
        done.unlock()
        core.threads.activityChanged()
        core.threads.remove(self)
    }
}

extension Value {
    func isInstance(of cls: ClassObj) -> Bool {
        if case .instance(let i) = self { return i.cls.isSubclass(of: cls) }
        return false
    }
}

extension ScriptError {
    /// `error in thread "name": Kind: message` and the trace.
    func threadReport(_ name: String) -> String {
        var out = "error in thread \"\(name)\": \(description)\n"
        for f in trace { out += "  at \(f)\n" }
        return out
    }
}

extension VM {
    /// Blocks until `ready()` (evaluated with `monitor` locked, which the caller
    /// holds) returns true; false when `timeout` seconds pass first (nil: forever;
    /// 0: don't block). Every blocking primitive waits through here, so each one
    /// raises Cancelled in a cancelled thread, Interrupted on Ctrl-C, and takes
    /// part in deadlock detection.
    func blockingWait(_ monitor: NSCondition, timeout: Double?, on what: @autoclosure () -> String,
                      activity: ThreadActivity? = nil, until ready: () throws -> Bool) throws -> Bool {
        let t = thread!
        try t.checkPending()
        if try ready() { return true }
        if let d = timeout, d <= 0 { return false }
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        t.beginWait(monitor, activity ?? .blocked(on: what(), untimed: timeout == nil))
        defer { t.endWait() }
        while true {
            try t.checkPending()
            if let d = deadline {
                if !monitor.wait(until: d) {
                    try t.checkPending()
                    return try ready()
                }
            } else {
                monitor.wait()
            }
            core.threads.activityChanged()
            try t.checkPending()
            if try ready() { return true }
        }
    }

    /// A `timeout:` argument: nil for none, else non-negative seconds.
    func timeoutArg(_ v: Value?, _ fn: String) throws -> Double? {
        switch v {
        case nil, .nil?: return nil
        case .int(let i)?:
            if i < 0 { throw ScriptThrow.valueError("\(fn)(): timeout must be non-negative") }
            return Double(i)
        case .float(let d)?:
            if d.isNaN || d < 0 { throw ScriptThrow.valueError("\(fn)(): timeout must be non-negative") }
            return d
        case let other?:
            throw ScriptThrow.typeError("\(fn)(): timeout must be a number or nil, not '\(other.typeName)'")
        }
    }

    /// Sleeps `seconds`, waking early (with an error) if cancelled or interrupted.
    func sleep(_ seconds: Double) throws {
        let t = thread!
        try t.checkPending()
        guard seconds > 0 else { return }
        t.sleeper.lock()
        defer { t.sleeper.unlock() }
        _ = try blockingWait(t.sleeper, timeout: seconds, on: "sleep", activity: .sleeping) { false }
    }
}
