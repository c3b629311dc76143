// OS threads for scripts, started with `pthread_create` so that a failure to
// start one (no thread left, no address space or memory-map slot for its stack)
// is an error the spawning script can catch — RuntimeError("can't start new
// thread"), as in Python — instead of a crash or a thread that silently never
// runs (Foundation's `Thread.start` ignores the failure).
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

package enum NativeThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func cannotStart() -> ScriptThrow { ScriptThrow.runtimeError("can't start new thread") }

    /// Starts a detached OS thread with a `stackSize`-byte stack running `body`;
    /// throws `cannotStart()` when the system refuses.
    package static func start(stackSize: Int, _ body: @escaping () -> Void) throws {
        var attr = pthread_attr_t()
        guard pthread_attr_init(&attr) == 0 else { throw cannotStart() }
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackSize)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            throw cannotStart()
        }
    }

    // MARK: - The live-thread limit

    /// Live script threads in the process (all interpreters).
    private static let live = Atomic<Int>(0)

    /// Each script thread costs the process a few memory maps (its stack and
    /// guard page, its VM's value stack, malloc's buffer for its frames: 3.2
    /// measured). When `vm.max_map_count` (65530 by default) runs out, any
    /// allocation may fail, and Swift traps on a failed allocation. So threads
    /// stop starting well before that: at most one per `mapsPerThread` maps,
    /// keeping `reservedMaps` for everything else (14,334 threads by default).
    /// The environment variable WEFT_MAX_THREADS sets another limit (tests).
    static let mapsPerThread = 4
    static let reservedMaps = 8192

    /// The most script threads that may be alive at once (besides the main one).
    static let limit: Int = {
        if let s = ProcessInfo.processInfo.environment["WEFT_MAX_THREADS"], let n = Int(s), n >= 0 {
            return n
        }
        var maxMaps = 65_530
        if let text = try? String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8),
           let n = Int(text.trimmingWhitespaceAndNewlines()) {
            maxMaps = n
        }
        return max(64, (maxMaps - reservedMaps) / mapsPerThread)
    }()

    /// Claims a place for one more live thread; false at the limit.
    static func reserveSlot() -> Bool {
        if live.add(1, ordering: .relaxed).newValue > limit {
            live.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    static func releaseSlot() {
        live.subtract(1, ordering: .relaxed)
    }
}
