// Spinning before parking, for every blocking primitive. Parking a thread and
// waking it costs 10-40 µs; a hand-off between two running threads that spins
// briefly first costs ~0.1 µs — but only while the runnable threads fit on the
// cores. So primitives poll their wake-up condition for a while (lock-free, no
// monitor held) before they park in `VM.blockingWait`. Two ways to decide
// whether to spin, each measured on the primitives that use it:
//
// - Per object (`poll` with a `SpinGate`: events, semaphores, conditions): each
//   object tracks whether spinning pays; after failed spins it parks at once for
//   a growing number of waits, so with more runnable threads than cores spinning
//   all but stops. At most one thread per core spins at a time, and spinners
//   never yield (with CPU-bound threads around, `sched_yield` gives the core away
//   for a whole time slice, measured at milliseconds per hand-off).
// - Per process (`allowed` then `spin`: locks, queues, idle pool workers): spin
//   only while the script threads running (not blocked, idle or sleeping) fit
//   on the cores, estimated at most every 2 ms.
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ids for the labels deadlock reports use ("Event#3").
enum SyncIds {
    private static let counter = Atomic<Int>(0)
    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}

enum Spin {
    static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// The monotonic clock, in nanoseconds.
    @inline(__always) static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Seconds left of `timeout` after what passed since `start`.
    @inline(__always) static func remaining(_ timeout: Double?, since start: UInt64) -> Double? {
        timeout.map { max(0, $0 - Double(nowNs() &- start) / 1e9) }
    }

    // MARK: Per object: poll with a gate

    /// Threads spinning in `poll` right now.
    private static let spinners = Atomic<Int>(0)

    /// Polls `ready` for as long as `gate` allows (maybe not at all); true when
    /// it became true, else the caller parks. Holds no lock; `ready` must be
    /// cheap. With `backoff` (polling a lock that its holder keeps re-taking)
    /// the polls space out exponentially, so the holder can finish a burst of
    /// short critical sections instead of losing the lock's cache line on each.
    static func poll(_ gate: SpinGate, since start: UInt64, backoff: Bool = false, _ ready: () -> Bool) -> Bool {
        let budget = gate.budget()
        guard budget > 0, cores > 1 else { return false }
        if spinners.add(1, ordering: .relaxed).newValue > cores {
            spinners.subtract(1, ordering: .relaxed)
            return false
        }
        defer { spinners.subtract(1, ordering: .relaxed) }
        var i = 0
        var delay = 8
        while true {
            if ready() { gate.succeeded(); return true }
            i &+= 1
            if backoff {
                pause(delay)
                if delay < 512 { delay &*= 2 } else if nowNs() &- start > budget { break }
            } else if i & 31 == 0 && nowNs() &- start > budget {
                break
            }
        }
        gate.failed()
        return false
    }

    /// A line every core may cache read-only: pausing reads it, which costs
    /// no coherence traffic (Swift has no `pause` instruction).
    private static let idle = Atomic<Int>(0)

    @inline(never) static func pause(_ n: Int) {
        var k = 0
        for _ in 0..<n { k &+= idle.load(ordering: .relaxed) }
        if k == -1 { print(k) }
    }

    // MARK: Per process: spin while the running threads fit on the cores

    /// How long one `spin` may last.
    static let spinBudgetNs: UInt64 = 20_000
    /// Estimated number of script threads currently running (not blocked, idle
    /// or sleeping), refreshed at most every `refreshNs`.
    private static let runnable = Atomic<Int>(1)
    private static let stamp = Atomic<UInt64>(0)
    private static let refreshNs: UInt64 = 2_000_000

    /// Whether spinning is worthwhile: more than one core, and the running
    /// threads (this one included) leave a core for the thread we wait for.
    static func allowed(_ core: InterpreterCore) -> Bool {
        if cores < 2 { return false }
        let t = nowNs()
        if t &- stamp.load(ordering: .relaxed) > refreshNs {
            stamp.store(t, ordering: .relaxed)
            let n = core.threads.live.reduce(0) { $0 + ($1.activity == .running ? 1 : 0) }
            runnable.store(n, ordering: .relaxed)
        }
        return runnable.load(ordering: .relaxed) <= cores
    }

    /// Polls `ready` for up to `spinBudgetNs`; true as soon as it holds.
    @inline(never) static func spin(_ ready: () -> Bool) -> Bool {
        let start = nowNs()
        var i = 0
        while true {
            for _ in 0..<32 { if ready() { return true } }
            i += 1
            if i & 7 == 0 && nowNs() &- start > spinBudgetNs { return ready() }
        }
    }
}

/// Whether spinning pays on one object. A spin that fails (the other thread did
/// not act within the budget: it was parked, busy, or had no core to run on)
/// makes the object skip spinning for the next 1, 2, 4, ... up to 64 waits; a
/// spin that succeeds resets that. So with idle cores hand-offs stay hot, and
/// with more runnable threads than cores (where spinning only delays the
/// thread being waited for) nearly every wait parks at once. Races between
/// threads only blur the counts (relaxed atomics).
final class SpinGate: @unchecked Sendable {
    private let skip = Atomic<Int>(0)
    private let penalty = Atomic<Int>(0)

    /// The spin budget: long enough to cover one wake-up of a parked thread
    /// (10-40 µs on this kind of VM), so that two threads that keep parking for
    /// each other get back to running side by side.
    static let budgetNs: UInt64 = 50_000

    /// The budget for this wait, or 0 to park at once.
    @inline(__always) func budget() -> UInt64 {
        let s = skip.load(ordering: .relaxed)
        if s > 0 { skip.store(s - 1, ordering: .relaxed); return 0 }
        return SpinGate.budgetNs
    }

    @inline(__always) func succeeded() {
        if penalty.load(ordering: .relaxed) != 0 { penalty.store(0, ordering: .relaxed) }
    }

    func failed() {
        let p = min(max(1, penalty.load(ordering: .relaxed) * 2), 64)
        penalty.store(p, ordering: .relaxed)
        skip.store(p, ordering: .relaxed)
    }
}
