// The locks and condition variables the runtime blocks on, over pthreads. They
// replace Foundation's NSLock and NSCondition, whose module (with ICU and
// CoreFoundation behind it) cost the `weft` tool about 6.5 MiB of resident memory
// at start-up (docs/vm.md §8). Semantics are those of NSLock and NSCondition on
// Linux, which wrap the same calls: a default (non-recursive, non-checking) mutex;
// waits that may wake spuriously; a timed wait that returns false on timeout.
//
// A pthread mutex or condition must never move once used, so each lives in its own
// allocation, never inside a Swift value. The classes are final and the calls
// inline, so taking a lock is one direct call to pthread_mutex_lock (NSLock's was a
// dynamically dispatched method around the same call).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutual-exclusion lock (what NSLock was). Not recursive: locking it twice on
/// one thread deadlocks.
package final class PosixLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) package func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) package func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always) package func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A condition variable with its own mutex (what NSCondition was): `lock()` before
/// reading the state it guards, `wait` releases the mutex while blocked and holds it
/// again on return. Every wait may return without a signal, so callers loop on
/// their predicate.
final class PosixCondition: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        #if os(Linux)
        // Timed waits measure against the monotonic clock, so setting the wall
        // clock neither cuts a wait short nor stretches it (NSCondition used the
        // wall clock).
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
        #else
        pthread_cond_init(cond, nil)
        #endif
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// Wakes one waiter (call with the mutex held, or not: either is allowed).
    @inline(__always) func signal() { pthread_cond_signal(cond) }
    /// Wakes every waiter.
    @inline(__always) func broadcast() { pthread_cond_broadcast(cond) }

    /// Blocks until signalled (or a spurious wake-up). The caller holds the mutex.
    func wait() { pthread_cond_wait(cond, mutex) }

    /// Blocks at most `seconds`; false when the time ran out, true when woken
    /// (possibly spuriously). With `seconds` zero or less (or NaN) it returns false
    /// at once without letting go of the mutex, as NSCondition.wait(until:) did for
    /// a date already past. The caller holds the mutex.
    func wait(seconds: Double) -> Bool {
        guard seconds > 0 else { return false }
        // Longer than any caller waits in one go; keeps tv_sec far from overflow.
        let s = min(seconds, 1e9)
        let whole = s.rounded(.down)
        #if os(Linux)
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        var sec = ts.tv_sec + Int(whole)
        var nsec = ts.tv_nsec + Int((s - whole) * 1e9)
        if nsec >= 1_000_000_000 { sec += 1; nsec -= 1_000_000_000 }
        var deadline = timespec(tv_sec: sec, tv_nsec: nsec)
        return pthread_cond_timedwait(cond, mutex, &deadline) == 0
        #else
        var rel = timespec(tv_sec: Int(whole), tv_nsec: Int((s - whole) * 1e9))
        return pthread_cond_timedwait_relative_np(cond, mutex, &rel) == 0
        #endif
    }
}
