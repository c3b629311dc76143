
// Script errors: every error is an Instance of `Error` or a subclass (§6). Swift
// code raises them by throwing `ScriptThrow`; the VM catches that at its boundary
// and unwinds script handlers the same way as for `throw` in a script.

/// One frame of an error's trace: `name (file:line:col)`.
public struct TraceFrame: Sendable, Equatable, CustomStringConvertible {
    /// The function's name (`<main>` for top-level code).
    public var function: String
    /// The source file (`<eval>` for evaluated strings, `<host>` for native functions).
    public var file: String
    /// 1-based line; 0 for a native function.
    public var line: Int
    /// 1-based column; 0 for a native function.
    public var column: Int
    /// `name (file:line:col)`; a native function the error passed through has no
    /// position: `fetch (<host>)`.
    public var description: String {
        line == 0 ? "\(function) (\(file))" : "\(function) (\(file):\(line):\(column))"
    }
}

/// Native state of an error instance: where it was raised and the frames it has
/// unwound so far. Its trace grows as the error leaves each frame (like a Python
/// traceback), so a throw costs O(frames unwound), not O(stack depth). One error
/// value may be thrown by several threads at once: the state is locked, and only
/// the first thrower's VM records frames.
final class ErrorState: @unchecked Sendable {
    private let lock = PosixLock()
    private var _frames: [TraceFrame] = []
    private var _thread: String?
    private var traced = false
    /// The VM that first threw the error; only it adds frames.
    private var owner: ObjectIdentifier?
    /// Index (in the owner's frame stack) of the outermost frame recorded.
    private var lowest = 0
    /// The `e.trace` list this state keeps up to date, once made.
    private var list: ListObj?

    init() {}

    /// The frames recorded so far (innermost first) and the raising thread's name.
    var snapshot: (frames: [TraceFrame], thread: String?) {
        lock.lock(); defer { lock.unlock() }
        return (_frames, _thread)
    }

    var frames: [TraceFrame] { snapshot.frames }
    var thread: String? { snapshot.thread }

    /// An independent copy (for `copy(e)` / `deepcopy(e)`): same frames so far, its
    /// own `trace` list once it records more.
    func copy() -> ErrorState {
        lock.lock(); defer { lock.unlock() }
        let c = ErrorState()
        c._frames = _frames; c._thread = _thread; c.traced = traced
        c.owner = owner; c.lowest = lowest
        return c
    }

    /// Records the frames `from` down to `through` (indices into `vm`'s frames,
    /// described by `frame`) that this error has not passed yet. On first use
    /// returns a new list for `e.trace`; later frames are appended to that list.
    func record(vm: VM, thread: String?, from: Int, through stop: Int,
                frame: (Int) -> TraceFrame) -> ListObj? {
        lock.lock(); defer { lock.unlock() }
        let me = ObjectIdentifier(vm)
        var start = from
        if !traced {
            traced = true; owner = me; _thread = thread
        } else {
            guard owner == me else { return nil }
            start = min(from, lowest - 1)      // re-raised: continue outwards
        }
        guard start >= stop else { return nil }
        var added: [TraceFrame] = []
        added.reserveCapacity(start - stop + 1)
        var i = start
        while i >= stop { added.append(frame(i)); i -= 1 }
        _frames += added
        lowest = stop
        if let l = list {
            let lines = added.map { Word.string($0.description) }
            l.locked { l.appendUnlocked(contentsOf: lines) }
            return nil
        }
        let l = ListObj(_frames.map { .string($0.description) })
        list = l
        return l
    }

    /// Records that the error passed through native function `function` (host
    /// code, Embedding/NativeFunctions.swift) on `vm`, whose frames below
    /// `frameCount` it has not left yet. Returns a new `e.trace` list like `record`.
    func recordHost(vm: VM, thread: String?, function: String, frameCount: Int) -> ListObj? {
        lock.lock(); defer { lock.unlock() }
        let me = ObjectIdentifier(vm)
        if !traced {
            traced = true; owner = me; _thread = thread
        } else {
            guard owner == me else { return nil }
        }
        // The next `record` continues with the frame that called the function.
        lowest = frameCount
        let frame = TraceFrame(function: function, file: "<host>", line: 0, column: 0)
        _frames.append(frame)
        if let l = list {
            l.locked { l.appendUnlocked(.string(frame.description)) }
            return nil
        }
        let l = ListObj(_frames.map { .string($0.description) })
        list = l
        return l
    }
}

/// The builtin error classes, shared by every interpreter (they are immutable:
/// builtin classes refuse attribute assignment).
enum ErrorKinds {
    static let base: ClassObj = {
        let initFn = NativeFn("init") { _, receiver, args in
            try args.check(min: 0, max: 1, keywords: ["message"])
            guard case .instance(let inst) = receiver.unpacked else { return .nil }
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
    /// Not in the spec's list (§6): raised when a result cannot be allocated.
    static let memoryError = kind("MemoryError")
    /// Raised by host code (native functions, host objects) for a Swift error;
    /// host-named kinds derive from it (Embedding/NativeFunctions.swift).
    static let hostError = kind("HostError")
    /// A budget the host set was exceeded (instructions, wall time, threads;
    /// Interpreter.Options), or `onProgress` asked to stop.
    static let limitError = kind("LimitError")
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
        memoryError, hostError, limitError,
        connectionRefused, addressInUse, connectionReset,
    ]
}

/// A script error in flight through Swift code.
struct ScriptThrow: Error {
    /// The error instance (an `Instance` whose class derives from `Error`).
    let value: Word
    /// Keeps the error alive while it travels through Swift code, where the
    /// collector cannot see the word (a Swift-held root, docs/vm.md §3).
    private let keep: Obj?

    init(_ value: Word) { self.value = value; keep = value.heapObject }

    init(_ kind: ClassObj, _ message: String) {
        let inst = Instance(cls: kind)
        inst.setFieldUnlocked(Symbols.message, .string(message))
        inst.setFieldUnlocked(Symbols.trace, .list(ListObj()))
        inst.native = ErrorState()
        self.value = .instance(inst)
        keep = inst
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
        if case .instance(let i) = value.unpacked { return i.cls.name }
        return value.typeName
    }

    /// The error's message.
    var message: String {
        if case .instance(let i) = value.unpacked, let m = i.field(Symbols.message) {
            if case .str(let s) = m.unpacked { return s.value }
            return m.description
        }
        return value.description
    }
}

extension Word {

    /// True for instances of Error or its subclasses.
    var isError: Bool {
        if case .instance(let i) = self.unpacked { return i.cls.isSubclass(of: ErrorKinds.base) }
        return false
    }
}

/// Raised by `exit(code)`: unwinds every frame without running script handlers.
public struct ExitRequest: Error {
    /// The status the script asked to exit with.
    public let code: Int32
}

extension Instance {
    /// An error instance's trace state, made on first use (under the instance's lock,
    /// so threads raising the same error share one).
    var errorState: ErrorState {
        locked {
            if let s = native as? ErrorState { return s }
            let s = ErrorState()
            native = s
            return s
        }
    }
}
