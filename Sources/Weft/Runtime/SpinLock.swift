// Per-object locking for shared mutable values (lists, maps, instances, cells,
// globals). There is no global interpreter lock: every single operation on a
// shared value takes that value's own lock, so it is atomic with respect to other
// threads and a racy script can never observe a torn Value or a freed object.
//
// While only one thread runs script code nothing can race, so locking is skipped:
// `Runtime.isMultithreaded` is set (and never cleared) by the thread that starts the
// first extra thread, before that thread exists, so the single-threaded fast path is
// only ever taken when it is safe.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

enum Runtime {
    private static let multithreaded = Atomic<Bool>(false)

    /// True once any script thread besides the first has been started.
    @inline(__always) static var isMultithreaded: Bool {
        multithreaded.load(ordering: .relaxed)
    }

    /// Called by the thread that is about to start another script thread.
    static func becomeMultithreaded() {
        multithreaded.store(true, ordering: .sequentiallyConsistent)
    }
}

/// A one-byte spin lock with an adaptive yield: the uncontended cost is one atomic
/// compare-exchange; under contention it spins briefly, then yields the CPU.
/// Critical sections guarded by it are a handful of instructions (a load or store
/// of a Value, an array append), never a blocking call and never script code.
struct SpinWord: ~Copyable {
    private let word = Atomic<Bool>(false)

    @inline(__always) func lock() {
        if !word.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            lockSlow()
        }
    }

    @inline(never) func lockSlow() {
        var spins = 0
        while true {
            if !word.load(ordering: .relaxed) &&
                word.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
                return
            }
            spins += 1
            if spins > 64 { sched_yield() }
        }
    }

    @inline(__always) func unlock() {
        word.store(false, ordering: .releasing)
    }
}
