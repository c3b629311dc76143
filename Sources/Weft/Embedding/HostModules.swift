// Modules built in Swift: `interp.defineModule("inventory") { m in ... }` makes a
// module that scripts load with `import inventory`, like the standard ones. The
// module object is built at once and kept by the interpreter (a Swift-held root);
// each `import` of it returns that same object.

/// The host-defined modules of one interpreter, by name.
final class HostModules: @unchecked Sendable {
    private let lock = PosixLock()
    private var modules: [String: ModuleObj] = [:]

    func module(_ name: String) -> ModuleObj? {
        lock.lock(); defer { lock.unlock() }
        return modules[name]
    }

    func add(_ m: ModuleObj) {
        lock.lock(); defer { lock.unlock() }
        modules[m.name] = m
    }
}

/// Builds a host module's members (see `Interpreter.defineModule`).
public final class ModuleBuilder {
    /// The module's name, as scripts import it.
    public let name: String
    let interpreter: Interpreter
    let globals = GlobalTable()

    init(name: String, interpreter: Interpreter) {
        self.name = name; self.interpreter = interpreter
    }

    /// Adds a function implemented in Swift (`m.define("count") { args in ... }`),
    /// called as `inventory.count(...)`; `arity` and `keywords` as in
    /// `Interpreter.define`.
    public func define(_ name: String, arity: ClosedRange<Int>? = nil, keywords: [String]? = nil,
                       _ body: @escaping NativeFunction) {
        self[name] = interpreter.makeNative("\(self.name).\(name)", arity: arity, keywords: keywords, body)
    }

    /// A member of the module: `m["VERSION"] = "1.0"`. A value of another
    /// interpreter is copied as `Interpreter.setGlobal` copies it; one that cannot
    /// be copied (a function, an object) leaves the member unset.
    public subscript(name: String) -> Value? {
        get { globals.lookup(name).map { Value($0, core: interpreter.core, origin: "\(self.name).\(name)") } }
        set {
            let v = newValue ?? .nil
            guard v.needsTransfer(to: interpreter.core) else { globals.set(name, v.word); return }
            // The copy's Value keeps it alive until the table holds it.
            if let copy = try? interpreter.runOnScriptThread({ vm in try v.word(in: vm) }) {
                globals.set(name, copy.word)
            }
        }
    }

    /// Makes host class `type` available as `module.TypeName` (see `HostObject`).
    public func register<T: HostObject>(_ type: T.Type) {
        let info = HostTypeInfo.of(type)
        self[info.name] = Value(.object(info.cls))
    }
}

extension Interpreter {
    /// Defines a module implemented in Swift, importable by scripts on every
    /// thread with `import name`. `build` adds its members; defining a module again
    /// replaces it for scripts that have not imported it yet. A host module takes
    /// precedence over a standard module of the same name.
    ///
    /// ```swift
    /// interp.defineModule("inventory") { m in
    ///     m.define("count") { args in .int(stock[try args[0].as(String.self)] ?? 0) }
    ///     m["VERSION"] = "1.0"
    /// }
    /// ```
    public func defineModule(_ name: String, _ build: (ModuleBuilder) throws -> Void) rethrows {
        let builder = ModuleBuilder(name: name, interpreter: self)
        try build(builder)
        core.hostModules.add(ModuleObj(name: name, globals: builder.globals))
    }
}
