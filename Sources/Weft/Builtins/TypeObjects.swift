// The builtin type objects (§2): `nil bool int float str bytes list map range fn
// class module`. Each is a `ClassObj` marked `isBuiltin`, printed as its name; the
// convertible ones carry a `constructor` (Conversions.swift) that the VM calls when
// the type is called (`int("ff", base: 16)`). `TypeObjects.of` answers `type(x)`.
//
// Runtime objects (Lock, Queue, ...) get a type object by their `typeName`, created
// on first use; the module that owns such a type may `register` its own ClassObj
// first, so `type(lock())` is the same object as a global `Lock`.

enum TypeObjects {
    /// A builtin type object; `make` is the conversion run when the type is called.
    private static func type(_ name: String, _ make: @escaping NativeBody) -> ClassObj {
        let cls = ClassObj(name: name, superclass: nil, methods: [:], isBuiltin: true)
        cls.constructor = NativeFn(name, make)
        return cls
    }

    /// The constructor of a type that cannot be created by calling it.
    private static func notConstructible(_ name: String) -> NativeBody {
        { _, _, _ in throw ScriptThrow.typeError("cannot create '\(name)' instances") }
    }

    static let nilType = type("nil") { _, _, args in
        try args.check(min: 0, max: 0)
        return .nil
    }
    static let bool = type("bool", Conversions.bool)
    static let int = type("int", Conversions.int)
    static let float = type("float", Conversions.float)
    static let str = type("str", Conversions.str)
    static let bytes: ClassObj = {
        let c = type("bytes", Conversions.bytes)
        for e in BytesMethods.typeFunctions { c.attrs[Symbols.intern(e.name)] = .object(NativeFn(e.name, e.body)) }
        return c
    }()
    static let list = type("list", Conversions.list)
    static let map = type("map", Conversions.map)
    static let range = type("range", Conversions.range)
    static let fn = type("fn", notConstructible("fn"))
    static let classType = type("class", notConstructible("class"))
    static let module = type("module", notConstructible("module"))

    /// The builtin type objects that are globals (the others' names are keywords).
    static let globals: [ClassObj] = [bool, int, float, str, bytes, list, map, range]

    /// The type object of any value (`type(x)`): builtin types, error classes and
    /// user classes for instances, runtime object types by name.
    static func of(_ v: Word) -> ClassObj {
        switch v.unpacked {
        case .nil: return nilType
        case .bool: return bool
        case .int: return int
        case .float: return float
        case .str: return str
        case .list: return list
        case .map: return map
        case .function: return fn
        case .instance(let i): return i.cls
        case .object(let o):
            switch o {
            case is ClassObj: return classType
            case is NativeFn, is BoundMethod: return fn
            case is RangeObj: return range
            case is BytesObj: return bytes
            case is ModuleObj: return module
            default: return runtimeType(o.typeName)
            }
        }
    }

    // MARK: - Types of runtime objects

    private static let registryLock = PosixLock()
    nonisolated(unsafe) private static var registry: [String: ClassObj] = [:]

    /// Makes `cls` the type object of every runtime object whose `typeName` is
    /// `cls.name` (call before such an object's type is first asked for).
    static func register(_ cls: ClassObj) {
        registryLock.lock(); defer { registryLock.unlock() }
        registry[cls.name] = cls
    }

    /// The type object for runtime objects named `name`, created on first use.
    static func runtimeType(_ name: String) -> ClassObj {
        registryLock.lock(); defer { registryLock.unlock() }
        if let c = registry[name] { return c }
        let c = ClassObj(name: name, superclass: nil, methods: [:], isBuiltin: true)
        c.constructor = NativeFn(name, notConstructible(name))
        registry[name] = c
        return c
    }
}
