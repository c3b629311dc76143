// `import gc`: the collector's controls (docs/vm.md §3). `collect()` runs a full
// collection now; `stats()` returns {"collections", "live_objects", "last_pause",
// "p50_pause", "p99_pause", "max_pause"} with pauses in seconds.

enum GCModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        def("collect") { vm, _, args in
            try args.check(min: 0, max: 0)
            Heap.collectNow(vm)
            return .nil
        }
        def("stats") { vm, _, args in
            try args.check(min: 0, max: 0)
            let s = Heap.stats()
            return try IOSupport.map(vm, [
                ("collections", .int(s.count)), ("live_objects", .int(s.live)),
                ("last_pause", .float(s.last)), ("p50_pause", .float(s.p50)),
                ("p99_pause", .float(s.p99)), ("max_pause", .float(s.max)),
            ])
        }
        return ModuleObj(name: "gc", globals: g)
    }
}
