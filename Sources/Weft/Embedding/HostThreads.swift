// Where host calls run (issue 10, item 5). No OS thread is created per call:
// - on the caller's own thread, when its remaining stack is at least
//   `Interpreter.callerStackMinimum` (measured with `pthread_getattr_np`, cached
//   per thread); the VM's value stack and frames are a separate mapping, so the
//   caller's stack only holds native Swift recursion (natives calling back into
//   scripts, nested comparisons, the parser and compiler), which the VM bounds by
//   the room actually left (`VM.nativeStackLimit`);
// - else on one of a few long-lived script threads (`ScriptThreadPool`, 512 MiB
//   stack reservations, address space only), the caller waiting.
// Either way the call runs as a script thread of the interpreter (its own
// ThreadObj when another call is running), attached to the collector for its
// duration, with the locking switch turned on when another thread is inside.
import Dispatch
import Synchronization
import CWeftSupport
#if canImport(Glibc)
import Glibc
#endif

enum HostStack {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// The lowest usable address of the calling thread's stack (above its guard
    /// page), cached per thread: `pthread_getattr_np` reads /proc/self/maps for the
    /// main thread. `UInt.max` when it cannot be known (no room, then).
    static func lowBound() -> UInt {
        if let p = pthread_getspecific(key) { return UInt(bitPattern: p) }
        var low = UInt.max
        var attr = pthread_attr_t()
        // glibc declares it only under _GNU_SOURCE, which Swift's Glibc module lacks.
        if let getattr = getattrNP, getattr(pthread_self(), &attr) == 0 {
            var addr: UnsafeMutableRawPointer?
            var size = 0
            var guardSize = 0
            if pthread_attr_getstack(&attr, &addr, &size) == 0, let a = addr, size > 0 {
                pthread_attr_getguardsize(&attr, &guardSize)
                low = UInt(bitPattern: a) + UInt(max(0, guardSize))
            }
            pthread_attr_destroy(&attr)
        }
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: low))
        return low
    }

    private typealias GetAttr = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
    private static let getattrNP: GetAttr? = dlsym(nil, "pthread_getattr_np").map { unsafeBitCast($0, to: GetAttr.self) }

    /// Bytes of stack left below the caller's frame.
    static func remaining() -> Int {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        let low = lowBound()
        return here > low ? Int(here - low) : 0
    }
}

/// Long-lived OS threads for host calls from threads with little stack and for
/// `async` calls. Shared by every interpreter; a thread idle for a minute ends.
final class ScriptThreadPool: @unchecked Sendable {
    static let shared = ScriptThreadPool()

    private final class Job {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private let cond = PosixCondition()
    private var jobs: [Job] = []
    /// `jobs.count`, for workers spinning before they sleep.
    private let queued = Atomic<Int>(0)
    /// Iterations (tens of microseconds) a thread polls before sleeping: a sleep
    /// and futex wake on each side made a pool call cost about 32 µs, polling
    /// brings back-to-back calls to 3-18 µs (Scripts/bench/embed_calls).
    static let spinIterations = 200_000
    /// Workers waiting for a job (or just started and about to take one).
    private var idle = 0
    /// Workers alive.
    private(set) var workers = 0
    static let idleSeconds = 60.0

    /// Runs `job` on a pool thread; throws RuntimeError("can't start new thread")
    /// when none is free and the system refuses another.
    func submit(_ body: @escaping () -> Void) throws {
        let job = Job(body)
        cond.lock()
        jobs.append(job)
        queued.store(jobs.count, ordering: .releasing)
        if idle >= jobs.count {
            cond.signal()
            cond.unlock()
            return
        }
        idle += 1
        workers += 1
        cond.unlock()
        do {
            try NativeThread.start(stackSize: Interpreter.scriptStackSize) { [self] in work() }
        } catch {
            cond.lock()
            idle -= 1
            workers -= 1
            let stillQueued = jobs.contains { $0 === job }
            jobs.removeAll { $0 === job }
            queued.store(jobs.count, ordering: .releasing)
            cond.unlock()
            if stillQueued { throw error }
        }
    }

    private func work() {
        cond.lock()
        while true {
            if jobs.isEmpty {
                // Poll a while before sleeping: the next call usually comes at once.
                cond.unlock()
                var i = 0
                while i < ScriptThreadPool.spinIterations && queued.load(ordering: .acquiring) == 0 { i += 1 }
                cond.lock()
            }
            while jobs.isEmpty {
                if !cond.wait(seconds: ScriptThreadPool.idleSeconds) && jobs.isEmpty {
                    idle -= 1
                    workers -= 1
                    cond.unlock()
                    return
                }
            }
            let job = jobs.removeFirst()
            queued.store(jobs.count, ordering: .releasing)
            idle -= 1
            cond.unlock()
            job.run()
            cond.lock()
            idle += 1
        }
    }
}

extension Interpreter {
    /// A host call runs on the caller's thread when at least this much of its stack
    /// is left (the main thread's 8 MiB qualifies; Dispatch and Swift-concurrency
    /// threads, 512 KiB, do not).
    public static let callerStackMinimum = 4 << 20
    /// Stack kept free below the VM's native recursion budget on a caller's thread.
    static let callerStackMargin = 2 << 20

    /// Runs `body` on a script thread and returns its result as a `Value`, made
    /// there while the result's object is still reachable, so Swift holds it before
    /// any collection could find it unreachable.
    ///
    /// From host code that already runs on a script thread of this interpreter (a
    /// native function), `body` runs on that thread's VM. From one of another
    /// interpreter's, `body` runs on a pool thread while the calling VM waits parked
    /// (as in a blocking wait), so collections go on meanwhile. From a host thread,
    /// on that thread when its stack allows, else on a pool thread.
    func runOnScriptThread(_ body: @escaping (VM) throws -> Word) throws -> Value {
        if let vm = CurrentVM.vm {
            if vm.core === core {
                do {
                    return Value(try body(vm), core: core)
                } catch let t as ScriptThrow {
                    throw ScriptError(t, core: core)
                }
            }
            return try runOnPool(body, parking: vm)
        }
        // A script thread running a hook outside any native function (`output`,
        // `input`): its VM cannot be parked from here, and a call that waited while
        // it counts as running would stop every collection, so it is refused.
        if weft_get_heap_context() != nil {
            throw ScriptError(ScriptThrow.runtimeError(
                "cannot call into an interpreter from its output or input hook (use a native function)"), core: core)
        }
        let room = HostStack.remaining()
        if core.options.runsOnCallerThread && room >= Interpreter.callerStackMinimum {
            return try runHere(body, nativeStack: UInt(room - Interpreter.callerStackMargin))
        }
        return try runOnPool(body, parking: nil)
    }

    /// Runs `body` on the current OS thread as a script thread of this interpreter.
    func runHere(_ body: (VM) throws -> Word, nativeStack: UInt) throws -> Value {
        let core = self.core
        let evaluation = core.evaluations.claim(core)
        // From here this OS thread may touch interpreter objects (LockingSwitch.swift).
        Runtime.enter(evaluation)
        defer {
            // Before leaving: the next evaluation may start at once.
            core.evaluations.release(evaluation, core)
            Runtime.leave()
        }
        evaluation.setActivity(.running)
        guard let vm = core.evaluations.takeVM(core) else { throw ScriptError(NativeThread.cannotStart()) }
        vm.thread = evaluation
        // Error reports name the thread (`in thread "host-1"`); not the main one.
        vm.threadName = evaluation.isMain ? nil : evaluation.name
        vm.nativeStackLimit = min(nativeStack, VM.nativeStackBudget)
        vm.nativeStackBase = 0
        vm.stepsLeft.pointee = evaluation.budget == nil ? core.stepBudget : 0
        Heap.attach(vm)
        core.evaluations.makeInstance(evaluation)
        let outcome: Result<Value, Error>
        do {
            outcome = .success(Value(try body(vm), core: core))
        } catch let t as ScriptThrow {
            outcome = .failure(ScriptError(t, core: core))
        } catch {
            outcome = .failure(error)
        }
        Heap.detach(vm)
        core.evaluations.returnVM(vm)
        return try outcome.get()
    }

    /// `parking`: the script thread's VM the caller runs on, parked only while it
    /// waits (a parked thread must not touch the heap).
    func runOnPool(_ body: @escaping (VM) throws -> Word, parking: VM?) throws -> Value {
        final class Outcome: @unchecked Sendable {
            var result: Result<Value, Error> = .success(.nil)
            let finished = Atomic<Bool>(false)
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        // A script thread handing work to another one turns locking on first, as
        // spawn does: the other's `Runtime.enter` would otherwise wait for this one
        // to reach a safepoint, which it never does while it waits.
        if parking != nil { Runtime.becomeMultithreaded() }
        let epoch = core.evaluations.currentCancelEpoch
        try ScriptThreadPool.shared.submit { [self] in
            do {
                if core.evaluations.currentCancelEpoch != epoch {
                    throw ScriptError(ScriptThrow(ErrorKinds.cancelled, "cancelled by the host"), core: core)
                }
                outcome.result = .success(try runHere(body, nativeStack: VM.nativeStackBudget))
            } catch {
                outcome.result = .failure(error)
            }
            outcome.finished.store(true, ordering: .releasing)
            done.signal()
        }
        // Poll a while before sleeping (short calls end before a futex wake would).
        func wait() {
            var i = 0
            while i < ScriptThreadPool.spinIterations {
                if outcome.finished.load(ordering: .acquiring) { return }
                i += 1
            }
            done.wait()
        }
        if let waiting = parking {
            Heap.park(waiting)
            wait()
            Heap.unpark(waiting)
        } else {
            wait()
        }
        let result = outcome.result
        outcome.result = .success(.nil)
        return try result.get()
    }

    /// Runs a host call on a pool thread and resumes the caller when it ends:
    /// the awaiting task never blocks a thread of Swift's cooperative pool.
    func runDetached(_ work: @escaping @Sendable (Interpreter) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Value, Error>) in
            do {
                try ScriptThreadPool.shared.submit { [self] in
                    cont.resume(with: Result { try work(self) })
                }
            } catch {
                cont.resume(throwing: error)
            }
        }
    }

    /// `eval` without blocking the calling task's thread: runs on a script thread
    /// and resumes when done. Throws like `eval`.
    @discardableResult
    public func evaluate(_ source: String, file: String = "<eval>") async throws -> Value {
        try await runDetached { try $0.eval(source, file: file) }
    }

    /// `call(name, args...)` without blocking the calling task's thread.
    @discardableResult
    public func call(_ name: String, _ args: Value...) async throws -> Value {
        try await runDetached { try $0.callValue(try $0.global(name), args, keywords: []) }
    }

    /// `call(value, args)` without blocking the calling task's thread.
    @discardableResult
    public func call(_ callee: Value, _ args: [Value]) async throws -> Value {
        try await runDetached { try $0.call(callee, args) }
    }

    /// Stops every evaluation of this interpreter now running and every script
    /// thread they started: a blocked wait (queue, lock, join, sleep, socket)
    /// raises `Cancelled: cancelled by the host` at once, a compute loop at its next
    /// backward jump or call (well within a millisecond). The error is sticky for
    /// those threads (catching it does not keep the script running); evaluations
    /// started after `cancel` returns run normally; a call handed to a pool thread
    /// before and not started yet fails with Cancelled too. Safe from any thread.
    public func cancel() {
        core.evaluations.noteCancel()
        var seen = Set<ObjectIdentifier>()
        for t in core.evaluations.running(core) + core.threads.live where seen.insert(ObjectIdentifier(t)).inserted {
            if t.isMain && !core.evaluations.mainIsBusy { continue }
            t.hostCancel()
        }
    }
}
