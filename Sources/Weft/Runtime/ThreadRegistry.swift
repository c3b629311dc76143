// Every script thread of one interpreter, what each is doing, and global deadlock
// detection (§7.7): when every live thread is blocked, untimed, on a runtime
// primitive, none can ever wake, so the main thread gets DeadlockError.
import Dispatch
import Synchronization

/// What a script thread is doing, for deadlock detection and `:threads`.
enum ThreadActivity: Equatable {
    case running
    case sleeping
    /// Waiting on a socket (net): counts as able to make progress (§7.7).
    case io(String)
    /// Waiting on a primitive; `untimed` waits can only end by another thread's action.
    case blocked(on: String, untimed: Bool)
    /// A pool worker with no task: neither live nor blocked for deadlock detection.
    case idle
    /// The main thread outside any evaluation (the REPL waiting for input).
    case outside
    case finished
}

final class ThreadRegistry: @unchecked Sendable {
    let lock = PosixLock()
    private var threads: [ThreadObj] = []
    private var nextIdent = 1
    private var nextNumber = 1
    /// Timers scheduled but not yet fired: they will make progress.
    private var pendingTimers = 0
    /// Signalled whenever a thread finishes (the end-of-program wait).
    let finished = PosixCondition()

    /// The lock wait-for graph (§7.7): thread ident -> the lock it is blocked
    /// acquiring, untimed. Per interpreter, like the idents it is keyed by (lock
    /// owners live in the locks). Touched only on the slow path of an acquire.
    let graphLock = PosixLock()
    var lockWaits: [Int: LockObj] = [:]

    /// Removes thread `ident`'s edge from the lock wait-for graph (its acquire ended).
    func endLockWait(_ ident: Int) {
        graphLock.lock()
        lockWaits[ident] = nil
        graphLock.unlock()
    }
    /// Releases a thread owes a lock after its Condition wait lost the lock
    /// (LockObj.reacquire). Guarded by `graphLock`.
    var lockDebts: [LockDebtKey: Int] = [:]

    /// The next `ident`, and the next default name number ("thread-N").
    func allocateIdent() -> Int {
        lock.lock(); defer { lock.unlock() }
        let i = nextIdent; nextIdent += 1
        return i
    }

    func allocateName() -> String {
        lock.lock(); defer { lock.unlock() }
        let n = nextNumber; nextNumber += 1
        return "thread-\(n)"
    }

    func add(_ t: ThreadObj) {
        lock.lock(); defer { lock.unlock() }
        threads.append(t)
    }

    func remove(_ t: ThreadObj) {
        lock.lock()
        threads.removeAll { $0 === t }
        lock.unlock()
        finished.lock(); finished.broadcast(); finished.unlock()
        checkQuiescence()
    }

    /// Live threads (started and not finished), main thread included.
    var live: [ThreadObj] {
        lock.lock(); defer { lock.unlock() }
        return threads.filter { $0.activity != .finished }
    }

    func timerScheduled() {
        lock.lock(); pendingTimers += 1; lock.unlock()
    }

    func timerDone() {
        lock.lock(); pendingTimers -= 1; lock.unlock()
        checkQuiescence()
    }

    /// Bumped on every activity change, so a delayed check can tell whether any
    /// thread moved since a deadlock looked likely.
    private let epoch = Atomic<Int>(0)
    private var checkScheduled = false

    func activityChanged() {
        epoch.add(1, ordering: .relaxed)
    }

    /// Called whenever a thread starts an untimed wait or leaves the running set.
    /// If every live thread is blocked untimed (and no timer is pending), nothing
    /// can ever wake them: the main thread gets DeadlockError. A thread that was
    /// just notified may not have run yet, so the verdict is confirmed after a
    /// short delay in which no thread changed activity.
    func checkQuiescence() {
        guard quiescentReport() != nil else { return }
        lock.lock()
        if checkScheduled { lock.unlock(); return }
        checkScheduled = true
        lock.unlock()
        confirm(after: epoch.load(ordering: .relaxed), quietRounds: 0)
    }

    /// Delivers the verdict once no thread has changed activity for two
    /// consecutive 150 ms windows (a notified thread starved by a loaded machine
    /// must not be mistaken for a blocked one).
    private func confirm(after seen: Int, quietRounds: Int) {
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.15) { [self] in
            let now = epoch.load(ordering: .relaxed)
            guard let (main, report) = quiescentReport() else {
                lock.lock(); checkScheduled = false; lock.unlock()
                // A transition that arrived while this check was in flight was
                // skipped: look again now that a new check may be scheduled.
                if quiescentReport() != nil { checkQuiescence() }
                return
            }
            if now != seen { confirm(after: now, quietRounds: 0); return }
            if quietRounds < 1 { confirm(after: now, quietRounds: quietRounds + 1); return }
            lock.lock(); checkScheduled = false; lock.unlock()
            main.deliverDeadlock(report)
        }
    }

    /// The main thread and a report of what each thread waits on, when every live
    /// thread (the main one included) is blocked untimed; else nil.
    private func quiescentReport() -> (ThreadObj, String)? {
        lock.lock()
        defer { lock.unlock() }
        guard pendingTimers == 0, let main = threads.first(where: { $0.isMain }) else { return nil }
        var report: [String] = []
        var mainBlocked = false
        for t in threads {
            switch t.activity {
            case .blocked(let on, untimed: true):
                report.append("  thread \"\(t.name)\" waits on \(on)")
                if t === main { mainBlocked = true }
            case .idle, .finished: continue
            default: return nil
            }
        }
        guard mainBlocked else { return nil }
        return (main, "every thread is blocked forever:\n" + report.joined(separator: "\n"))
    }

    /// One line per live thread: name, state and daemon flag (for `:threads`).
    func summaries() -> [String] {
        lock.lock()
        let list = unsharedUnderTSan(threads)
        lock.unlock()
        return list.map { t in
            let state: String
            switch t.activity {
            case .running: state = "running"
            case .sleeping: state = "sleeping"
            case .io(let what): state = "waiting on I/O (\(what))"
            case .blocked(let on, _): state = "blocked on \(on)"
            case .idle: state = "idle (pool worker)"
            case .outside: state = "waiting for input"
            case .finished: state = "finished"
            }
            return "\(t.name) [\(state)]\(t.daemon ? " daemon" : "")"
        }
    }
}

/// A (lock, thread ident) pair: whose release of which lock is owed.
struct LockDebtKey: Hashable {
    let lock: ObjectIdentifier
    let thread: Int
}
