// TEMPORARY: placeholders replaced by the helpers' files (Sync, Queues, Pools, Locals).
enum SyncBuiltins { static let functions: [String: Value] = [:] }
enum QueueBuiltins { static let functions: [String: Value] = [:] }
enum PoolBuiltins { static let functions: [String: Value] = [:] }
enum LocalBuiltins { static let functions: [String: Value] = [:] }
