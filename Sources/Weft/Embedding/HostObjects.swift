// Swift objects that scripts use as objects with methods and properties (like
// JavaScriptCore's JSExport or mlua's UserData). A class adopts `HostObject` and
// describes its members once, with a builder; `Value.object(x)` hands an instance
// to scripts, where `type(x)` names the class, `isinstance(x, Counter)` works once
// the class is registered, and `x.method()` / `x.prop` call back into Swift.
//
// The script-side object (`HostObj`, a heap object) holds the Swift object
// strongly, so a script that keeps it keeps the Swift object alive. Identity is
// preserved: the same Swift object always maps to the same script object while
// that one is alive (a process-wide table from Swift object to script object).

/// A Swift class whose instances scripts can use as objects.
///
/// ```swift
/// final class Counter: HostObject {
///     var count = 0
///     static func describe(_ t: HostType<Counter>) {
///         t.property("count", \.count)                 // read-write
///         t.method("add") { this, args in
///             this.count += try args[0, default: 1]
///             return .int(this.count)
///         }
///     }
/// }
/// interp.register(Counter.self)                         // `Counter` in scripts
/// interp["c"] = .object(Counter())
/// ```
///
/// Methods and property accessors run on whichever script thread uses the object,
/// possibly on several at once, so the class must be thread-safe.
public protocol HostObject: AnyObject {
    /// The name scripts see (`type(x)`, printing); default: the Swift class name.
    /// Type names are process-wide: give each host class its own, distinct from
    /// the runtime's (`Queue`, `Lock`, `Thread`...).
    static var scriptTypeName: String { get }
    /// Declares the methods and properties scripts may use. Called once per process.
    static func describe(_ type: HostType<Self>)
}

extension HostObject {
    /// The Swift class name.
    public static var scriptTypeName: String { String(describing: Self.self) }
}

/// The builder a `HostObject` describes its script interface with.
public final class HostType<Object: HostObject> {
    var methods: [(String, ClosedRange<Int>?, [String]?, (Object, Arguments) throws -> Value)] = []
    var getters: [String: (Object) throws -> Value] = [:]
    var setters: [String: (Object, Value) throws -> Void] = [:]
    var makeObject: ((Arguments) throws -> Object)?
    var text: ((Object) -> String)?

    init() {}

    /// A method: `x.name(args)` runs `body` with the Swift object and the
    /// arguments; `arity` and `keywords` as in `Interpreter.define`.
    public func method(_ name: String, arity: ClosedRange<Int>? = nil, keywords: [String]? = nil,
                       _ body: @escaping (Object, Arguments) throws -> Value) {
        methods.append((name, arity, keywords, body))
    }

    /// A read-write property backed by a key path: scripts read `x.name` and assign
    /// `x.name = v` (a value of the wrong type raises `TypeError`).
    public func property<T: ValueConvertible>(_ name: String, _ keyPath: ReferenceWritableKeyPath<Object, T>) {
        getters[name] = { $0[keyPath: keyPath].scriptValue }
        setters[name] = { object, value in object[keyPath: keyPath] = try value.as(T.self) }
    }

    /// A read-only property backed by a key path; assigning it raises
    /// `AttributeError`.
    public func property<T: ValueConvertible>(_ name: String, _ keyPath: KeyPath<Object, T>) {
        getters[name] = { $0[keyPath: keyPath].scriptValue }
    }

    /// A computed property; without `set` it is read-only.
    public func property(_ name: String, get: @escaping (Object) throws -> Value,
                         set: ((Object, Value) throws -> Void)? = nil) {
        getters[name] = get
        if let set = set { setters[name] = set }
    }

    /// Lets scripts create instances by calling the class: `Counter(5)`. Without
    /// one, calling the class raises `TypeError`.
    public func initializer(_ body: @escaping (Arguments) throws -> Object) {
        makeObject = body
    }

    /// How `str(x)` and `print(x)` show an instance (default `<TypeName>`).
    public func description(_ body: @escaping (Object) -> String) {
        text = body
    }
}

/// What the runtime keeps of a host class: its script class and its members by
/// symbol. One per Swift class per process, so every interpreter shares it (host
/// methods get their interpreter from the calling VM).
final class HostTypeInfo: @unchecked Sendable {
    let name: String
    let cls: ClassObj
    let methods: [Int32: NativeFn]
    let getters: [Int32: (AnyObject) throws -> Value]
    let setters: [Int32: (AnyObject, Value) throws -> Void]
    let text: ((AnyObject) -> String)?
    let memberNames: [String]

    private static let lock = PosixLock()
    nonisolated(unsafe) private static var infos: [ObjectIdentifier: HostTypeInfo] = [:]

    /// The runtime description of `T`, made on first use. `T.describe` runs without
    /// the lock held (it is host code, which may well use other host types); if two
    /// threads race to make it, the first to finish wins and only its class becomes
    /// the script type.
    static func of<T: HostObject>(_ type: T.Type) -> HostTypeInfo {
        let id = ObjectIdentifier(type)
        lock.lock()
        if let i = infos[id] { lock.unlock(); return i }
        lock.unlock()
        let made = HostTypeInfo(type)
        lock.lock(); defer { lock.unlock() }
        if let i = infos[id] { return i }
        infos[id] = made
        TypeObjects.register(made.cls)
        return made
    }

    private init<T: HostObject>(_ type: T.Type) {
        let b = HostType<T>()
        T.describe(b)
        let name = T.scriptTypeName
        self.name = name
        var methods: [Int32: NativeFn] = [:]
        for (mname, arity, keywords, body) in b.methods {
            let qualified = "\(name).\(mname)"
            methods[Symbols.intern(mname)] = NativeFn(qualified) { vm, receiver, args in
                try HostCall.checkShape(args, arity: arity, keywords: keywords)
                return try HostCall.run(vm, qualified) {
                    guard receiver.isObjectTag, let h = receiver.objectUnchecked as? HostObj,
                          let object = h.object as? T else {
                        throw ScriptThrow.typeError("\(qualified)() needs a \(name) receiver")
                    }
                    return try body(object, Arguments(args, function: qualified, core: vm.core)).word(in: vm)
                }
            }
        }
        self.methods = methods
        var getters: [Int32: (AnyObject) throws -> Value] = [:]
        for (k, g) in b.getters { getters[Symbols.intern(k)] = { try g(unsafeDowncast($0, to: T.self)) } }
        self.getters = getters
        var setters: [Int32: (AnyObject, Value) throws -> Void] = [:]
        for (k, s) in b.setters { setters[Symbols.intern(k)] = { try s(unsafeDowncast($0, to: T.self), $1) } }
        self.setters = setters
        text = b.text.map { t in { t(unsafeDowncast($0, to: T.self)) } }
        memberNames = b.methods.map(\.0) + Array(b.getters.keys)

        // The script class: `type(x)`, `isinstance(x, Counter)`, `Counter(...)`.
        let cls = ClassObj(name: name, superclass: nil, methods: [:], isBuiltin: true)
        let make = b.makeObject
        cls.constructor = NativeFn(name) { vm, _, args in
            guard let make = make else { throw ScriptThrow.typeError("cannot create '\(name)' instances") }
            return try HostCall.run(vm, name) {
                HostObj.wrap(try make(Arguments(args, function: name, core: vm.core)),
                             info: HostTypeInfo.of(T.self), core: vm.core).word
            }
        }
        self.cls = cls
    }
}

/// The script-side object of a host object.
final class HostObj: Obj {
    /// Strong: a script that keeps this object keeps the Swift object alive.
    let object: AnyObject
    unowned(unsafe) let info: HostTypeInfo
    /// For the identity table: the collection count when this object was made, and
    /// the number of the last collection that reached it. It is alive after the
    /// latest collection if either equals `Heap.collections`.
    private var born = 0
    @exclusivity(unchecked) private var lastMarked = -1

    private init(_ object: AnyObject, info: HostTypeInfo) {
        self.object = object
        self.info = info
        super.init()
        // Read after registering: a collection that ran meanwhile counted it live.
        born = Heap.collections
    }

    override var typeName: String { info.name }
    /// Only the collector calls this, during collection number `collections + 1`.
    override func trace(_ m: inout Marker) { lastMarked = Heap.collections + 1 }
    override func method(_ sym: Int32) -> NativeFn? { info.methods[sym] }
    override func methodNames() -> [String] { info.memberNames }

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        guard let get = info.getters[sym] else { return nil }
        let object = self.object
        return try HostCall.run(vm, "\(info.name).\(Symbols.name(sym))") { try get(object).word(in: vm) }
    }

    override func setAttribute(_ sym: Int32, _ value: Word, vm: VM) throws -> Bool {
        guard let set = info.setters[sym] else {
            if info.getters[sym] != nil {
                throw ScriptThrow(ErrorKinds.attributeError, "'\(info.name).\(Symbols.name(sym))' is read-only")
            }
            return false
        }
        let name = "\(info.name).\(Symbols.name(sym))"
        let v = Value(value, core: vm.core, origin: name)
        _ = try HostCall.run(vm, name) { try set(object, v); return .nil }
        return true
    }

    /// `str(x)`: the host's description, or `<TypeName>`.
    var text: String { info.text?(object) ?? "<\(info.name)>" }

    deinit { HostObj.forget(self) }

    // MARK: Identity

    private static let lock = PosixLock()
    nonisolated(unsafe) private static var table: [ObjectIdentifier: Unmanaged<HostObj>] = [:]

    /// The script object for `object`: the existing one while it lives, else a
    /// new one. Held by the returned Value before the table lock is let go, so a
    /// collection cannot free it in between.
    static func wrap(_ object: AnyObject, info: HostTypeInfo, core: InterpreterCore?) -> Value {
        lock.lock(); defer { lock.unlock() }
        let id = ObjectIdentifier(object)
        if let existing = table[id] {
            let h = existing.takeUnretainedValue()
            // One the last collection found unreachable is only waiting to be
            // released (and to leave the table): it must not come back.
            if h.born == Heap.collections || h.lastMarked == Heap.collections { return Value(.object(h), core: core) }
        }
        let h = HostObj(object, info: info)
        table[id] = Unmanaged.passUnretained(h)
        return Value(.object(h), core: core)
    }

    private static func forget(_ h: HostObj) {
        lock.lock(); defer { lock.unlock() }
        let id = ObjectIdentifier(h.object)
        if table[id]?.toOpaque() == Unmanaged.passUnretained(h).toOpaque() { table[id] = nil }
    }
}

extension Value {
    /// The script object for a Swift host object. The same Swift object always
    /// gives the same script object (`a is b` holds in scripts).
    public static func object<T: HostObject>(_ object: T) -> Value {
        HostObj.wrap(object, info: HostTypeInfo.of(T.self), core: nil)
    }

    /// The Swift object behind a host object value, or a `ConversionError`:
    /// `let counter = try args[0].as(Counter.self)`.
    public func `as`<T: HostObject>(_ type: T.Type) throws -> T {
        guard let o = hostObject(type) else { throw mismatch(T.scriptTypeName, at: origin) }
        return o
    }

    /// The Swift object behind a host object value, or nil if this is not a `T`.
    public func hostObject<T: HostObject>(_ type: T.Type) -> T? {
        guard word.isObjectTag, let h = word.objectUnchecked as? HostObj else { return nil }
        return h.object as? T
    }
}

extension Interpreter {
    /// Makes host class `type` a global (`Counter`), so scripts can test
    /// `isinstance(x, Counter)` and, if it has an `initializer`, create instances.
    public func register<T: HostObject>(_ type: T.Type) {
        let info = HostTypeInfo.of(type)
        self[info.name] = Value(.object(info.cls))
    }
}
