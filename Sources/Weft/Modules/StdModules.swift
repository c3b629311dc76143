// The builtin modules behind `import NAME` (§8). The VM calls `make` once per
// interpreter per module and caches the result, so module state (the random
// generator) is per interpreter.

enum StdModules {
    /// A fresh instance of builtin module `name` ("math", "time", "random", "json", "os", "fs", "net", "http", "gc"),
    /// or nil if there is no such builtin module.
    static func make(_ name: String, core: InterpreterCore) -> ModuleObj? {
        switch name {
        case "os": return OSModule.make(core: core)
        case "fs": return FSModule.make()
        case "net": return NetModule.make()
        case "http": return HTTPModule.make()
        case "math": return MathModule.make()
        case "time": return TimeModule.make()
        case "random": return RandomModule.make()
        case "json": return JSON.make()
        case "gc": return GCModule.make()
        default: return nil
        }
    }

    /// The names `make` knows.
    static let names = ["fs", "gc", "http", "json", "math", "net", "os", "random", "time"]
}
