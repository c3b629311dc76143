// Every concurrency builtin of §7, gathered for the global builtin table.

enum RuntimeBuiltins {
    static let functions: [String: Word] = {
        var t: [String: Word] = [:]
        let groups: [[String: Word]] = [
            ThreadBuiltins.functions, LockBuiltins.functions, SyncBuiltins.functions,
            QueueBuiltins.functions, PoolBuiltins.functions, LocalBuiltins.functions,
        ]
        for g in groups { for (k, v) in g { t[k] = v } }
        return t
    }()
}
