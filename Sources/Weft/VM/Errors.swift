// Script errors: every error is an Instance of `Error` or a subclass (§6). Swift
// code raises them by throwing `ScriptThrow`; the VM catches that at its boundary
// and unwinds script handlers the same way as for `throw` in a script.

/// One frame of an error's trace: `name (file:line:col)`.
public struct TraceFrame: Sendable, Equatable, CustomStringConvertible {
    public var function: String
    public var file: String
    public var line: Int
    public var column: Int
    public var description: String { "\(function) (\(file):\(line):\(column))" }
}

/// Native state of an error instance: where it was first raised.
final class ErrorState {
    var frames: [TraceFrame] = []
    var thread: String?
    var traced = false
}

/// The builtin error classes, shared by every interpreter (they are immutable:
/// builtin classes refuse attribute assignment).
enum ErrorKinds {
    static let base: ClassObj = {
        let initFn = NativeFn("init") { _, receiver, args in
            try args.check(min: 0, max: 1, keywords: ["message"])
            guard case .instance(let inst) = receiver else { return .nil }
            let m = try args.arg(0, "message") ?? .string("")
            inst.setField(Symbols.message, m.isStr ? m : .string(m.description))
            return .nil
        }
        return ClassObj(name: "Error", superclass: nil,
                        methods: [Symbols.initSym: .object(initFn)], isBuiltin: true)
    }()

    static func kind(_ name: String) -> ClassObj {
        ClassObj(name: name, superclass: base, methods: [:], isBuiltin: true)
    }

    static let typeError = kind("TypeError")
    static let valueError = kind("ValueError")
    static let nameError = kind("NameError")
    static let attributeError = kind("AttributeError")
    static let indexError = kind("IndexError")
    static let keyError = kind("KeyError")
    static let zeroDivisionError = kind("ZeroDivisionError")
    static let overflowError = kind("OverflowError")
    static let recursionError = kind("RecursionError")
    static let runtimeError = kind("RuntimeError")
    static let assertionError = kind("AssertionError")
    static let frozenError = kind("FrozenError")
    static let importError = kind("ImportError")
    static let syntaxError = kind("SyntaxError")
    static let ioError = kind("IOError")
    static let permissionError = kind("PermissionError")
    static let empty = kind("Empty")
    static let full = kind("Full")
    static let timeout = kind("Timeout")
    static let closed = kind("Closed")
    static let cancelled = kind("Cancelled")
    static let deadlockError = kind("DeadlockError")
    static let brokenBarrierError = kind("BrokenBarrierError")
    static let interrupted = kind("Interrupted")
    /// Socket errors (net): IOError subclasses, so `catch e: IOError` sees them.
    static let connectionRefused = ClassObj(name: "ConnectionRefused", superclass: ioError, methods: [:], isBuiltin: true)
    static let addressInUse = ClassObj(name: "AddressInUse", superclass: ioError, methods: [:], isBuiltin: true)
    static let connectionReset = ClassObj(name: "ConnectionReset", superclass: ioError, methods: [:], isBuiltin: true)

    /// Every builtin error class, as globals see them.
    static let all: [ClassObj] = [
        base, typeError, valueError, nameError, attributeError, indexError, keyError,
        zeroDivisionError, overflowError, recursionError, runtimeError, assertionError,
        frozenError, importError, syntaxError, ioError, permissionError, empty, full,
        timeout, closed, cancelled, deadlockError, brokenBarrierError, interrupted,
        connectionRefused, addressInUse, connectionReset,
    ]
}

/// A script error in flight through Swift code.
public struct ScriptThrow: Error {
    /// The error instance (an `Instance` whose class derives from `Error`).
    let value: Value

    init(_ value: Value) { self.value = value }

    init(_ kind: ClassObj, _ message: String) {
        let inst = Instance(cls: kind)
        inst.keys = [Symbols.message, Symbols.trace]
        inst.values = [.string(message), .list(ListObj())]
        inst.native = ErrorState()
        self.value = .instance(inst)
    }

    static func typeError(_ m: String) -> ScriptThrow { ScriptThrow(ErrorKinds.typeError, m) }
    static func valueError(_ m: String) -> ScriptThrow { ScriptThrow(ErrorKinds.valueError, m) }
    static func indexError(_ m: String) -> ScriptThrow { ScriptThrow(ErrorKinds.indexError, m) }
    static func keyError(_ m: String) -> ScriptThrow { ScriptThrow(ErrorKinds.keyError, m) }
    static func runtimeError(_ m: String) -> ScriptThrow { ScriptThrow(ErrorKinds.runtimeError, m) }
    static func overflow(_ m: String = "integer overflow") -> ScriptThrow { ScriptThrow(ErrorKinds.overflowError, m) }
    static func zeroDivision(_ m: String = "division by zero") -> ScriptThrow { ScriptThrow(ErrorKinds.zeroDivisionError, m) }
    static func frozen(_ typeName: String) -> ScriptThrow { ScriptThrow(ErrorKinds.frozenError, "cannot modify a frozen \(typeName)") }

    /// The error's class name (`KeyError`).
    var kindName: String {
        if case .instance(let i) = value { return i.cls.name }
        return value.typeName
    }

    /// The error's message.
    var message: String {
        if case .instance(let i) = value, let m = i.field(Symbols.message) {
            if case .str(let s) = m { return s.value }
            return m.description
        }
        return value.description
    }
}

extension Value {
    var isStr: Bool { if case .str = self { return true }; return false }
    var isInt: Bool { if case .int = self { return true }; return false }

    /// True for instances of Error or its subclasses.
    var isError: Bool {
        if case .instance(let i) = self { return i.cls.isSubclass(of: ErrorKinds.base) }
        return false
    }
}

/// Raised by `exit(code)`: unwinds every frame without running script handlers.
public struct ExitRequest: Error {
    public let code: Int32
}
