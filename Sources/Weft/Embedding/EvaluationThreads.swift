// The script threads that host calls (`eval`, `call`, `repr`, `waitForThreads`) run
// as. One evaluation at a time runs as the interpreter's main thread. One that starts
// while another is still running — two host threads calling in at once, or the REPL's
// next evaluation while an abandoned one goes on — runs as a thread of its own, so
// the two never share wait, interrupt or activity state.
import Foundation

final class EvaluationThreads: @unchecked Sendable {
    private let lock = NSLock()
    private var mainBusy = false
    /// Extra evaluation threads now running, with the Thread instances that keep
    /// them visible to `current_thread()`.
    private var extra: [(thread: ThreadObj, instance: Instance)] = []
    private var nextNumber = 1

    /// The script thread for a new evaluation.
    func claim(_ core: InterpreterCore) -> ThreadObj {
        lock.lock()
        defer { lock.unlock() }
        if !mainBusy {
            mainBusy = true
            return core.mainThread
        }
        let t = ThreadObj(core: core, name: "host-\(nextNumber)", daemon: true)
        nextNumber += 1
        let inst = Instance(cls: ThreadBuiltins.threadClass)
        inst.native = t
        t.instance = inst
        extra.append((t, inst))
        core.threads.add(t)
        return t
    }

    /// Ends an evaluation begun with `claim`.
    func release(_ t: ThreadObj, _ core: InterpreterCore) {
        if t.isMain {
            t.setActivity(.outside)
            lock.lock(); mainBusy = false; lock.unlock()
            return
        }
        t.setActivity(.finished)
        lock.lock()
        extra.removeAll { $0.thread === t }
        lock.unlock()
        core.threads.remove(t)
    }

    /// Every thread now running an evaluation (for `interrupt`).
    func running(_ core: InterpreterCore) -> [ThreadObj] {
        lock.lock()
        defer { lock.unlock() }
        return (mainBusy ? [core.mainThread] : []) + extra.map(\.thread)
    }
}
