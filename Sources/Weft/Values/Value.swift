// The one representation of every Weft value, on the VM stack, in containers and
// at the embedding boundary. 16 bytes (9 used): immediates inline, everything else
// a reference to a heap object. The hottest heap types have their own case so the
// VM can switch on them without a dynamic cast.

public enum Value {
    case `nil`
    case bool(Bool)
    case int(Int)
    case float(Double)
    case str(StrObj)
    case list(ListObj)
    case map(MapObj)
    case function(Closure)
    case instance(Instance)
    /// Every other heap value: classes, bound methods, native functions, ranges,
    /// modules, bytes, iterators and the runtime's concurrency objects.
    case object(Obj)
}

extension Value {
    /// Truthiness (§2): nil, false, 0, 0.0, "", empty bytes/list/map are false.
    @inline(__always) var isTruthy: Bool {
        switch self {
        case .nil: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .str(let s): return !s.value.isEmpty
        case .list(let l): return l.count != 0
        case .map(let m): return m.count != 0
        case .object(let o): return o.isTruthy
        case .function, .instance: return true
        }
    }

    /// The name `type(x)` prints.
    var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .str: return "str"
        case .list: return "list"
        case .map: return "map"
        case .function: return "fn"
        case .instance(let i): return i.cls.name
        case .object(let o): return o.typeName
        }
    }

    /// Identity (`is`): equal immediates, or the same heap object.
    func isIdentical(to other: Value) -> Bool {
        switch (self, other) {
        case (.nil, .nil): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.float(let a), .float(let b)): return a.bitPattern == b.bitPattern
        case (.str(let a), .str(let b)): return a === b
        case (.list(let a), .list(let b)): return a === b
        case (.map(let a), .map(let b)): return a === b
        case (.function(let a), .function(let b)): return a === b
        case (.instance(let a), .instance(let b)): return a === b
        case (.object(let a), .object(let b)): return a === b
        default: return false
        }
    }

    /// The heap object behind a value, if any (for `id`, identity hashing).
    var heapObject: AnyObject? {
        switch self {
        case .str(let o): return o
        case .list(let o): return o
        case .map(let o): return o
        case .function(let o): return o
        case .instance(let o): return o
        case .object(let o): return o
        default: return nil
        }
    }

    @inline(__always) static func string(_ s: String) -> Value { .str(StrObj(s)) }

    /// The marker stored in a parameter slot whose argument was not passed, so
    /// the function's prologue evaluates the default.
    static let missing: Value = .object(MissingArgument.shared)

    @inline(__always) var isMissing: Bool {
        if case .object(let o) = self { return o === MissingArgument.shared }
        return false
    }
}

/// Internal marker object; never visible to scripts.
final class MissingArgument: Obj {
    static let shared = MissingArgument()
    override var typeName: String { "missing" }
}
