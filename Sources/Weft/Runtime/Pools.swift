// Thread pools (§7.5): `pool(workers:, name:)` with `submit`, `map`, `shutdown`
// and the with-protocol.
//
// Workers are script threads ("<name>-1", "<name>-2", ...) started lazily: a
// submit that finds more queued tasks than idle workers starts one while fewer
// than `workers` exist. An idle worker waits with activity `.idle`, so deadlock
// detection counts it as neither live nor blocked. Task errors stay in their
// futures. Pools still open when the script ends finish their queued tasks (an
// exit hook shuts them down, waiting).
import FoundationEssentials
import Synchronization

final class PoolObj: Obj, @unchecked Sendable {
    let maxWorkers: Int
    let name: String
    let monitor = PosixCondition()

    // Guarded by `monitor`.
    private var tasks: [FutureObj] = []
    private var taskHead = 0
    private var threads = 0
    private var idle = 0
    private var nextWorker = 1
    private var isShutdown = false
    private var shutdownWaiters = 0
    /// Worker threads started and not yet joined by a shutdown.
    private var workerThreads: [ThreadObj] = []
    /// Queued task count and shutdown flag, for idle workers spinning before
    /// they park.
    private let queuedMirror = Atomic<Int>(0)
    private let shutdownMirror = Atomic<Bool>(false)

    /// What the pool's workers may touch (the creator's, possibly narrowed) and
    /// the budgets they draw from (the creator's host call's).
    let capabilities: Interpreter.Capabilities
    let budget: CallBudget?

    init(core: InterpreterCore, workers: Int, name: String, creator: ThreadObj? = nil,
         capabilities: Interpreter.Capabilities? = nil) {
        self.maxWorkers = workers
        self.name = name
        self.capabilities = capabilities ?? creator?.capabilities ?? core.capabilities
        self.budget = creator?.budget
        super.init()
        core.addExitHook { [weak self] vm in
            try self?.shutdown(vm, wait: true, cancelPending: false)
        }
    }

    override var typeName: String { "Pool" }
    override func method(_ sym: Int32) -> NativeFn? { PoolBuiltins.methods[sym] }
    override func methodNames() -> [String] { PoolBuiltins.names + ["name", "workers"] }

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        if sym == Symbols.name { return .string(name) }
        if sym == PoolBuiltins.workersSym { return .int(maxWorkers) }
        return nil
    }

    @inline(__always) private var queued: Int { tasks.count - taskHead }

    private func popTask() -> FutureObj {
        let f = tasks[taskHead]
        taskHead += 1
        queuedMirror.store(tasks.count - taskHead, ordering: .relaxed)
        if taskHead == tasks.count {
            tasks.removeAll(keepingCapacity: true)
            taskHead = 0
        } else if taskHead >= 1024 && taskHead * 2 >= tasks.count {
            tasks.removeFirst(taskHead)
            taskHead = 0
        }
        return f
    }

    /// Whether another worker should start (monitor held); reserves its number.
    private func reserveWorker() -> Int? {
        guard queued > idle && threads < maxWorkers else { return nil }
        threads += 1
        let k = nextWorker
        nextWorker += 1
        return k
    }

    // MARK: Submitting

    func submit(_ vm: VM, _ fn: Word, _ args: [Word]) throws -> FutureObj {
        let f = FutureObj(fn: fn, args: args)
        monitor.lock()
        if isShutdown {
            monitor.unlock()
            throw ScriptThrow(ErrorKinds.closed, "cannot submit to pool \"\(name)\" after shutdown")
        }
        tasks.append(f)
        queuedMirror.store(queued, ordering: .releasing)
        if idle > 0 { monitor.signal() }
        let k = reserveWorker()
        monitor.unlock()
        if let k = k { startWorker(vm, k) }
        return f
    }

    /// `map(f, iterable, timeout:)`: results in input order, after every item is
    /// done; the first failing item's error (in input order) is raised.
    func map(_ vm: VM, _ fn: Word, _ iterable: Word, timeout: Double?) throws -> Word {
        let items = try vm.collect(iterable)
        var fs: [FutureObj] = []
        fs.reserveCapacity(items.count)
        for x in items { fs.append(try submit(vm, fn, [x])) }
        let deadline = Deadline.after(timeout)
        for (i, f) in fs.enumerated() {
            let left = deadline?.left
            var ok = false
            do {
                ok = try f.waitDone(vm, timeout: left)
            } catch {
                for g in fs[i...] { _ = g.cancel(vm) }
                throw error
            }
            if !ok {
                for g in fs[i...] { _ = g.cancel(vm) }
                throw ScriptThrow(ErrorKinds.timeout,
                                  "pool \"\(name)\": map() did not finish within \(timeout ?? 0) seconds")
            }
        }
        var out: [Word] = []
        out.reserveCapacity(fs.count)
        for f in fs { out.append(try f.outcome()) }
        return .list(ListObj(out))
    }

    // MARK: Shutting down

    func shutdown(_ vm: VM, wait: Bool, cancelPending: Bool) throws {
        monitor.lock()
        isShutdown = true
        shutdownMirror.store(true, ordering: .releasing)
        var dropped: [FutureObj] = []
        if cancelPending {
            dropped = Array(tasks[taskHead...])
            tasks = []
            taskHead = 0
            queuedMirror.store(0, ordering: .relaxed)
        }
        if idle > 0 { monitor.broadcast() }
        monitor.unlock()
        for f in dropped { _ = f.cancel(vm) }
        guard wait else { return }
        monitor.lock()
        defer { monitor.unlock() }
        // A worker shutting down its own pool does not wait for itself.
        let me = vm.thread!
        let mine = workerThreads.contains { $0 === me } ? 1 : 0
        shutdownWaiters += 1
        defer { shutdownWaiters -= 1 }
        _ = try vm.blockingWait(monitor, timeout: nil, on: "shutdown of pool \"\(name)\"") { threads <= mine }
        // Every other worker has left its loop: join them, so they are gone
        // (not in active_threads()) when shutdown returns.
        let others = workerThreads.filter { $0 !== me }
        workerThreads.removeAll { $0 !== me }
        monitor.unlock()
        defer { monitor.lock() }
        for t in others { _ = try t.waitDone(vm, timeout: nil) }
    }

    // MARK: Workers

    /// Starts worker number `k` (already counted in `threads`). When the system
    /// cannot start another thread the pool goes on with the workers it has; if
    /// it has none, the queued tasks fail with that error (RuntimeError "can't
    /// start new thread") instead of waiting for a worker that never comes.
    private func startWorker(_ vm: VM, _ k: Int) {
        let inst = Instance(cls: ThreadBuiltins.threadClass)
        let t = ThreadObj(core: vm.core, name: "\(name)-\(k)", daemon: false)
        t.capabilities = capabilities
        t.budget = budget
        t.instance = inst
        inst.native = t
        monitor.lock()
        workerThreads.append(t)
        monitor.unlock()
        do {
            // A worker replaced by a thread that `Interpreter.cancel()` reached
            // would escape the cancellation: the queued tasks fail instead.
            if vm.thread?.hostCancelled.load(ordering: .relaxed) == true {
                throw ScriptThrow(ErrorKinds.cancelled, "cancelled by the host")
            }
            try t.start { [self] vm in try workerLoop(vm) }
        } catch {
            let failure: Word
            if let e = error as? ScriptThrow { failure = e.value } else { failure = NativeThread.cannotStart().value }
            monitor.lock()
            workerThreads.removeAll { $0 === t }
            threads -= 1
            if shutdownWaiters > 0 { monitor.broadcast() }
            var orphans: [FutureObj] = []
            if threads == 0 {
                orphans = Array(tasks[taskHead...])
                tasks = []
                taskHead = 0
                queuedMirror.store(0, ordering: .relaxed)
            }
            monitor.unlock()
            for f in orphans { f.fail(vm, failure) }
        }
    }

    /// A worker leaves (monitor held): wakes shutdown waiters; if it leaves
    /// abnormally with tasks still queued, a replacement is reserved.
    private func leave(_ vm: VM, replace: Bool) -> Int? {
        threads -= 1
        if shutdownWaiters > 0 { monitor.broadcast() }
        if replace && queued > 0 {
            if idle > 0 { monitor.broadcast() }
            return reserveWorker()
        }
        return nil
    }

    private func workerLoop(_ vm: VM) throws -> Word {
        let me = vm.thread!
        /// Spin once before each park, not again until a task arrived.
        var spun = false
        monitor.lock()
        while true {
            if me.cancelled.load(ordering: .relaxed) {
                // A cancelled worker stops taking tasks; another replaces it.
                let k = leave(vm, replace: true)
                monitor.unlock()
                if let k = k { startWorker(vm, k) }
                throw ScriptThrow(ErrorKinds.cancelled, "thread \"\(me.name)\" was cancelled")
            }
            if queued > 0 {
                spun = false
                let f = popTask()
                monitor.unlock()
                do {
                    try f.run(vm)
                } catch {
                    monitor.lock()
                    _ = leave(vm, replace: false)
                    monitor.unlock()
                    throw error
                }
                monitor.lock()
                continue
            }
            if isShutdown {
                _ = leave(vm, replace: false)
                monitor.unlock()
                return .nil
            }
            if !spun && Spin.allowed(vm.core) {
                spun = true
                monitor.unlock()
                _ = Spin.spin { queuedMirror.load(ordering: .relaxed) > 0 || shutdownMirror.load(ordering: .relaxed) }
                monitor.lock()
                continue
            }
            idle += 1
            do {
                _ = try vm.blockingWait(monitor, timeout: nil, on: "tasks of pool \"\(name)\"", activity: .idle) {
                    queued > 0 || isShutdown
                }
            } catch {
                idle -= 1
                let k = leave(vm, replace: true)
                monitor.unlock()
                if let k = k { startWorker(vm, k) }
                throw error
            }
            idle -= 1
        }
    }
}

enum PoolBuiltins {
    static let workersSym = Symbols.intern("workers")

    static let functions: [String: Word] = [
        "pool": .object(NativeFn("pool", makePool)),
        "as_completed": .object(NativeFn("as_completed", FutureBuiltins.asCompleted)),
        "after": .object(NativeFn("after", TimerBuiltins.after)),
    ]

    static func makePool(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 2, keywords: ["workers", "name", "capabilities"])
        try vm.require(.threads, "pool")
        let caps = try ThreadBuiltins.narrowedCapabilities(args.kw("capabilities"), vm, "pool")
        var workers = ProcessInfo.processInfo.activeProcessorCount
        switch try args.arg(0, "workers")?.unpacked {
        case nil, .nil?: break
        case .int(let n)?:
            if n < 1 { throw ScriptThrow.valueError("pool(): workers must be at least 1") }
            workers = n
        case let other?: throw ScriptThrow.typeError("pool(): workers must be an int, not '\(other.typeName)'")
        }
        var name = "pool"
        switch try args.arg(1, "name")?.unpacked {
        case nil, .nil?: break
        case .str(let s)?: name = s.value
        case let other?: throw ScriptThrow.typeError("pool(): name must be a str, not '\(other.typeName)'")
        }
        return .object(PoolObj(core: vm.core, workers: workers, name: name, creator: vm.thread, capabilities: caps))
    }

    @inline(__always) static func this(_ receiver: Word) -> PoolObj {
        guard case .object(let o) = receiver.unpacked else { fatalError("pool method on a non-pool") }
        return unsafeDowncast(o, to: PoolObj.self)
    }

    static let entries: [NativeEntry] = [
        NativeEntry("submit", { vm, r, args in
            try args.check(min: 1, max: Int.max)
            let rest = args.count > 1 ? Array(args.positional.dropFirst()) : []
            return .object(try this(r).submit(vm, args[0], rest))
        }),
        NativeEntry("map", { vm, r, args in
            try args.check(min: 2, max: 3, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(args.arg(2, "timeout"), "map")
            return try this(r).map(vm, args[0], args[1], timeout: timeout)
        }),
        NativeEntry("shutdown", { vm, r, args in
            try args.check(min: 0, max: 2, keywords: ["wait", "cancel_pending"])
            let wait = try QueueBuiltins.boolArg(args.arg(0, "wait"), "wait", default: true)
            let cancel = try ThreadBuiltins.boolArg(args.arg(1, "cancel_pending"), "cancel_pending")
            try this(r).shutdown(vm, wait: wait, cancelPending: cancel)
            return .nil
        }),
        NativeEntry("enter", { _, r, args in
            try args.check(min: 0, max: 0)
            return r
        }),
        NativeEntry("exit", { vm, r, _ in
            try this(r).shutdown(vm, wait: true, cancelPending: false)
            return .nil
        }),
    ]

    static let names = entries.map(\.name).sorted()
    static let methods = LockBuiltins.table(entries)
}
