// `import gc`: the collector's controls (docs/vm.md §3-4). `collect()` runs a full
// (major) collection now; `stats()` returns {"collections", "major_collections",
// "live_objects", "last_pause", "p50_pause", "p99_pause", "max_pause"} with pauses
// in seconds.

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
                ("collections", .int(s.count)), ("major_collections", .int(s.major)),
                ("live_objects", .int(s.live)),
                ("last_pause", .float(s.last)), ("p50_pause", .float(s.p50)),
                ("p99_pause", .float(s.p99)), ("max_pause", .float(s.max)),
            ])
        }
        return ModuleObj(name: "gc", globals: g)
    }
}
