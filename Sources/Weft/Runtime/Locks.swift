// Lock, RLock and lock_all (§7.2), with wait-for-graph deadlock detection
// (§7.7): an untimed acquire that would close a cycle of threads waiting for
// locks held by each other raises DeadlockError in the thread closing it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Ids for lock and queue labels ("Lock#3"); process-wide, only for naming.
enum LockGraph {
    private static let counter = Atomic<Int>(0)
    static func nextId() -> Int { counter.add(1, ordering: .relaxed).newValue }
}

final class LockObj: Obj, @unchecked Sendable {
    let reentrant: Bool
    let id: Int
    /// Parks threads that have to wait; the lock itself is `ownerIdent`.
    let monitor = PosixCondition()
    /// The owner's thread ident, 0 when free: acquiring is one compare-exchange
    /// from 0, releasing one store. Also read by the wait-for graph and Condition.
    let ownerIdent = Atomic<Int>(0)
    /// Threads parked (or about to park) on `monitor`; a release wakes only if > 0.
    private let parked = Atomic<Int>(0)
    /// Recursion depth of an RLock: touched only by the owning thread (a plain
    /// Lock may be released by any thread, so it never touches this).
    private var depth = 0

    init(reentrant: Bool) {
        self.reentrant = reentrant
        self.id = LockGraph.nextId()
    }

    override var typeName: String { reentrant ? "RLock" : "Lock" }
    var label: String { "\(typeName)#\(id)" }

    override func method(_ sym: Int32) -> NativeFn? { LockBuiltins.methods[sym] }
    override func methodNames() -> [String] { ["acquire", "release", "locked", "enter", "exit"] }

    var isLocked: Bool { ownerIdent.load(ordering: .relaxed) != 0 }

    @inline(__always) private func tryTake(_ me: Int) -> Bool {
        ownerIdent.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing).exchanged
    }

    /// Acquires; false when non-blocking or timed out first.
    func acquire(_ vm: VM, blocking: Bool, timeout: Double?) throws -> Bool {
        let thread = vm.thread!
        let me = thread.ownIdent
        let owner = ownerIdent.load(ordering: .relaxed)
        if reentrant && owner == me {
            depth += 1
            return true
        }
        try thread.checkPending()
        if tryTake(me) { if reentrant { depth = 1 }; return true }
        if !blocking || timeout == 0 { return false }
        if timeout == nil && owner == me {
            throw ScriptThrow(ErrorKinds.deadlockError,
                              "thread \"\(thread.name)\" would wait forever for \(label), which it holds itself")
        }
        // The holder usually lets go within a microsecond: poll briefly before
        // parking (parking and waking cost ~20 µs each).
        // Only while the running threads fit on the cores: otherwise the holder
        // may need this core to get on.
        if Spin.allowed(vm.core) {
            for i in 0..<4000 {
                if ownerIdent.load(ordering: .relaxed) == 0 && tryTake(me) {
                    if reentrant { depth = 1 }
                    return true
                }
                // Measured: an occasional yield lets a preempted holder finish.
                if i & 255 == 255 { sched_yield() }
            }
        }
        let graph = vm.core.threads
        if timeout == nil { try checkCycle(thread, vm) }
        defer {
            if timeout == nil {
                graph.endLockWait(me)
            }
        }
        monitor.lock()
        defer { monitor.unlock() }
        parked.add(1, ordering: .sequentiallyConsistent)
        defer { parked.subtract(1, ordering: .sequentiallyConsistent) }
        let got = try vm.blockingWait(monitor, timeout: timeout, on: label) { tryTake(me) }
        if got && reentrant { depth = 1 }
        return got
    }

    /// Frees the lock and wakes parked threads, if any.
    private func free() {
        ownerIdent.store(0, ordering: .sequentiallyConsistent)
        if parked.load(ordering: .sequentiallyConsistent) > 0 {
            monitor.lock(); monitor.broadcast(); monitor.unlock()
        }
    }

    /// Registers `me` as waiting for this lock in its interpreter's wait-for
    /// graph, raising DeadlockError when the owners' waits lead back to `me`.
    private func checkCycle(_ me: ThreadObj, _ vm: VM) throws {
        let myIdent = me.ownIdent
        let graph = vm.core.threads
        graph.graphLock.lock()
        defer { graph.graphLock.unlock() }
        // The chain of (holder, lock it waits for); names are looked up only
        // when it closes a cycle.
        var hops: [(holder: Int, waitsFor: LockObj)] = []
        var lock: LockObj = self
        while case let holder = lock.ownerIdent.load(ordering: .relaxed), holder != 0 {
            if holder == myIdent {
                func name(_ ident: Int) -> String {
                    graph.live.first { $0.ident == ident }.map { "thread \"\($0.name)\"" } ?? "thread #\(ident)"
                }
                var path = ["thread \"\(me.name)\" waits for \(label)"]
                for h in hops { path.append("held by \(name(h.holder))"); path.append("which waits for \(h.waitsFor.label)") }
                path.append("held by thread \"\(me.name)\"")
                throw ScriptThrow(ErrorKinds.deadlockError, "lock cycle: " + path.joined(separator: ", "))
            }
            guard let next = graph.lockWaits[holder], !hops.contains(where: { $0.holder == holder }) else { break }
            hops.append((holder, next))
            lock = next
        }
        graph.lockWaits[myIdent] = self
    }

    func release(_ vm: VM) throws {
        if debtors.load(ordering: .relaxed) != 0, payDebt(vm) { return }
        let owner = ownerIdent.load(ordering: .relaxed)
        guard owner != 0 else { throw ScriptThrow.runtimeError("release of an unlocked \(typeName)") }
        if reentrant {
            guard owner == vm.thread.ownIdent else {
                throw ScriptThrow.runtimeError("cannot release an RLock owned by another thread")
            }
            depth -= 1
            if depth > 0 { return }
        }
        free()
    }

    /// For Condition: fully releases the lock held by the current thread,
    /// returning the recursion depth.
    func releaseAll(_ vm: VM) throws -> Int {
        guard ownerIdent.load(ordering: .relaxed) == vm.thread.ownIdent else {
            throw ScriptThrow.runtimeError("cannot wait on a condition without holding its lock")
        }
        let d = reentrant ? depth : 1
        free()
        return d
    }

    /// For Condition: reacquires after a wait, restoring the recursion depth.
    /// An ordinary untimed wait (shown by `:threads`, counted by deadlock
    /// detection, part of the lock wait-for graph) except that cancellation does
    /// not end it: a Cancelled wait() returns with the lock held, as in Python.
    /// Interrupted (Ctrl-C) and DeadlockError (the holder can never let go) do
    /// end it: they propagate with the lock not held, and the thread's next
    /// `depth` releases of this lock (the with-statements it is inside) do
    /// nothing instead of raising RuntimeError or freeing another thread's hold.
    func reacquire(_ vm: VM, depth d: Int, for what: String) throws {
        let thread = vm.thread!
        let me = thread.ownIdent
        if !tryTake(me) {
            let graph = vm.core.threads
            do {
                try checkCycle(thread, vm)
                defer {
                    graph.endLockWait(me)
                }
                monitor.lock()
                defer { monitor.unlock() }
                parked.add(1, ordering: .sequentiallyConsistent)
                defer { parked.subtract(1, ordering: .sequentiallyConsistent) }
                _ = try vm.blockingWait(monitor, timeout: nil, on: "\(label) (to return from \(what).wait)",
                                        cancellable: false) { tryTake(me) }
            } catch {
                addDebt(vm, me, d)
                throw error
            }
        }
        if reentrant { depth = d }
    }

    // MARK: Releases owed by a thread whose Condition wait lost the lock

    /// How many threads owe this lock releases (the debts themselves live in
    /// the interpreter's ThreadRegistry, so a lock costs no more than this).
    private let debtors = Atomic<Int>(0)

    private func addDebt(_ vm: VM, _ me: Int, _ n: Int) {
        let graph = vm.core.threads
        let key = LockDebtKey(lock: ObjectIdentifier(self), thread: me)
        graph.graphLock.lock()
        if graph.lockDebts[key] == nil { debtors.add(1, ordering: .sequentiallyConsistent) }
        graph.lockDebts[key, default: 0] += n
        graph.graphLock.unlock()
    }

    /// True when this release is one the current thread owes: it then does
    /// nothing. A thread that took the lock again since releases normally (and
    /// its debt is forgiven).
    private func payDebt(_ vm: VM) -> Bool {
        let graph = vm.core.threads
        let me = vm.thread.ownIdent
        let key = LockDebtKey(lock: ObjectIdentifier(self), thread: me)
        graph.graphLock.lock()
        defer { graph.graphLock.unlock() }
        guard let n = graph.lockDebts[key] else { return false }
        let retaken = ownerIdent.load(ordering: .relaxed) == me
        if retaken || n == 1 {
            graph.lockDebts[key] = nil
            debtors.subtract(1, ordering: .sequentiallyConsistent)
        } else {
            graph.lockDebts[key] = n - 1
        }
        return !retaken
    }

    /// Whether the current thread holds this lock.
    func isHeld(by vm: VM) -> Bool {
        ownerIdent.load(ordering: .relaxed) == vm.thread.ownIdent
    }
}

/// The with-item returned by `lock_all(...)`: acquires in one global order.
final class LockAllObj: Obj {
    let locks: [LockObj]
    init(_ locks: [LockObj]) { self.locks = locks.sorted { $0.id < $1.id } }
    override var typeName: String { "LockAll" }
    override func method(_ sym: Int32) -> NativeFn? { LockBuiltins.allMethods[sym] }
}

enum LockBuiltins {
    static let functions: [String: Word] = [
        "lock": .object(NativeFn("lock") { _, _, args in
            try args.check(min: 0, max: 0)
            return .object(LockObj(reentrant: false))
        }),
        "rlock": .object(NativeFn("rlock") { _, _, args in
            try args.check(min: 0, max: 0)
            return .object(LockObj(reentrant: true))
        }),
        "lock_all": .object(NativeFn("lock_all") { _, _, args in
            try args.check(min: 1, max: Int.max)
            var locks: [LockObj] = []
            for i in 0..<args.count {
                guard case .object(let l as LockObj) = args[i].unpacked else {
                    throw ScriptThrow.typeError("lock_all() takes locks, not '\(args[i].typeName)'")
                }
                if !locks.contains(where: { $0 === l }) { locks.append(l) }
            }
            return .object(LockAllObj(locks))
        }),
    ]

    static func this(_ receiver: Word) -> LockObj {
        guard case .object(let o) = receiver.unpacked else { fatalError("lock method on a non-lock") }
        return unsafeDowncast(o, to: LockObj.self)
    }

    static let methods = table([
        NativeEntry("acquire", { vm, r, args in
            if args.count == 0 && args.keywordCount == 0 {
                return .bool(try this(r).acquire(vm, blocking: true, timeout: nil))
            }
            try args.check(min: 0, max: 2, keywords: ["blocking", "timeout"])
            let blocking = try ThreadBuiltins.boolArg(args.arg(0, "blocking") ?? .bool(true), "blocking")
            let timeout = try vm.timeoutArg(args.arg(1, "timeout"), "acquire")
            return .bool(try this(r).acquire(vm, blocking: blocking, timeout: timeout))
        }),
        NativeEntry("release", { vm, r, args in
            try args.check(min: 0, max: 0)
            try this(r).release(vm)
            return .nil
        }),
        NativeEntry("locked", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).isLocked)
        }),
        NativeEntry("enter", { vm, r, args in
            try args.check(min: 0, max: 0)
            _ = try this(r).acquire(vm, blocking: true, timeout: nil)
            return r
        }),
        NativeEntry("exit", { vm, r, args in
            try this(r).release(vm)
            return .nil
        }),
    ])

    static let allMethods = table([
        NativeEntry("enter", { vm, r, args in
            guard case .object(let o) = r.unpacked, let all = o as? LockAllObj else { return .nil }
            var taken: [LockObj] = []
            do {
                for l in all.locks { _ = try l.acquire(vm, blocking: true, timeout: nil); taken.append(l) }
            } catch {
                for l in taken.reversed() { try? l.release(vm) }
                throw error
            }
            return r
        }),
        NativeEntry("exit", { vm, r, args in
            guard case .object(let o) = r.unpacked, let all = o as? LockAllObj else { return .nil }
            for l in all.locks.reversed() { try l.release(vm) }
            return .nil
        }),
    ])

    /// A method table keyed by interned name.
    static func table(_ entries: [NativeEntry]) -> MethodList { MethodList(entries) }
}
