// `after(seconds, f, ...args) -> Timer` (§7.6): runs `f` in a new non-daemon
// thread once the delay has passed, unless `cancel()` comes first. The thread
// starts at once and waits (as "sleeping"); while the timer is pending it counts
// as progress for deadlock detection and keeps the program alive.

final class TimerObj: Obj, Joinable, @unchecked Sendable {
    let thread: ThreadObj
    let monitor = PosixCondition()
    /// Guarded by `monitor`.
    private var isCancelled = false

    init(thread: ThreadObj) { self.thread = thread }

    override var typeName: String { "Timer" }
    override func method(_ sym: Int32) -> NativeFn? { TimerBuiltins.methods[sym] }
    override func methodNames() -> [String] { TimerBuiltins.names }

    func start(_ core: InterpreterCore, delay: Double, fn: Word, args: [Word]) throws {
        core.threads.timerScheduled()
        do {
            try thread.start { [self] vm in
                var fire = false
                do {
                    monitor.lock()
                    defer { monitor.unlock() }
                    // Times out (returns false) when the delay passes uncancelled.
                    fire = !(try vm.blockingWait(monitor, timeout: delay, on: "timer", activity: .sleeping) { isCancelled })
                } catch {
                    core.threads.timerDone()
                    throw error
                }
                core.threads.timerDone()
                return fire ? try vm.call(fn, args) : .nil
            }
        } catch {
            core.threads.timerDone()
            throw error
        }
    }

    /// Stops the timer if it has not fired yet.
    func cancel() {
        monitor.lock()
        isCancelled = true
        monitor.broadcast()
        monitor.unlock()
    }

    func waitDone(_ vm: VM, timeout: Double?) throws -> Bool { try thread.waitDone(vm, timeout: timeout) }
    func outcome() throws -> Word { try thread.outcome() }
    var joinDescription: String { "the Timer" }
}

enum TimerBuiltins {
    /// `after(seconds, f, ...args)`.
    static func after(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 2, max: Int.max)
        let delay: Double
        switch args[0].unpacked {
        case .int(let i): delay = Double(i)
        case .float(let d): delay = d
        default: throw ScriptThrow.typeError("after() needs a number of seconds, not '\(args[0].typeName)'")
        }
        if delay.isNaN || delay < 0 { throw ScriptThrow.valueError("after(): delay must be non-negative") }
        if delay > VM.maxTimeout { throw ScriptThrow(ErrorKinds.overflowError, "after(): delay is too large") }
        try vm.require(.threads, "after")
        let inst = Instance(cls: ThreadBuiltins.threadClass)
        let t = ThreadObj(core: vm.core, name: vm.core.threads.allocateName(), daemon: false, parent: vm.thread)
        t.instance = inst
        inst.native = t
        let timer = TimerObj(thread: t)
        try timer.start(vm.core, delay: delay, fn: args[1], args: Array(args.positional.dropFirst(2)))
        return .object(timer)
    }

    @inline(__always) static func this(_ receiver: Word) -> TimerObj {
        guard case .object(let o) = receiver.unpacked else { fatalError("timer method on a non-timer") }
        return unsafeDowncast(o, to: TimerObj.self)
    }

    static let entries: [NativeEntry] = [
        NativeEntry("cancel", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r).cancel()
            return .nil
        }),
        NativeEntry("join", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(args.arg(0, "timeout"), "join")
            return try ThreadBuiltins.join([this(r)], vm: vm, timeout: timeout)[0]
        }),
        NativeEntry("is_alive", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).thread.isAlive)
        }),
    ]

    static let names = entries.map(\.name).sorted()
    static let methods = LockBuiltins.table(entries)
}
