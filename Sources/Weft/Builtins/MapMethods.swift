// Methods of `map` (§8). Lookups and stores go through the VM (`mapGet`, `mapSet`,
// `mapRemove`), which hashes and compares keys, possibly with script `hash`/`eq`
// methods, and takes the map's lock for the single operation. Listing methods read
// a consistent snapshot (`entries`). A frozen map refuses every mutation.

enum MapMethods {
    static let methods: [NativeEntry] = [
        NativeEntry("get", { vm, r, args in
            try args.check(min: 1, max: 2, keywords: ["default"])
            guard r.isMap else { _ = try MethodSupport.map(r, "get"); return .nil }
            // `key` cannot come as a keyword (only `default` may), so the check above
            // guarantees it is positional: no search of the keyword names for it.
            let k = args[0]
            // The map borrowed, not retained: `m.get(k, 0)` is the counting loop's call.
            return try r.withObject(MapObj.self) { try vm.mapGet($0, k) } ?? (try args.arg(1, "default") ?? .nil)
        }),
        NativeEntry("keys", { _, r, args in
            try args.check(min: 0, max: 0)
            let m = try MethodSupport.map(r, "keys")
            return .list(ListObj(m.keyList))
        }),
        NativeEntry("values", { _, r, args in
            try args.check(min: 0, max: 0)
            let m = try MethodSupport.map(r, "values")
            return .list(ListObj(m.entries.map { $0.value }))
        }),
        NativeEntry("items", { _, r, args in
            try args.check(min: 0, max: 0)
            let m = try MethodSupport.map(r, "items")
            return .list(ListObj(m.entries.map { .list(ListObj([$0.key, $0.value])) }))
        }),
        NativeEntry("pop", { vm, r, args in
            try args.check(min: 1, max: 2, keywords: ["default"])
            let m = try MethodSupport.map(r, "pop")
            let k = try MethodSupport.required(args, 0, "key")
            let dflt = try args.arg(1, "default")
            try checkMutable(m)
            if let v = try vm.mapRemove(m, k) { return v }
            if let d = dflt { return d }
            throw ScriptThrow.keyError("\(try vm.repr(k)) not in map")
        }),
        NativeEntry("update", { vm, r, args in
            try args.check(min: 1, max: 1)
            let m = try MethodSupport.map(r, "update")
            try checkMutable(m)
            let pairs: [(key: Word, value: Word)]
            switch args[0].unpacked {
            case .map(let other):
                pairs = other.entries
            default:
                // Any iterable of [key, value] pairs, like Python's dict.update.
                var ps: [(key: Word, value: Word)] = []
                for (i, item) in try vm.collect(args[0]).enumerated() {
                    guard case .list(let l) = item.unpacked else {
                        throw ScriptThrow.typeError("update() item \(i) must be a [key, value] list, not \(item.typeName)")
                    }
                    let kv = l.snapshot
                    guard kv.count == 2 else {
                        throw ScriptThrow.valueError("update() item \(i) has length \(kv.count); 2 is required")
                    }
                    ps.append((kv[0], kv[1]))
                }
                pairs = ps
            }
            for (k, v) in pairs { try vm.mapSet(m, k, v) }
            return .nil
        }),
        NativeEntry("clear", { _, r, args in
            try args.check(min: 0, max: 0)
            let m = try MethodSupport.map(r, "clear")
            try m.locked {
                if m.frozen { throw ScriptThrow.frozen("map") }
                m.removeAll()
            }
            return .nil
        }),
        NativeEntry("copy", { _, r, args in
            try args.check(min: 0, max: 0)
            let m = try MethodSupport.map(r, "copy")
            return .map(m.entriesCopy())
        }),
    ]

    static func checkMutable(_ m: MapObj) throws {
        if m.locked({ m.frozen }) { throw ScriptThrow.frozen("map") }
    }
}
