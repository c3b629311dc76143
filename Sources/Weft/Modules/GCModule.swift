// `import gc`: the collector's controls (docs/vm.md §3). `collect()` runs a full
// (major) collection now, `collect(0)` a minor one (the young generation only;
// `collect(1)` and `collect(2)` are full, as in Python, whose oldest is 2); `stats()` returns {"collections", "major_collections",
// "live_objects", "last_pause", "p50_pause", "p99_pause", "max_pause"} with pauses
// in seconds.

enum GCModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        def("collect") { vm, _, args in
            try args.check(min: 0, max: 1, keywords: ["generation"])
            var major = true
            if let g = try args.arg(0, "generation") {
                guard g.isInt else {
                    throw ScriptThrow.typeError("collect(): generation must be int, not \(g.typeName)")
                }
                guard (0...2).contains(g.intValue) else {
                    throw ScriptThrow.valueError("collect(): generation must be 0, 1 or 2, not \(g.intValue)")
                }
                major = g.intValue > 0
            }
            Heap.collectNow(vm, major: major)
            return .nil
        }
        def("stats") { vm, _, args in
            try args.check(min: 0, max: 0)
            let s = Heap.stats()
            return try IOSupport.map(vm, [
                ("collections", .int(s.count)), ("major_collections", .int(s.major)),
                ("live_objects", .int(s.live)),
                ("last_pause", .float(s.last)), ("p50_pause", .float(s.p50)),
                ("p99_pause", .float(s.p99)), ("max_pause", .float(s.max)),
            ])
        }
        return ModuleObj(name: "gc", globals: g)
    }
}
