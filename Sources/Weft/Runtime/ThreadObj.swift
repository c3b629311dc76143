// A script thread (§7.1): a real OS thread running its own VM. Scripts see it as
// an instance of the builtin class `Thread` (or a subclass); this object is that
// instance's native state, and also what every blocking call consults for
// cancellation, interruption and deadlock reports.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class ThreadObj: Obj, @unchecked Sendable {
    let core: InterpreterCore
    let isMain: Bool
    /// The script-visible Thread instance (weak: the instance owns this object).
    weak var instance: Instance?

    private let stateLock = PosixLock()
    private var _name: String
    private var _daemon: Bool
    private var _ident: Int?
    private var _started = false
    private var _finished = false
    private var _activity: ThreadActivity = .running
    private var currentWait: PosixCondition?
    /// The thread's wake eventfd (created by its first socket wait, closed when
    /// it finishes; the main thread's after each wait) and whether it is polling it now: `wake()` then writes to it.
    private var ioWakeFd: Int32 = -1
    private var ioWaiting = false
    /// A wake was written to the eventfd since the wait began (to drain at the end).
    private var ioWoken = false
    private var pendingDeadlock: String?
    /// Set with `pendingDeadlock`, so the common check needs no lock.
    private let hasPendingDeadlock = Atomic<Bool>(false)
    var target: Word = .nil
    var args: [Word] = []
    /// The thread's return value or uncaught error, once finished.
    private(set) var result: Word = .nil
    private(set) var error: Word?

    let cancelled = Atomic<Bool>(false)
    /// Set when something is pending for this thread (an interrupt, or a request to
    /// turn locking on); loops poll it at backward jumps and call `checkPending`.
    let attention = Atomic<Bool>(false)
    private let interruptPending = Atomic<Bool>(false)
    /// Signalled when the thread finishes (join waits here).
    let done = PosixCondition()
    /// Private condition `sleep` waits on, so cancel/interrupt can wake it.
    let sleeper = PosixCondition()

    /// The budgets of the host call this thread belongs to (nil: unlimited);
    /// threads inherit their spawner's. Read by other threads (a wall-time timer
    /// looking for the call's threads), so behind the state lock; the thread itself
    /// reads it only on slow paths (drawing steps, a pending attention).
    private var _budget: CallBudget?
    var budget: CallBudget? {
        get { stateLock.lock(); defer { stateLock.unlock() }; return _budget }
        set { stateLock.lock(); _budget = newValue; stateLock.unlock() }
    }
    /// What this thread may touch (the capability gate, `VM.require`): the
    /// interpreter's, narrowed (never widened) for spawned threads and pools.
    var capabilities: Interpreter.Capabilities
    /// `Interpreter.cancel()` reached this thread: its next safepoint or blocked
    /// wait raises Cancelled, and so does every later one (sticky).
    let hostCancelled = Atomic<Bool>(false)
    /// A thread a host call runs as (not counted against `maxThreads`).
    var isHostCall = false

    /// `parent`: the spawning thread, whose budget and capabilities the new thread
    /// inherits.
    init(core: InterpreterCore, name: String, daemon: Bool, isMain: Bool = false, parent: ThreadObj? = nil) {
        self.core = core
        self._name = name
        self._daemon = daemon
        self.isMain = isMain
        self._budget = parent?.budget
        self.capabilities = parent?.capabilities ?? core.capabilities
        super.init()
        // A thread started by one that `Interpreter.cancel()` reached (from a catch
        // block, say) is cancelled from the start.
        if parent?.hostCancelled.load(ordering: .relaxed) == true {
            hostCancelled.store(true, ordering: .relaxed)
            cancelled.store(true, ordering: .relaxed)
            attention.store(true, ordering: .relaxed)
        }
        if isMain {
            _ident = core.threads.allocateIdent()
            _started = true
            _activity = .outside
        }
    }

    override var typeName: String { "Thread" }
    override func trace(_ m: inout Marker) {
        m.mark(target); m.mark(all: args); m.mark(result)
        if let e = error { m.mark(e) }
        m.mark(instance)
    }

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? { threadAttribute(sym) }
    override func methodNames() -> [String] { ["name", "ident", "daemon", "cancelled"] }

    override func setAttribute(_ sym: Int32, _ value: Word, vm: VM) throws -> Bool {
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

    /// `Interpreter.cancel()`: Cancelled at this thread's next safepoint, and at
    /// once in a blocked wait.
    func hostCancel() {
        hostCancelled.store(true, ordering: .sequentiallyConsistent)
        cancelled.store(true, ordering: .sequentiallyConsistent)
        requestAttention()
    }

    /// A new host call runs as this (main) thread: a cancellation of an earlier one
    /// no longer applies.
    func clearHostCancel() {
        hostCancelled.store(false, ordering: .sequentiallyConsistent)
        cancelled.store(false, ordering: .sequentiallyConsistent)
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

    /// Wakes the condition this thread is blocked on, if any, and its socket
    /// wait (by writing its wake eventfd). Never called with any monitor held, so
    /// it cannot deadlock with the waiter.
    func wake() {
        stateLock.lock()
        let c = currentWait
        stateLock.unlock()
        if let c = c { c.lock(); c.broadcast(); c.unlock() }
        stateLock.lock()
        if ioWaiting && ioWakeFd >= 0 {
            var one: UInt64 = 1
            _ = Glibc.write(ioWakeFd, &one, 8)
            ioWoken = true
        }
        stateLock.unlock()
    }

    /// Starts a socket wait (net): returns the descriptor to poll beside the
    /// socket, which `wake()` (cancel, interrupt, deadlock verdict, a close of the
    /// socket by another thread) makes readable. Pair with `endIOWait`.
    func beginIOWait(_ what: String) -> Int32 {
        stateLock.lock()
        if ioWakeFd < 0 { ioWakeFd = ThreadObj.makeEventFd() }
        ioWaiting = true
        ioWoken = false
        let fd = ioWakeFd
        _activity = .io(what)
        stateLock.unlock()
        core.threads.activityChanged()
        return fd
    }

    func endIOWait() {
        stateLock.lock()
        ioWaiting = false
        if ioWakeFd >= 0 {
            if isMain {
                // The main thread never finishes (and its interpreter may live
                // on): it does not keep a descriptor between waits.
                Glibc.close(ioWakeFd)
                ioWakeFd = -1
            } else if ioWoken {
                var n: UInt64 = 0
                _ = Glibc.read(ioWakeFd, &n, 8)   // non-blocking: drops a pending wake
            }
        }
        _activity = .running
        stateLock.unlock()
        core.threads.activityChanged()
    }

    /// A non-blocking eventfd (glibc's `eventfd` is not imported by Swift's Glibc
    /// module: found at run time); -1 if unavailable (waits then poll in slices).
    private static func makeEventFd() -> Int32 {
        guard let f = eventfdFn else { return -1 }
        return f(0, Int32(O_NONBLOCK | O_CLOEXEC))
    }
    private typealias EventFd = @convention(c) (UInt32, Int32) -> Int32
    private static let eventfdFn: EventFd? = dlsym(nil, "eventfd").map { unsafeBitCast($0, to: EventFd.self) }

    deinit { if ioWakeFd >= 0 { Glibc.close(ioWakeFd) } }

    /// Throws what is pending for this thread: an interrupt, a deadlock verdict,
    /// or (sticky) its cancellation — unless `cancellable` is false (a wait that
    /// must finish even in a cancelled thread: a Condition re-taking its lock).
    func checkPending(cancellable: Bool = true) throws {
        // A safepoint: no object operation is in progress in this thread here.
        ObjectLockCheck.assertNoneHeld("a safepoint (blocking wait or loop check)")
        if attention.load(ordering: .relaxed) {
            // Cleared before looking: a request that arrives later sets it again.
            attention.store(false, ordering: .sequentiallyConsistent)
            Runtime.safepoint()
            if interruptPending.exchange(false, ordering: .sequentiallyConsistent) {
                throw ScriptThrow(ErrorKinds.interrupted, "interrupted")
            }
            // Host cancellation and budgets are sticky: attention stays set, so a
            // script that catches the error meets it again at its next safepoint.
            if hostCancelled.load(ordering: .relaxed) {
                attention.store(true, ordering: .relaxed)
                throw ScriptThrow(ErrorKinds.cancelled, "cancelled by the host")
            }
            if let m = budget?.stopMessage {
                attention.store(true, ordering: .relaxed)
                throw ScriptThrow(ErrorKinds.limitError, m)
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
        if cancellable && cancelled.load(ordering: .relaxed) {
            throw ScriptThrow(ErrorKinds.cancelled, "thread \"\(name)\" was cancelled")
        }
    }

    func beginWait(_ c: PosixCondition, _ a: ThreadActivity) {
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

    /// Starts the OS thread, which runs `body` on a VM of its own. When the
    /// system refuses (no thread, no address space or memory-map slot for the
    /// stacks) this raises `RuntimeError("can't start new thread")` and leaves
    /// nothing behind: the thread is not registered and may be started again.
    func start(_ body: @escaping (VM) throws -> Word) throws {
        stateLock.lock()
        if _started {
            stateLock.unlock()
            throw ScriptThrow.runtimeError("threads can only be started once")
        }
        _started = true
        if _ident == nil { _ident = core.threads.allocateIdent() }
        _activity = .running
        stateLock.unlock()
        // Everything that can fail is reserved here, in the spawning thread, so
        // a failure is an error in the script instead of a crash in the new one.
        let stack: UnsafeMutableRawPointer
        do {
            if let max = core.options.maxThreads,
               core.threads.live.filter({ !$0.isMain && !$0.isHostCall && $0 !== self }).count >= max {
                throw ScriptThrow(ErrorKinds.limitError, "thread limit of \(max) reached")
            }
            guard NativeThread.reserveSlot() else { throw NativeThread.cannotStart() }
            guard let s = VM.reserveStack(maxDepth: core.maxDepth) else {
                NativeThread.releaseSlot()
                throw NativeThread.cannotStart()
            }
            stack = s
        } catch {
            unstart()
            throw error
        }
        Runtime.becomeMultithreaded()
        core.threads.add(self)
        let holder = instance   // keeps the Thread instance alive while it runs
        do {
            try NativeThread.start(stackSize: ThreadObj.stackSize) { [self] in
                let vm = VM(core: core, stack: stack)
                vm.thread = self
                vm.threadName = name
                if budget != nil { vm.stepsLeft.pointee = 0 }
                Heap.attach(vm)
                defer { Heap.detach(vm) }
                var value: Word = .nil
                var failure: Word?
                do {
                    value = try body(vm)
                } catch let e as ScriptThrow {
                    failure = e.value
                    if !e.value.isInstance(of: ErrorKinds.cancelled) {
                        core.threadError(ScriptError(e).threadReport(name))
                    }
                } catch let e as ExitRequest {
                    StandardStreams.flushOut()
                    Glibc.exit(e.code)
                } catch {
                    failure = ScriptThrow(ErrorKinds.runtimeError, "\(error)").value
                }
                // Before finishing: a joiner may start another thread at once.
                NativeThread.releaseSlot()
                finish(value, failure)
                withExtendedLifetime(holder) {}
            }
        } catch {
            VM.releaseStack(stack, maxDepth: core.maxDepth)
            NativeThread.releaseSlot()
            core.threads.remove(self)
            unstart()
            throw error
        }
    }

    /// Undoes `start` after a failure, before any OS thread existed.
    private func unstart() {
        stateLock.lock()
        _started = false
        _activity = .running
        stateLock.unlock()
    }

    /// Script threads get large stacks: native code may re-enter the VM deeply.
    /// Only address space: pages are committed as the stack grows.
    static let stackSize = 256 << 20

    private func finish(_ value: Word, _ failure: Word?) {
        done.lock()
        stateLock.lock()
        result = value
        error = failure
        _finished = true
        _activity = .finished
        if ioWakeFd >= 0 { Glibc.close(ioWakeFd); ioWakeFd = -1 }
        stateLock.unlock()
        done.broadcast()
        done.unlock()
        core.threads.activityChanged()
        core.threads.remove(self)
    }
}

extension Word {
    func isInstance(of cls: ClassObj) -> Bool {
        if case .instance(let i) = self.unpacked { return i.cls.isSubclass(of: cls) }
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
    /// The longest finite timeout (Python's `threading.TIMEOUT_MAX`, ~292 years):
    /// a longer one raises OverflowError.
    static let maxTimeout: Double = 9_223_372_036

    /// The longest single park: long waits are taken in slices of at most a day
    /// (NSCondition, used before PosixCondition, trapped on deadlines ~7.5e9 s away).
    static let waitSlice: Double = 86_400

    /// Blocks until `ready()` (evaluated with `monitor` locked, which the caller
    /// holds) returns true; false when `timeout` seconds pass first (nil or
    /// infinite: forever; 0 or less: don't block). Every blocking primitive waits
    /// through here, so each one raises Cancelled in a cancelled thread (unless
    /// `cancellable` is false), Interrupted on Ctrl-C, DeadlockError when the
    /// runtime finds every thread blocked for good, and shows in `:threads`.
    func blockingWait(_ monitor: PosixCondition, timeout: Double?, on what: @autoclosure () -> String,
                      activity: ThreadActivity? = nil, cancellable: Bool = true,
                      until ready: () throws -> Bool) throws -> Bool {
        let t = thread!
        try t.checkPending(cancellable: cancellable)
        if try ready() { return true }
        let deadline: Deadline?
        if let d = timeout, d != .infinity {
            if !(d > 0) { return false }
            deadline = Deadline(d)
        } else {
            deadline = nil
        }
        t.beginWait(monitor, activity ?? .blocked(on: what(), untimed: deadline == nil))
        defer { t.endWait() }
        while true {
            try t.checkPending(cancellable: cancellable)
            if let d = deadline {
                let left = d.left
                if left <= 0 { return try ready() }
                Heap.park(self)
                _ = monitor.wait(seconds: min(left, VM.waitSlice))
            } else {
                Heap.park(self)
                monitor.wait()
            }
            // Holding the monitor: it is let go while a collection finishes, so
            // no thread stopped for the collection ever waits for it (Heap.swift).
            Heap.unpark(self, releasing: monitor)
            core.threads.activityChanged()
            try t.checkPending(cancellable: cancellable)
            if try ready() { return true }
        }
    }

    /// A `timeout:` argument (§7): nil or `inf` for none (forever); a negative
    /// one counts as 0; nan raises ValueError, one over ~292 years OverflowError.
    func timeoutArg(_ v: Word?, _ fn: String) throws -> Double? {
        switch v?.unpacked {
        case nil, .nil?: return nil
        case .int(let i)?: return try VM.timeoutSeconds(Double(i), fn)
        case .float(let d)?: return try VM.timeoutSeconds(d, fn)
        case let other?:
            throw ScriptThrow.typeError("\(fn)(): timeout must be a number or nil, not '\(other.typeName)'")
        }
    }

    static func timeoutSeconds(_ d: Double, _ fn: String) throws -> Double? {
        if d.isNaN { throw ScriptThrow.valueError("\(fn)(): timeout must not be nan") }
        if d == .infinity { return nil }
        if d <= 0 { return 0 }
        if d > maxTimeout { throw ScriptThrow.overflow("timeout value is too large") }
        return d
    }

    /// Sleeps `seconds`, waking early (with an error) if cancelled or interrupted.
    /// Raises OverflowError for more than ~292 years (as `time.sleep` in Python).
    func sleep(_ seconds: Double) throws {
        let t = thread!
        try t.checkPending()
        guard seconds > 0 else { return }
        if !(seconds <= VM.maxTimeout) { throw ScriptThrow.overflow("sleep length is too large") }
        t.sleeper.lock()
        defer { t.sleeper.unlock() }
        _ = try blockingWait(t.sleeper, timeout: seconds, on: "sleep", activity: .sleeping) { false }
    }
}

/// A point on the monotonic clock some seconds ahead (shared by a sequence of
/// waits: `join` of a list, `pool.map`, `as_completed`, `wait_for`).
struct Deadline {
    let ns: UInt64

    /// `seconds` must be finite and at most `VM.maxTimeout`.
    init(_ seconds: Double) {
        ns = Spin.nowNs() &+ UInt64(max(0, min(seconds, VM.maxTimeout)) * 1e9)
    }

    /// nil for no deadline.
    static func after(_ seconds: Double?) -> Deadline? { seconds.map { Deadline($0) } }

    /// Seconds left (0 once passed).
    var left: Double {
        let now = Spin.nowNs()
        return now >= ns ? 0 : Double(ns - now) / 1e9
    }
}
