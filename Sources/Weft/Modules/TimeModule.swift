// `import time` (§8): `now()` (wall clock, seconds since the Unix epoch, float),
// `monotonic()` (seconds from an arbitrary fixed point, never goes backwards) and
// `sleep(s)`.
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

enum TimeModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        def("now") { _, _, args in
            try args.check(min: 0, max: 0)
            return .float(Date().timeIntervalSince1970)
        }
        def("monotonic") { _, _, args in
            try args.check(min: 0, max: 0)
            return .float(monotonicSeconds())
        }
        def("sleep") { vm, _, args in
            try args.check(min: 0, max: 1, keywords: ["seconds"])
            let s = try MethodSupport.number(try MethodSupport.required(args, 0, "seconds"), "sleep", "seconds")
            try sleep(s, vm)
            return .nil
        }
        return ModuleObj(name: "time", globals: g)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Validates and sleeps; a cancelled or interrupted thread wakes with an error.
    static func sleep(_ s: Double, _ vm: VM) throws {
        if s.isNaN { throw ScriptThrow.valueError("sleep length must not be nan") }
        if s < 0 { throw ScriptThrow.valueError("sleep length must be non-negative") }
        if s.isInfinite { throw ScriptThrow.overflow("sleep length is too large") }
        try vm.sleep(s)
    }
}
