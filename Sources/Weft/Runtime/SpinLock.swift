// The one-byte lock inside every heap object (`Obj.lockWord`). Whether objects take
// it at all is decided by the locking switch (LockingSwitch.swift).
import Synchronization
import CWeftSupport
#if canImport(Glibc)
import Glibc
#endif

/// A one-byte spin lock with an adaptive yield: the uncontended cost is one atomic
/// compare-exchange; under contention it spins briefly, then yields the CPU.
/// Critical sections guarded by it are a handful of instructions (a load or store
/// of a Word, an array append), never a blocking call and never script code.
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

    /// Releases the lock. The opaque call first is what makes copying a value out of
    /// a locked object safe: Swift cannot see into `weft_release_fence`, so it must
    /// assume the call may release the object a value was just loaded from, and
    /// therefore retains that value before the call, while the lock is held. An
    /// inlined atomic store alone is no such barrier (retains were sunk past it).
    @inline(__always) func unlock() {
        weft_release_fence()
        word.store(false, ordering: .releasing)
    }
}

/// Debug builds count the object critical sections each thread is inside, so that
/// running script code or blocking inside one (which could deadlock or let other
/// threads spin forever) fails an assertion in the tests instead of going unnoticed.
enum ObjectLockCheck {
    #if DEBUG
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private static var depth: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }
    #endif

    @inline(__always) static func entering() {
        #if DEBUG
        depth += 1
        #endif
    }

    @inline(__always) static func leaving() {
        #if DEBUG
        depth -= 1
        #endif
    }

    /// Asserts that this thread is inside no object's critical section.
    @inline(__always) static func assertNoneHeld(_ what: @autoclosure () -> String) {
        #if DEBUG
        assert(depth == 0, "\(what()) inside an object's critical section")
        #endif
    }
}

/// `a` itself, or under ThreadSanitizer (built with `-Xswiftc -DWEFT_TSAN`, as CI
/// does) a copy with storage of its own. Arrays copied out of a locked object share
/// their buffer with it until one side writes; the writer's uniqueness check and the
/// reader's release order the two through Swift's atomic reference count, inside the
/// Swift runtime, which TSan does not see, so it reports races that cannot happen
/// (Scripts/stress/tsan_cow_handoff.swift shows one in 40 lines). Copying while the lock
/// is held gives TSan an order it can see, at the cost of an allocation that release
/// builds do not pay.
@inline(__always) func unsharedUnderTSan<T>(_ a: [T]) -> [T] {
    #if WEFT_TSAN
    return a.withUnsafeBufferPointer { Array($0) }
    #else
    return a
    #endif
}

