// Typed conversion between `Value` and Swift types, both ways: `value.as(Int.self)`,
// `try Int(value)`, `Value(42)`. A mismatch throws `ConversionError` naming the path
// inside the value, the Swift type wanted and the Weft type found, so a host can
// tell which part of a nested structure was wrong (`order.items[2]: expected Int,
// got str`).
import FoundationEssentials

/// A value could not be converted to the Swift type asked for.
public struct ConversionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where in the value the mismatch is: `order.items[2]`, `argument 1`, or empty
    /// for the value itself.
    public let path: String
    /// The Swift type wanted: `Int`, `[String: Double]`.
    public let expected: String
    /// The Weft type found (`str`), or what was wrong (`missing key`).
    public let actual: String

    /// A mismatch at `path`: `expected` (a Swift type) and `actual` (what was found).
    public init(path: String, expected: String, actual: String) {
        self.path = path; self.expected = expected; self.actual = actual
    }

    /// `order.items[2]: expected Int, got str`.
    public var description: String {
        path.isEmpty ? "expected \(expected), got \(actual)" : "\(path): expected \(expected), got \(actual)"
    }
}

/// Joins a path and a map key: `order` + `items` is `order.items`.
func pathAppending(_ path: String, key: String) -> String { path.isEmpty ? key : path + "." + key }
/// Joins a path and a list index: `items` + 2 is `items[2]`.
func pathAppending(_ path: String, index: Int) -> String { path + "[\(index)]" }

/// A Swift type that converts to and from Weft values.
///
/// `Int`, `Double`, `Float`, `Bool`, `String`, `Data` (as `bytes`), `Value`, and
/// arrays, string-keyed dictionaries and optionals of convertible types conform.
/// Other types convert through `Codable` (`Interpreter.encode`/`decode`).
public protocol ValueConvertible {
    /// Converts `value`; `path` names where it was found, for the error message.
    init(value: Value, path: String) throws
    /// The Weft value for this Swift value.
    var scriptValue: Value { get }
}

extension Value {
    /// Converts to `T`, or throws `ConversionError`: `try v.as(Int.self)`,
    /// `try v.as([String: Double].self)`.
    public func `as`<T: ValueConvertible>(_ type: T.Type) throws -> T {
        try T(value: self, path: origin)
    }

    /// The Weft value of a Swift value: `Value(42)`, `Value(["a", "b"])`.
    public init<T: ValueConvertible>(_ swiftValue: T) {
        self = swiftValue.scriptValue
    }

    /// The error for a value of the wrong type at `path`.
    func mismatch(_ expected: String, at path: String) -> ConversionError {
        ConversionError(path: path, expected: expected, actual: typeName)
    }

    /// The elements of a list, each held by its own Value. (A copy taken under the
    /// list's lock through its stable `copyItems`/`entries` views; on a script
    /// thread no collection can run before the copies are held. Host threads are
    /// not yet stopped by collections: docs/embedding.md, "Threads".)
    func listItems() -> [Value]? {
        guard word.isList else { return nil }
        Runtime.enter(nil); defer { Runtime.leave() }
        return word.listUnchecked.copyItems.map { Value($0, core: core) }
    }

    /// The entries of a map, in order; nil when not a map.
    func mapEntries() -> [(key: Value, value: Value)]? {
        guard word.isMap else { return nil }
        Runtime.enter(nil); defer { Runtime.leave() }
        return word.mapUnchecked.entries.map {
            (Value($0.key, core: core), Value($0.value, core: core))
        }
    }

    /// The string contents, when a string.
    var stringContents: String? { word.isStr ? word.strUnchecked.value : nil }
}

// MARK: - Scalars

extension Value: ValueConvertible {
    /// Any value converts to `Value` (relabelled with `path`).
    public init(value: Value, path: String) throws { self = value.labelled(path) }
    /// The value itself.
    public var scriptValue: Value { self }
}

extension Int: ValueConvertible {
    /// Weft ints only: a float is not silently truncated.
    public init(value: Value, path: String) throws {
        guard value.word.isInt else { throw value.mismatch("Int", at: path) }
        self = value.word.intValue
    }
    /// A Weft int.
    public var scriptValue: Value { .int(self) }
    /// Converts a Weft int, or throws `ConversionError`.
    public init(_ value: Value) throws { try self.init(value: value, path: value.origin) }
}

extension Double: ValueConvertible {
    /// Weft floats and ints (an int widens to a float).
    public init(value: Value, path: String) throws {
        if value.word.isFloat { self = value.word.floatValue; return }
        if value.word.isInt { self = Double(value.word.intValue); return }
        throw value.mismatch("Double", at: path)
    }
    /// A Weft float.
    public var scriptValue: Value { .double(self) }
    /// Converts a Weft float or int, or throws `ConversionError`.
    public init(_ value: Value) throws { try self.init(value: value, path: value.origin) }
}

extension Float: ValueConvertible {
    /// Weft floats and ints, narrowed to `Float`.
    public init(value: Value, path: String) throws {
        do { self = Float(try Double(value: value, path: path)) } catch { throw value.mismatch("Float", at: path) }
    }
    /// A Weft float.
    public var scriptValue: Value { .double(Double(self)) }
}

extension Bool: ValueConvertible {
    /// Weft bools only: truthiness (`0`, `""`) is not a conversion.
    public init(value: Value, path: String) throws {
        guard let b = value.word.asBool else { throw value.mismatch("Bool", at: path) }
        self = b
    }
    /// A Weft bool.
    public var scriptValue: Value { .bool(self) }
    /// Converts a Weft bool, or throws `ConversionError`.
    public init(_ value: Value) throws { try self.init(value: value, path: value.origin) }
}

extension String: ValueConvertible {
    /// Weft strings only (use `value.description` for any value's `str`).
    public init(value: Value, path: String) throws {
        guard let s = value.stringContents else { throw value.mismatch("String", at: path) }
        self = s
    }
    /// A Weft string.
    public var scriptValue: Value { .string(self) }
    /// Converts a Weft string, or throws `ConversionError`.
    public init(_ value: Value) throws { try self.init(value: value, path: value.origin) }
}

extension Data: ValueConvertible {
    /// Weft `bytes`.
    public init(value: Value, path: String) throws {
        guard value.word.isObjectTag, let b = value.word.objectUnchecked as? BytesObj else {
            throw value.mismatch("Data", at: path)
        }
        self = Data(b.bytes)
    }
    /// A Weft `bytes` value.
    public var scriptValue: Value { .bytes(self) }
}

// MARK: - Containers

extension Optional: ValueConvertible where Wrapped: ValueConvertible {
    /// `nil` is `nil`; anything else converts as `Wrapped`.
    public init(value: Value, path: String) throws {
        if value.isNil { self = nil; return }
        do {
            self = try Wrapped(value: value, path: path)
        } catch let e as ConversionError where e.path == path && e.actual == value.typeName {
            throw ConversionError(path: path, expected: "\(Wrapped.self)?", actual: e.actual)
        }
    }
    /// `nil`, or the wrapped value's Weft value.
    public var scriptValue: Value { self?.scriptValue ?? .nil }
    /// Converts `nil` or a `Wrapped`, or throws `ConversionError`.
    public init(_ value: Value) throws { try self.init(value: value, path: value.origin) }
}

extension Array: ValueConvertible where Element: ValueConvertible {
    /// A Weft list whose every element converts; the error names the first that
    /// does not (`items[2]`).
    public init(value: Value, path: String) throws {
        guard let items = value.listItems() else { throw value.mismatch("[\(Element.self)]", at: path) }
        self = try items.enumerated().map { try Element(value: $0.element, path: pathAppending(path, index: $0.offset)) }
    }
    /// A new Weft list of the elements' values.
    public var scriptValue: Value { .list(map(\.scriptValue)) }
    /// Converts a Weft list, or throws `ConversionError`.
    public init(_ value: Value) throws { try self.init(value: value, path: value.origin) }
}

extension Dictionary: ValueConvertible where Key == String, Value: ValueConvertible {
    /// A Weft map with string keys whose every value converts.
    public init(value: Weft.Value, path: String) throws {
        guard let entries = value.mapEntries() else { throw value.mismatch("[String: \(Value.self)]", at: path) }
        var out: [String: Value] = [:]
        for (k, v) in entries {
            guard let key = k.stringContents else {
                throw ConversionError(path: path, expected: "[String: \(Value.self)]",
                                      actual: "map with a \(k.typeName) key")
            }
            out[key] = try Value(value: v, path: pathAppending(path, key: key))
        }
        self = out
    }
    /// A new Weft map (keys sorted, as `Value.map` does).
    public var scriptValue: Weft.Value { .map(mapValues(\.scriptValue)) }
    /// Converts a Weft map with string keys, or throws `ConversionError`.
    public init(_ value: Weft.Value) throws { try self.init(value: value, path: value.origin) }
}
