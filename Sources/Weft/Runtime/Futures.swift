// Futures (§7.5): the result of a task submitted to a pool, and `as_completed`.
//
// A future moves pending -> running -> finished/failed, or pending -> cancelled,
// under its monitor. Whoever completes it (the worker, or the thread that
// cancels it) then runs its internal listeners (as_completed) and the script's
// done-callbacks, outside the monitor.
import Synchronization

final class FutureObj: Obj, Joinable, @unchecked Sendable {
    enum State { case pending, running, finished, failed, cancelled }

    let monitor = PosixCondition()
    // Guarded by `monitor`.
    private var state = State.pending
    private var value: Word = .nil
    private var failure: Word = .nil
    private var waiters = 0
    private var callbacks: [Word] = []
    private var listeners: [(FutureObj) -> Void] = []
    /// Completion order across all futures (as_completed's order for futures
    /// already done when it starts).
    private(set) var finishSeq = 0

    /// The task; touched only by the worker that runs it.
    private var fn: Word
    private var args: [Word]

    private static let finishCounter = Atomic<Int>(0)

    init(fn: Word, args: [Word]) {
        self.fn = fn
        self.args = args
    }

    override var typeName: String { "Future" }
    override func trace(_ m: inout Marker) {
        m.mark(value); m.mark(failure); m.mark(fn)
        m.mark(all: callbacks); m.mark(all: args)
    }
    override func method(_ sym: Int32) -> NativeFn? { FutureBuiltins.methods[sym] }
    override func methodNames() -> [String] { FutureBuiltins.names }

    private var isDone: Bool {
        switch state {
        case .finished, .failed, .cancelled: return true
        default: return false
        }
    }

    var done: Bool { monitor.lock(); defer { monitor.unlock() }; return isDone }
    var running: Bool { monitor.lock(); defer { monitor.unlock() }; return state == .running }
    var cancelled: Bool { monitor.lock(); defer { monitor.unlock() }; return state == .cancelled }

    // MARK: Running

    /// Runs the task in a worker's VM unless it was cancelled first.
    func run(_ vm: VM) throws {
        monitor.lock()
        guard state == .pending else { monitor.unlock(); return }
        state = .running
        monitor.unlock()
        let f = fn, a = args
        fn = .nil; args = []
        do {
            let v = try vm.call(f, a)
            complete(vm, .finished, v)
        } catch let e as ScriptThrow {
            complete(vm, .failed, e.value)
        } catch let e as ExitRequest {
            throw e
        } catch {
            complete(vm, .failed, ScriptThrow(ErrorKinds.runtimeError, "\(error)").value)
        }
    }

    private func complete(_ vm: VM, _ s: State, _ v: Word) {
        monitor.lock()
        let (ls, cbs) = settle(s, v)
        monitor.unlock()
        notify(vm, ls, cbs)
    }

    /// Records the outcome (monitor held); returns what must run afterwards.
    private func settle(_ s: State, _ v: Word) -> ([(FutureObj) -> Void], [Word]) {
        state = s
        if s == .finished { value = v } else if s == .failed { failure = v }
        finishSeq = FutureObj.finishCounter.add(1, ordering: .relaxed).newValue
        let out = (listeners, callbacks)
        listeners = []; callbacks = []
        if waiters > 0 { monitor.broadcast() }
        return out
    }

    private func notify(_ vm: VM, _ ls: [(FutureObj) -> Void], _ cbs: [Word]) {
        for l in ls { l(self) }
        for cb in cbs { callCallback(vm, cb) }
    }

    /// Fails a task not yet started with `error` (its pool could not start a
    /// worker to run it).
    func fail(_ vm: VM, _ error: Word) {
        monitor.lock()
        guard state == .pending else { monitor.unlock(); return }
        let (ls, cbs) = settle(.failed, error)
        monitor.unlock()
        notify(vm, ls, cbs)
    }

    /// Cancels a task not yet started; true if cancelled (now or before).
    func cancel(_ vm: VM) -> Bool {
        monitor.lock()
        if state == .cancelled { monitor.unlock(); return true }
        guard state == .pending else { monitor.unlock(); return false }
        let (ls, cbs) = settle(.cancelled, .nil)
        monitor.unlock()
        notify(vm, ls, cbs)
        return true
    }

    /// A done-callback's error is reported like a thread's, never propagated.
    private func callCallback(_ vm: VM, _ cb: Word) {
        do {
            _ = try vm.call(cb, [.object(self)])
        } catch let e as ScriptThrow {
            vm.core.threadError(ScriptError(e).threadReport(vm.thread.name))
        } catch {
            vm.core.threadError("error in thread \"\(vm.thread.name)\": \(error)\n")
        }
    }

    func addDoneCallback(_ vm: VM, _ cb: Word) {
        monitor.lock()
        if isDone {
            monitor.unlock()
            callCallback(vm, cb)
            return
        }
        callbacks.append(cb)
        monitor.unlock()
    }

    /// Registers `l` to run once done; false (and not registered) if already done.
    func addListener(_ l: @escaping (FutureObj) -> Void) -> Bool {
        monitor.lock(); defer { monitor.unlock() }
        if isDone { return false }
        listeners.append(l)
        return true
    }

    // MARK: Waiting

    func waitDone(_ vm: VM, timeout: Double?) throws -> Bool {
        monitor.lock()
        defer { monitor.unlock() }
        waiters += 1
        defer { waiters -= 1 }
        return try vm.blockingWait(monitor, timeout: timeout, on: "the result of a Future") { isDone }
    }

    func outcome() throws -> Word {
        monitor.lock()
        let s = state, v = value, e = failure
        monitor.unlock()
        switch s {
        case .finished: return v
        case .failed: throw ScriptThrow(e)
        case .cancelled: throw ScriptThrow(ErrorKinds.cancelled, "the future was cancelled")
        default: return .nil
        }
    }

    var joinDescription: String { "the Future" }

    func timeoutError(_ timeout: Double?) -> ScriptThrow {
        ScriptThrow(ErrorKinds.timeout, "the Future did not finish within \(timeout ?? 0) seconds")
    }

    func result(_ vm: VM, timeout: Double?) throws -> Word {
        if !(try waitDone(vm, timeout: timeout)) { throw timeoutError(timeout) }
        return try outcome()
    }

    /// The task's error, or nil; raises Cancelled or Timeout.
    func error(_ vm: VM, timeout: Double?) throws -> Word {
        if !(try waitDone(vm, timeout: timeout)) { throw timeoutError(timeout) }
        monitor.lock()
        let s = state, e = failure
        monitor.unlock()
        switch s {
        case .failed: return e
        case .cancelled: throw ScriptThrow(ErrorKinds.cancelled, "the future was cancelled")
        default: return .nil
        }
    }
}

/// `as_completed(futures, timeout:)`: yields futures in the order they finish.
final class AsCompletedIterator: IteratorObj, @unchecked Sendable {
    let monitor = PosixCondition()
    /// Done futures not yet yielded: a min-heap on finish order. Guarded by `monitor`.
    private var ready: [FutureObj] = []
    private var remaining: Int
    private let deadline: Deadline?
    private let timeout: Double?

    init(_ futures: [FutureObj], timeout: Double?) {
        self.timeout = timeout
        deadline = Deadline.after(timeout)
        remaining = futures.count
        super.init()
        monitor.lock()
        defer { monitor.unlock() }
        for f in futures {
            let registered = f.addListener { [weak self] f in
                guard let self = self else { return }
                self.monitor.lock()
                self.push(f)
                self.monitor.signal()
                self.monitor.unlock()
            }
            if !registered { push(f) }
        }
    }

    override var typeName: String { "iterator" }

    private func push(_ f: FutureObj) {
        ready.append(f)
        var i = ready.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if ready[p].finishSeq <= ready[i].finishSeq { break }
            ready.swapAt(i, p)
            i = p
        }
    }

    private func popFirst() -> FutureObj {
        let top = ready[0]
        let last = ready.removeLast()
        if !ready.isEmpty {
            ready[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < ready.count && ready[l].finishSeq < ready[m].finishSeq { m = l }
                if r < ready.count && ready[r].finishSeq < ready[m].finishSeq { m = r }
                if m == i { break }
                ready.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    override func next(_ vm: VM) throws -> Word? {
        monitor.lock()
        defer { monitor.unlock() }
        if remaining == 0 { return nil }
        let left = deadline?.left
        let ok = try vm.blockingWait(monitor, timeout: left, on: "as_completed") { !ready.isEmpty }
        if !ok {
            throw ScriptThrow(ErrorKinds.timeout,
                              "\(remaining) of the futures did not finish within \(timeout ?? 0) seconds")
        }
        remaining -= 1
        return .object(popFirst())
    }
}

enum FutureBuiltins {
    @inline(__always) static func this(_ receiver: Word) -> FutureObj {
        guard case .object(let o) = receiver.unpacked else { fatalError("future method on a non-future") }
        return unsafeDowncast(o, to: FutureObj.self)
    }

    static let entries: [NativeEntry] = [
        NativeEntry("result", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            return try this(r).result(vm, timeout: vm.timeoutArg(args.arg(0, "timeout"), "result"))
        }),
        NativeEntry("error", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            return try this(r).error(vm, timeout: vm.timeoutArg(args.arg(0, "timeout"), "error"))
        }),
        NativeEntry("done", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).done)
        }),
        NativeEntry("running", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).running)
        }),
        NativeEntry("cancelled", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).cancelled)
        }),
        NativeEntry("cancel", { vm, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).cancel(vm))
        }),
        NativeEntry("add_done_callback", { vm, r, args in
            try args.check(min: 1, max: 1)
            this(r).addDoneCallback(vm, args[0])
            return .nil
        }),
    ]

    static let names = entries.map(\.name).sorted()
    static let methods = LockBuiltins.table(entries)

    static func future(_ v: Word, _ fn: String) throws -> FutureObj {
        if case .object(let o) = v.unpacked, let f = o as? FutureObj { return f }
        throw ScriptThrow.typeError("\(fn)() needs Futures, not '\(v.typeName)'")
    }

    /// `as_completed(futures, timeout: nil)`.
    static func asCompleted(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 2, keywords: ["timeout"])
        let timeout = try vm.timeoutArg(args.arg(1, "timeout"), "as_completed")
        var seen = Set<ObjectIdentifier>()
        var fs: [FutureObj] = []
        for v in try vm.collect(args[0]) {
            let f = try future(v, "as_completed")
            if seen.insert(ObjectIdentifier(f)).inserted { fs.append(f) }
        }
        return .object(AsCompletedIterator(fs, timeout: timeout))
    }
}
