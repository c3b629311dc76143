// Swift functions that scripts call: `interp.define("fetch") { args in ... }`. The
// closure gets its arguments as `Value`s (`args[0]`, `args["timeout", default: 5.0]`)
// and returns a `Value`. What it throws becomes a script error the script can catch:
// a conversion mismatch a `TypeError` naming the function and the argument, a
// `HostError` (the public type) the kind it names, any other Swift error a
// `HostError` carrying the error's description. A script error that passes through
// the function (from a script callback) keeps its kind and its trace, which gains
// the function's name between the script frames on either side.
import CWeftSupport

/// The body of a native function: called on whichever script thread calls it, so
/// possibly on several threads at once.
public typealias NativeFunction = @Sendable (Arguments) throws -> Value

/// An error to raise in the script from Swift code: thrown by a native function or
/// a host object's method, it becomes a script error of kind `kind` with `message`.
///
/// `kind` may name a builtin error class (`"ValueError"`, `"KeyError"`,
/// `"Timeout"`...), which scripts catch as usual, or any other name, which becomes a
/// subclass of `HostError` (`catch e: HostError` catches every one). Any other Swift
/// error a native function throws arrives as kind `HostError` with the error's
/// description as the message.
public struct HostError: Error, CustomStringConvertible, Sendable {
    /// The script error class name: `"HostError"` unless given.
    public let kind: String
    /// The message scripts see as `e.message`.
    public let message: String

    /// An error of kind `kind` (default `HostError`) with `message`.
    public init(_ message: String, kind: String = "HostError") {
        self.kind = kind; self.message = message
    }

    /// `Kind: message`.
    public var description: String { "\(kind): \(message)" }
}

/// The arguments of one call of a native function: positional ones by index,
/// keyword ones by name. Values read here name the function and argument in
/// conversion errors (`fetch() argument 1: expected String, got int`).
public struct Arguments {
    /// The function's name as scripts call it.
    public let function: String
    /// The positional arguments, in order.
    public let positional: [Value]
    /// The keyword arguments, in call order.
    public let keywords: [(name: String, value: Value)]

    /// Number of positional arguments.
    public var count: Int { positional.count }

    /// Positional argument `index` (0-based); a `TypeError` in the script when the
    /// call passed fewer.
    public subscript(index: Int) -> Value {
        get throws {
            guard index >= 0 && index < positional.count else {
                throw ScriptThrow.typeError("\(function)() missing argument \(index + 1) (\(positional.count) given)")
            }
            return positional[index]
        }
    }

    /// Positional argument `index` converted to `T`, or `defaultValue` when the call
    /// passed fewer (or `nil`).
    public subscript<T: ValueConvertible>(index: Int, default defaultValue: T) -> T {
        get throws {
            guard index >= 0 && index < positional.count, !positional[index].isNil else { return defaultValue }
            return try positional[index].as(T.self)
        }
    }

    /// Keyword argument `name`, or nil when not passed.
    public subscript(name: String) -> Value? {
        keywords.first { $0.name == name }?.value
    }

    /// Keyword argument `name` converted to `T`, or `defaultValue` when not passed
    /// (or `nil`): `let timeout = try args["timeout", default: 5.0]`.
    public subscript<T: ValueConvertible>(name: String, default defaultValue: T) -> T {
        get throws {
            guard let v = self[name], !v.isNil else { return defaultValue }
            return try v.as(T.self)
        }
    }

    /// Runs `work` — slow Swift work that touches no Weft value, such as waiting for
    /// a lock, a network reply or a file — with this script thread let go, the way a
    /// blocking wait in a script lets it go: collections, which stop every script
    /// thread of the process at a safepoint, run meanwhile instead of waiting for
    /// `work` to end.
    ///
    /// ```swift
    /// weft.define("fetch", arity: 1...1) { args in
    ///     let url = try args[0].as(String.self)
    ///     let body = try args.blocking { try download(url) }   // no Value in here
    ///     return .string(body)
    /// }
    /// ```
    ///
    /// Read the arguments before and build the result after: inside `work` the
    /// thread is not a script thread, so values made there go through the heap's
    /// shared (locked) path, and a call into an interpreter from there runs as a new
    /// host call.
    public func blocking<R>(_ work: () throws -> R) rethrows -> R {
        guard let vm = CurrentVM.vm else { return try work() }
        let context = weft_get_heap_context()
        weft_set_heap_context(nil)
        Heap.park(vm)
        defer {
            Heap.unpark(vm)
            weft_set_heap_context(context)
        }
        return try CurrentVM.with(nil, work)
    }

    /// The arguments of a native call, labelled for error messages.
    init(_ args: Args, function: String, core: InterpreterCore) {
        self.function = function
        var pos: [Value] = []
        pos.reserveCapacity(args.count)
        for i in 0..<args.count {
            pos.append(Value(args[i], core: core, origin: "\(function)() argument \(i + 1)"))
        }
        positional = pos
        var kws: [(name: String, value: Value)] = []
        for i in 0..<args.keywordCount {
            let (name, v) = args.keyword(at: i)
            kws.append((name, Value(v, core: core, origin: "\(function)() argument '\(name)'")))
        }
        keywords = kws
    }
}

extension Interpreter {
    /// Defines a global function implemented in Swift, callable from every script
    /// thread (at the same time, too: `body` must be thread-safe).
    ///
    /// - Parameters:
    ///   - arity: the accepted number of positional arguments; another count raises
    ///     `TypeError: fetch() takes 1 to 2 arguments (3 given)` before `body` runs.
    ///     Nil: any.
    ///   - keywords: the accepted keyword names; another raises `TypeError`. Nil:
    ///     any.
    public func define(_ name: String, arity: ClosedRange<Int>? = nil, keywords: [String]? = nil,
                       _ body: @escaping NativeFunction) {
        self[name] = makeNative(name, arity: arity, keywords: keywords, body)
    }

    /// A native function value (for globals, module members and host methods).
    func makeNative(_ name: String, arity: ClosedRange<Int>?, keywords: [String]?,
                    _ body: @escaping NativeFunction) -> Value {
        let fn = NativeFn(name) { vm, _, args in
            try HostCall.checkShape(args, arity: arity, keywords: keywords)
            return try HostCall.run(vm, name) {
                try body(Arguments(args, function: name, core: vm.core)).word(in: vm)
            }
        }
        return Value(.object(fn), core: core)
    }
}

/// What every call from a script into host code goes through.
enum HostCall {
    /// Checks the declared arity and keyword names.
    static func checkShape(_ args: Args, arity: ClosedRange<Int>?, keywords: [String]?) throws {
        guard arity != nil || keywords != nil else { return }
        let r = arity ?? 0...Int.max
        try args.check(min: r.lowerBound, max: r.upperBound,
                       keywords: keywords ?? (0..<args.keywordCount).map { args.keyword(at: $0).0 })
    }

    /// Runs host code for a script call of `name` on `vm`'s thread, turning what it
    /// throws into a script error (module comment) and recording `name` in the
    /// error's trace.
    static func run(_ vm: VM, _ name: String, _ body: () throws -> Word) throws -> Word {
        do {
            return try CurrentVM.with(vm, body)
        } catch let e as ExitRequest {
            throw e
        } catch {
            let t = scriptThrow(for: error, in: name)
            noteHostFrame(t.value, vm: vm, name: name)
            throw t
        }
    }

    /// The script error for something host code threw.
    static func scriptThrow(for error: Error, in name: String) -> ScriptThrow {
        switch error {
        case let t as ScriptThrow:
            return t
        case let e as ScriptError:
            // A script error that came back out of a call into script code: the same
            // error value, so the script sees its own error with its trace so far.
            return ScriptThrow(e.value.word)
        case let c as ConversionError:
            let text = c.path.isEmpty ? "\(name)(): \(c)" : c.description
            return ScriptThrow.typeError(text)
        case let h as HostError:
            return ScriptThrow(HostErrorKinds.kind(named: h.kind), h.message)
        default:
            return ScriptThrow(HostErrorKinds.hostError, String(describing: error))
        }
    }

    /// Adds the native function to the error's trace, between the script frames it
    /// was raised in (if any) and those it is about to unwind.
    static func noteHostFrame(_ error: Word, vm: VM, name: String) {
        guard case .instance(let inst) = error.unpacked else { return }
        let state = inst.errorState
        if let list = state.recordHost(vm: vm, thread: vm.threadName, function: name, frameCount: vm.frameCount) {
            inst.setField(Symbols.trace, .list(list))
        }
    }
}

/// The script classes of host errors: `HostError` (a builtin of every interpreter)
/// and one subclass per other kind name a host raises.
enum HostErrorKinds {
    static var hostError: ClassObj { ErrorKinds.hostError }
    private static let lock = PosixLock()
    nonisolated(unsafe) private static var byName: [String: ClassObj] = [:]

    /// The builtin error class called `name`, or a `HostError` subclass of that
    /// name (made once per process).
    static func kind(named name: String) -> ClassObj {
        if let k = ErrorKinds.all.first(where: { $0.name == name }) { return k }
        lock.lock(); defer { lock.unlock() }
        if let k = byName[name] { return k }
        let k = ClassObj(name: name, superclass: ErrorKinds.hostError, methods: [:], isBuiltin: true)
        byName[name] = k
        return k
    }
}
