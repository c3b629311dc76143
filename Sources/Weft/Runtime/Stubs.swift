// TEMPORARY: placeholders replaced by the helpers' files (Sync, Queues, Pools, Locals).
enum QueueBuiltins { static let functions: [String: Value] = [:] }
enum PoolBuiltins { static let functions: [String: Value] = [:] }
