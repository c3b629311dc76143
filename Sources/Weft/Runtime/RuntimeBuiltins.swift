// Every concurrency builtin of §7, gathered for the global builtin table.

enum RuntimeBuiltins {
    static let functions: [String: Value] = {
        var t: [String: Value] = [:]
        let groups: [[String: Value]] = [
            ThreadBuiltins.functions, LockBuiltins.functions, SyncBuiltins.functions,
            QueueBuiltins.functions, PoolBuiltins.functions, LocalBuiltins.functions,
        ]
        for g in groups { for (k, v) in g { t[k] = v } }
        return t
    }()
}
