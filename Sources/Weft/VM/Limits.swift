// Size limits for results a script asks for in one operation (`[0] * n`,
// `"ab" * n`, `bytes(n)`): a request the allocator cannot satisfy would abort the
// process, so it raises MemoryError first (as Python does).
import FoundationEssentials
import Dispatch
import Synchronization

enum AllocationLimit {
    /// The most bytes one result may take: half the machine's physical memory (a
    /// block near or beyond it cannot be backed, Swift's allocator traps when an
    /// allocation fails, and the OOM killer ends the process when pages run out),
    /// and never more than 32 GiB, so the limit depends little on the machine.
    static let maxBytes: Int = min(Int(clamping: ProcessInfo.processInfo.physicalMemory / 2), 1 << 35)

    /// Raises MemoryError unless `count` elements of `stride` bytes may be allocated.
    static func check(_ count: Int, stride: Int, _ what: String) throws {
        let (bytes, o) = count.multipliedReportingOverflow(by: stride)
        if o || bytes > maxBytes {
            throw ScriptThrow(ErrorKinds.memoryError, "\(what) too large to allocate")
        }
    }
}

/// One interpreter's size limits (`Interpreter.Options.maxStringLength`,
/// `maxListLength`, `maxMapLength`, `maxBytesLength` and `memoryBudget`), fixed
/// when it is created. Each check is one comparison against a precomputed bound,
/// `Int.max` when nothing is set, so an unlimited interpreter never fails one.
struct SizeLimits {
    enum Kind { case string, list, map, bytes }

    /// The host's limits (nil: none), for messages.
    let string: Int?, list: Int?, map: Int?, bytes: Int?, memory: Int?
    /// The largest size of each kind that passes: the smaller of its own limit and
    /// the memory budget over the bytes one element takes.
    private let bounds: (string: Int, list: Int, map: Int, bytes: Int)

    init(_ o: Interpreter.Options = Interpreter.Options()) {
        func clamp(_ n: Int?) -> Int? { n.map { max(0, $0) } }
        string = clamp(o.maxStringLength); list = clamp(o.maxListLength)
        map = clamp(o.maxMapLength); bytes = clamp(o.maxBytesLength); memory = clamp(o.memoryBudget)
        let m = memory ?? Int.max
        bounds = (min(string ?? .max, m), min(list ?? .max, m / SizeLimits.wordBytes),
                  min(map ?? .max, m / SizeLimits.entryBytes), min(bytes ?? .max, m))
    }

    /// Bytes a list element and a map entry take in their blocks.
    static let wordBytes = 8, entryBytes = 28

    @inline(__always) func bound(_ k: Kind) -> Int {
        switch k {
        case .string: return bounds.string
        case .list: return bounds.list
        case .map: return bounds.map
        case .bytes: return bounds.bytes
        }
    }

    /// The error for a `k` of size `n` past its bound: LimitError for the kind's
    /// own limit, MemoryError when it alone would exceed the memory budget.
    @inline(never)
    func error(_ k: Kind, _ n: Int) -> ScriptThrow {
        let (limit, name, unit): (Int?, String, String) = switch k {
        case .string: (string, "string length", " bytes")
        case .list: (list, "list length", "")
        case .map: (map, "map length", "")
        case .bytes: (bytes, "bytes length", "")
        }
        if let l = limit, n > l { return ScriptThrow(ErrorKinds.limitError, "\(name) limit of \(l)\(unit) exceeded") }
        return SizeLimits.memoryError(memory ?? 0)
    }

    static func memoryError(_ budget: Int) -> ScriptThrow {
        ScriptThrow(ErrorKinds.memoryError, "memory budget of \(budget) bytes exceeded")
    }
}

extension VM {
    /// Raises LimitError (or MemoryError) unless a `kind` of size `n` (a string's
    /// UTF-8 bytes, a list's or map's or bytes' length) is within this
    /// interpreter's limits. Called where a script makes a longer one.
    @inline(__always) func checkSize(_ n: Int, _ kind: SizeLimits.Kind) throws {
        if n > core.limits.bound(kind) { throw sizeExceeded(n, kind) }
    }

    /// The error for a `kind` of size `n` past this interpreter's bound (kept out
    /// of line, so the checks stay a compare and a branch).
    @inline(never)
    func sizeExceeded(_ n: Int, _ kind: SizeLimits.Kind) -> ScriptThrow { core.limits.error(kind, n) }
}

/// The budgets of one host call (`eval`, `call`...) and of every thread it starts
/// (they inherit it): instructions, wall time and progress reports
/// (`Interpreter.Options`). Created only when the host set one of them, so an
/// unlimited interpreter pays nothing: its VMs' `stepsLeft` starts at `Int.max`.
///
/// Counting: each VM decrements its own `stepsLeft` at backward jumps and calls (the
/// dispatch loop's one decrement); when it runs out, `VM.refillSteps` draws another
/// chunk from `remaining`, shared by every thread of the call. Steps left unused
/// in a chunk when a thread ends are not returned, so the budget can run out up to
/// one chunk per thread early, never late.
final class CallBudget: @unchecked Sendable {
    /// The instruction budget (nil: unlimited).
    let limit: Int?
    private let remaining: Atomic<Int>
    /// The wall-time limit in seconds, and when it ends (uptime nanoseconds).
    let wallTime: Double?
    private let deadline: UInt64
    /// `onProgress` and how many instructions between calls.
    let progressInterval: Int
    let onProgress: (@Sendable (Interpreter.Progress) -> Interpreter.ProgressAction)?
    private let used = Atomic<Int>(0)
    private let progressLock = PosixLock()
    private var nextReport: Int
    /// Steps a VM draws at a time.
    let chunk: Int
    /// Why the call must stop (a LimitError message), once it must. Sticky.
    private let stopLock = PosixLock()
    private var _stopMessage: String?
    private let stopped = Atomic<Bool>(false)

    init?(_ o: Interpreter.Options) {
        guard o.instructionBudget != nil || o.wallTimeLimit != nil || o.onProgress != nil else { return nil }
        limit = o.instructionBudget.map { max(0, $0) }
        remaining = Atomic(limit ?? Int.max)
        // Bad input never traps: NaN and negatives mean "no time at all", and the
        // limit is capped at 10^9 s.
        let w = o.wallTimeLimit.map { $0.isNaN ? 0 : max(0, min($0, 1e9)) }
        wallTime = w
        if let w {
            deadline = DispatchTime.now().uptimeNanoseconds &+ UInt64(w * 1e9)
        } else {
            deadline = UInt64.max
        }
        progressInterval = max(1, o.progressInterval)
        onProgress = o.onProgress
        nextReport = progressInterval
        var c = 10_000
        if let l = limit { c = min(c, max(1, l / 64)) }
        if onProgress != nil { c = min(c, progressInterval) }
        chunk = c
    }

    /// The LimitError message once the call must stop, else nil.
    var stopMessage: String? {
        guard stopped.load(ordering: .acquiring) else { return nil }
        stopLock.lock(); defer { stopLock.unlock() }
        return _stopMessage
    }

    /// Makes every thread of this call stop with `message` (the first reason wins):
    /// compute loops at their next safepoint, blocked waits at once.
    func stop(_ message: String, core: InterpreterCore) {
        stopLock.lock()
        if _stopMessage == nil { _stopMessage = message }
        stopLock.unlock()
        stopped.store(true, ordering: .releasing)
        for t in core.threads.live where t.budget === self { t.requestAttention() }
    }

    /// The timer that stops blocked waits at the deadline.
    private var timer: DispatchWorkItem?

    /// Arms the wall-time limit for blocked waits (compute loops also check it when
    /// they draw steps).
    func armTimer(core: InterpreterCore) {
        guard let w = wallTime else { return }
        let item = DispatchWorkItem { [weak self, weak core] in
            guard let self, let core else { return }
            self.stop(CallBudget.wallMessage(w), core: core)
        }
        stopLock.lock(); timer = item; stopLock.unlock()
        DispatchQueue.global().asyncAfter(deadline: .init(uptimeNanoseconds: deadline), execute: item)
    }

    /// The host call ended and no thread of it is left: the timer is not needed
    /// (so a million short calls do not leave a million pending timers).
    func disarm() {
        stopLock.lock()
        let t = timer
        timer = nil
        stopLock.unlock()
        t?.cancel()
    }

    static func wallMessage(_ w: Double) -> String {
        "wall time limit of \(Interpreter.formatSeconds(w)) exceeded"
    }

    /// Steps for a VM that ran out, or a LimitError.
    func draw() throws -> Int {
        if let m = stopMessage { throw ScriptThrow(ErrorKinds.limitError, m) }
        if deadline != UInt64.max && DispatchTime.now().uptimeNanoseconds >= deadline {
            throw ScriptThrow(ErrorKinds.limitError, CallBudget.wallMessage(wallTime ?? 0))
        }
        var grant = chunk
        if let l = limit {
            let before = remaining.subtract(chunk, ordering: .relaxed).oldValue
            if before <= 0 {
                throw ScriptThrow(ErrorKinds.limitError, "instruction budget of \(l) exceeded")
            }
            grant = min(chunk, before)
        }
        if let report = onProgress {
            // Instructions run before this chunk (by every thread of the call,
            // give or take the unused rest of their current chunks).
            let total = used.add(grant, ordering: .relaxed).oldValue
            progressLock.lock()
            var due = false
            if total >= nextReport {
                due = true
                nextReport = (total / progressInterval + 1) * progressInterval
            }
            progressLock.unlock()
            if due, report(Interpreter.Progress(instructions: total)) == .stop {
                stopLock.lock()
                if _stopMessage == nil { _stopMessage = "stopped by the host's progress callback" }
                stopLock.unlock()
                stopped.store(true, ordering: .releasing)
                throw ScriptThrow(ErrorKinds.limitError, "stopped by the host's progress callback")
            }
        }
        return grant
    }
}

extension VM {
    /// `stepsLeft` ran out (the slow path of a backward jump or call): draws more
    /// from the thread's budget, or raises. Without a budget only the fuzz target's
    /// per-VM step budget can run out.
    @inline(never)
    func refillSteps() throws {
        guard let budget = thread.budget else { throw VM.stepBudgetExhausted() }
        stepsLeft.pointee = try budget.draw()
    }

    /// The one capability gate every I/O function passes first: raises
    /// `PermissionError: fileRead is not granted (fs.read_text)` unless this thread
    /// (the interpreter's capabilities, narrowed for spawned threads) has `needed`.
    func require(_ needed: Interpreter.Capabilities, _ function: String) throws {
        try InterpreterCore.require(needed, granted: thread?.capabilities ?? core.capabilities, function)
    }
}
