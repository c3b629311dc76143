// The locking switch. There is no global interpreter lock: every single operation on
// a shared mutable object (list, map, instance, cell, globals) takes that object's own
// lock (`Obj.locked`), so it is atomic with respect to other threads. While only one
// OS thread touches interpreter objects nothing can race, and those locks are skipped.
//
// The switch is process-wide and one-way: once on, it stays on. It is safe because it
// only ever turns on while no thread is inside an unlocked operation:
// - A script thread about to start another thread (spawn, pools, timers) turns it on
//   itself, before the new thread exists.
// - Any other OS thread that wants to touch interpreter objects (a host calling
//   `eval`/`call` while another evaluation runs, the REPL's next evaluation while an
//   abandoned one goes on) calls `enter` first. If a thread is already inside
//   unlocked, `enter` asks that thread to turn the switch on at its next safepoint
//   (a backward jump, or any blocking wait: no object operation is in progress there,
//   since no script code and no blocking call ever runs inside an object's critical
//   section), and waits until it has. A thread that only reads briefly for the host
//   and has no safepoint turns the switch on when it leaves.
// docs/concurrency-model.md explains the whole design.
import Synchronization
import CWeftSupport
#if canImport(Glibc)
import Glibc
#endif

enum Runtime {
    // The switch itself is a C global (weft_support.h, `weft_multithreaded`).
    /// Set by a thread waiting in `enter` for the switch to turn on.
    private static let switchRequested = Atomic<Bool>(false)

    /// Guards the fields below (only used while the switch is off).
    private static let gate = PosixCondition()
    /// The OS thread inside interpreter code while the switch is off, how many
    /// `enter`s it has nested, and its script thread (to poke at safepoints).
    nonisolated(unsafe) private static var occupant: pthread_t?
    nonisolated(unsafe) private static var occupantDepth = 0
    nonisolated(unsafe) private static var occupantThread: ThreadObj?

    /// True once object locks must be taken.
    @inline(__always) static var isMultithreaded: Bool {
        weft_is_multithreaded() != 0
    }

    /// Turns locking on. Called by a thread about to start another script thread,
    /// or by the unlocked thread itself at a safepoint.
    static func becomeMultithreaded() {
        gate.lock()
        weft_set_multithreaded()
        gate.broadcast()
        gate.unlock()
    }

    /// Called by an OS thread before it runs script code or reads interpreter objects
    /// for the host; pair with `leave`. `thread` is the script thread it runs as (nil
    /// for a brief host read). Returns once this thread may touch objects: either it is
    /// the only one, or locking is on.
    static func enter(_ thread: ThreadObj?) {
        if isMultithreaded { return }
        gate.lock()
        defer { gate.unlock() }
        if isMultithreaded { return }
        let me = pthread_self()
        guard let other = occupant else {
            occupant = me; occupantDepth = 1; occupantThread = thread
            return
        }
        if pthread_equal(other, me) != 0 { occupantDepth += 1; return }
        switchRequested.store(true, ordering: .sequentiallyConsistent)
        while !isMultithreaded {
            // Poke the occupant outside the gate: waking it takes its own locks.
            let t = occupantThread
            gate.unlock()
            t?.requestAttention()
            gate.lock()
            if isMultithreaded { break }
            _ = gate.wait(seconds: 0.05)
        }
    }

    /// Ends an `enter`.
    static func leave() {
        if isMultithreaded { return }
        gate.lock()
        defer { gate.unlock() }
        if isMultithreaded { return }
        occupantDepth -= 1
        guard occupantDepth == 0 else { return }
        occupant = nil; occupantThread = nil
        if switchRequested.load(ordering: .relaxed) {
            // Someone waited for us; nothing of ours is in progress any more.
            weft_set_multithreaded()
            gate.broadcast()
        }
    }

    /// Called by a script thread at a safepoint: if another thread is waiting in
    /// `enter`, turn locking on now.
    @inline(__always) static func safepoint() {
        if switchRequested.load(ordering: .relaxed) && !isMultithreaded { becomeMultithreaded() }
    }
}
