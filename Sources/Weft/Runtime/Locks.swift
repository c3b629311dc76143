// Lock, RLock and lock_all (§7.2), with wait-for-graph deadlock detection
// (§7.7): an untimed acquire that would close a cycle of threads waiting for
// locks held by each other raises DeadlockError in the thread closing it.
import Foundation
import Synchronization

/// The wait-for graph: which lock each thread is blocked acquiring. Lock owners
/// live in the locks. Guarded by one process-wide lock; touched only on the slow
/// path of an acquire that has to wait.
enum LockGraph {
    static let lock = NSLock()
    /// Thread ident -> the lock it is blocked acquiring (untimed).
    nonisolated(unsafe) static var waitingFor: [Int: LockObj] = [:]
    private static let counter = Atomic<Int>(0)
    static func nextId() -> Int { counter.add(1, ordering: .relaxed).newValue }
}

final class LockObj: Obj, @unchecked Sendable {
    let reentrant: Bool
    let id: Int
    let monitor = NSCondition()
    /// Guarded by `monitor`.
    private var held = false
    private var count = 0
    private var owner: ThreadObj? {
        didSet { ownerIdent.store(owner?.ident ?? 0, ordering: .relaxed) }
    }
    /// The owner's ident, readable without the monitor (for the wait-for graph).
    let ownerIdent = Atomic<Int>(0)

    init(reentrant: Bool) {
        self.reentrant = reentrant
        self.id = LockGraph.nextId()
    }

    override var typeName: String { reentrant ? "RLock" : "Lock" }
    var label: String { "\(typeName)#\(id)" }

    override func method(_ sym: Int32) -> NativeFn? { LockBuiltins.methods[sym] }
    override func methodNames() -> [String] { ["acquire", "release", "locked", "enter", "exit"] }

    var isLocked: Bool { monitor.lock(); defer { monitor.unlock() }; return held }

    /// Acquires; false when non-blocking or timed out first.
    func acquire(_ vm: VM, blocking: Bool, timeout: Double?) throws -> Bool {
        let me = vm.thread!
        monitor.lock()
        defer { monitor.unlock() }
        if reentrant && held && owner === me {
            count += 1
            return true
        }
        if !held {
            try me.checkPending()
            held = true; count = 1; owner = me
            return true
        }
        if !blocking { return false }
        if timeout == nil {
            if owner === me {
                throw ScriptThrow(ErrorKinds.deadlockError,
                                  "thread \"\(me.name)\" would wait forever for \(label), which it holds itself")
            }
            try checkCycle(me, vm)
        }
        defer {
            LockGraph.lock.lock()
            LockGraph.waitingFor[me.ident ?? 0] = nil
            LockGraph.lock.unlock()
        }
        let got = try vm.blockingWait(monitor, timeout: timeout, on: label) { !held }
        if !got { return false }
        held = true; count = 1; owner = me
        return true
    }

    /// Registers `me` as waiting for this lock, raising DeadlockError when the
    /// owners' waits lead back to `me`.
    private func checkCycle(_ me: ThreadObj, _ vm: VM) throws {
        let myIdent = me.ident ?? 0
        func name(_ ident: Int) -> String {
            vm.core.threads.live.first { $0.ident == ident }.map { "thread \"\($0.name)\"" } ?? "thread #\(ident)"
        }
        LockGraph.lock.lock()
        defer { LockGraph.lock.unlock() }
        var path: [String] = ["thread \"\(me.name)\" waits for \(label)"]
        var lock: LockObj = self
        var seen = Set<Int>()
        while case let holder = lock.ownerIdent.load(ordering: .relaxed), holder != 0, seen.insert(holder).inserted {
            if holder == myIdent {
                path.append("held by thread \"\(me.name)\"")
                throw ScriptThrow(ErrorKinds.deadlockError, "lock cycle: " + path.joined(separator: ", "))
            }
            path.append("held by \(name(holder))")
            guard let next = LockGraph.waitingFor[holder] else { break }
            path.append("which waits for \(next.label)")
            lock = next
        }
        LockGraph.waitingFor[myIdent] = self
    }

    func release(_ vm: VM) throws {
        monitor.lock()
        defer { monitor.unlock() }
        guard held else { throw ScriptThrow.runtimeError("release of an unlocked \(typeName)") }
        if reentrant {
            guard owner === vm.thread else {
                throw ScriptThrow.runtimeError("cannot release an RLock owned by another thread")
            }
            count -= 1
            if count > 0 { return }
        }
        held = false; count = 0; owner = nil
        monitor.signal()
    }

    /// For Condition: fully releases an RLock held by `me`, returning the depth.
    func releaseAll(_ vm: VM) throws -> Int {
        monitor.lock()
        defer { monitor.unlock() }
        guard held, !reentrant || owner === vm.thread else {
            throw ScriptThrow.runtimeError("cannot wait on a condition without holding its lock")
        }
        let depth = count
        held = false; count = 0; owner = nil
        monitor.signal()
        return depth
    }

    /// For Condition: reacquires after a wait, restoring the recursion depth.
    func reacquire(_ vm: VM, depth: Int) throws {
        let me = vm.thread!
        monitor.lock()
        defer { monitor.unlock() }
        // Cancellation must not leave the condition's lock unheld: wait plainly.
        while held { monitor.wait() }
        held = true; count = depth; owner = me
    }

    /// Whether the current thread holds this lock (Condition's ownership check;
    /// a plain Lock only knows that someone holds it).
    func isHeld(by vm: VM) -> Bool {
        monitor.lock(); defer { monitor.unlock() }
        return held && (owner === vm.thread)
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
    static let functions: [String: Value] = [
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
                guard case .object(let l as LockObj) = args[i] else {
                    throw ScriptThrow.typeError("lock_all() takes locks, not '\(args[i].typeName)'")
                }
                if !locks.contains(where: { $0 === l }) { locks.append(l) }
            }
            return .object(LockAllObj(locks))
        }),
    ]

    static func this(_ receiver: Value) -> LockObj {
        guard case .object(let o) = receiver else { fatalError("lock method on a non-lock") }
        return unsafeDowncast(o, to: LockObj.self)
    }

    static let methods: [Int32: NativeFn] = table([
        ("acquire", { vm, r, args in
            try args.check(min: 0, max: 2, keywords: ["blocking", "timeout"])
            let blocking = try ThreadBuiltins.boolArg(args.arg(0, "blocking") ?? .bool(true), "blocking")
            let timeout = try vm.timeoutArg(args.arg(1, "timeout"), "acquire")
            return .bool(try this(r).acquire(vm, blocking: blocking, timeout: timeout))
        }),
        ("release", { vm, r, args in
            try args.check(min: 0, max: 0)
            try this(r).release(vm)
            return .nil
        }),
        ("locked", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).isLocked)
        }),
        ("enter", { vm, r, args in
            try args.check(min: 0, max: 0)
            _ = try this(r).acquire(vm, blocking: true, timeout: nil)
            return r
        }),
        ("exit", { vm, r, args in
            try this(r).release(vm)
            return .nil
        }),
    ])

    static let allMethods: [Int32: NativeFn] = table([
        ("enter", { vm, r, args in
            guard case .object(let o) = r, let all = o as? LockAllObj else { return .nil }
            var taken: [LockObj] = []
            do {
                for l in all.locks { _ = try l.acquire(vm, blocking: true, timeout: nil); taken.append(l) }
            } catch {
                for l in taken.reversed() { try? l.release(vm) }
                throw error
            }
            return r
        }),
        ("exit", { vm, r, args in
            guard case .object(let o) = r, let all = o as? LockAllObj else { return .nil }
            for l in all.locks.reversed() { try l.release(vm) }
            return .nil
        }),
    ])

    /// A method table keyed by interned name.
    static func table(_ entries: [(String, NativeBody)]) -> [Int32: NativeFn] {
        var t: [Int32: NativeFn] = [:]
        for (n, b) in entries { t[Symbols.intern(n)] = NativeFn(n, b) }
        return t
    }
}
