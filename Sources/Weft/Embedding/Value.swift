// The public value handle of the embedding API. Inside the runtime a value is a
// `Word` that refers to heap objects without counting them (Values/Word.swift); the
// collector frees whatever it cannot reach. A `Value` pairs that word with a strong
// Swift reference to its heap object, and the collector treats every object whose
// Swift count exceeds its own one reference as a root (docs/vm.md §3), so a value the
// host holds keeps its object, and everything reachable from it, alive.
import FoundationEssentials

/// A Weft value held by Swift code: a number, string, list, map, function, script
/// object or host object.
///
/// Build values with the static constructors (`.int(3)`, `.string("x")`) or with
/// literals (`let config: Value = ["retries": 3, "name": "demo"]`), and read them
/// with `value.as(Int.self)` or `try Int(value)`.
///
/// A `Value` keeps what it refers to alive for as long as Swift holds it, however
/// many collections run meanwhile; dropping the last copy lets the collector free
/// it (unless a script still refers to it).
///
/// `Value` is `Sendable`: the runtime makes every value safe to share between
/// threads. Immutable values (numbers, strings, bytes, functions) never change, and
/// every operation on a mutable one (list, map, script object) takes that object's
/// own lock, so reading and writing one from several threads is free of data races
/// (though, as in any shared-memory program, not of logic races).
public struct Value: @unchecked Sendable {
    /// The runtime's encoding of the value.
    let word: Word
    /// The heap object behind `word`, held strongly: this reference is what makes
    /// the object a root for the collector.
    let object: Obj?
    /// The interpreter the value came from, for calls (`value.call(...)`); nil for
    /// values the host built. A list or map the host built from values of one
    /// interpreter belongs to that interpreter.
    let core: InterpreterCore?
    /// A list or map the host built from values of several interpreters: every
    /// interpreter gets a copy (ValueTransfer.swift).
    let mixed: Bool
    /// Where the value was found, for conversion error messages: `order`,
    /// `argument 1 of fetch()`. Empty when unknown.
    let origin: String

    /// Wraps a word. Only where the word's object is known to be alive: on a script
    /// thread between safepoints, or for an object just created.
    init(_ word: Word, core: InterpreterCore? = nil, origin: String = "") {
        self.word = word
        self.object = word.heapObject
        self.core = core
        self.mixed = false
        self.origin = origin
    }

    /// A container the host built from `items`: it belongs to their interpreter.
    private init(container word: Word, of items: [Value]) {
        var core: InterpreterCore?
        var mixed = false
        for v in items {
            if v.mixed { mixed = true; break }
            guard let c = v.core else { continue }
            if core == nil { core = c } else if core !== c { mixed = true; break }
        }
        self.init(word: word, object: word.heapObject, core: mixed ? nil : core, mixed: mixed, origin: "")
    }

    /// The interpreter the value came from (a handle on the same core).
    var interpreter: Interpreter? { core.map(Interpreter.init(core:)) }

    /// The same value, described as found at `origin` (for error messages).
    func labelled(_ origin: String) -> Value {
        Value(word: word, object: object, core: core, mixed: mixed, origin: origin)
    }

    private init(word: Word, object: Obj?, core: InterpreterCore?, mixed: Bool, origin: String) {
        self.word = word; self.object = object; self.core = core; self.mixed = mixed; self.origin = origin
    }

    // MARK: Constructors

    /// `nil`.
    public static let `nil` = Value(Word.nil)

    /// A 64-bit integer.
    public static func int(_ i: Int) -> Value { Value(Word.int(i)) }

    /// A float.
    public static func double(_ d: Double) -> Value { Value(Word.float(d)) }

    /// A float (the script's name for the type); the same as `.double`.
    public static func float(_ d: Double) -> Value { Value(Word.float(d)) }

    /// `true` or `false`.
    public static func bool(_ b: Bool) -> Value { Value(Word.bool(b)) }

    /// A string.
    public static func string(_ s: String) -> Value { Value(Word.string(s)) }

    /// A `bytes` value.
    public static func bytes(_ data: Data) -> Value { Value(Word.object(BytesObj([UInt8](data)))) }

    /// A new list of `items`.
    public static func list(_ items: [Value]) -> Value {
        // The items' own Values keep their objects alive until the list holds them.
        Value(container: Word.list(ListObj(items.map(\.word))), of: items)
    }

    /// A new map with string keys, in the order of `pairs`. A key given twice keeps
    /// its first position and its last value, as in a script's map literal.
    public static func map(_ pairs: KeyValuePairs<String, Value>) -> Value {
        map(pairs.map { ($0.key, $0.value) })
    }

    /// A new map with string keys. Swift dictionaries have no order, so the keys
    /// are sorted, making the map's order (and its printing) reproducible. (A
    /// literal passed here is a Dictionary; a `Value` map literal,
    /// `let m: Value = ["b": 1, "a": 2]`, keeps its order.)
    public static func map(_ dictionary: [String: Value]) -> Value {
        map(dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// A new map with string keys, in the order given.
    static func map(_ pairs: [(String, Value)]) -> Value {
        let m = MapObj()
        for (k, v) in pairs {
            let key = StrObj(k)
            // String keys compare without script code, so no VM is needed.
            m.set(.str(key), hash: key.hashValue32, value: v.word) { a, b in
                a.isStr && b.isStr && strEqual(a.strUnchecked, b.strUnchecked)
            }
        }
        return Value(container: Word.map(m), of: pairs.map(\.1))
    }

    // MARK: Inspection

    /// The name `type(x)` gives in a script: `int`, `str`, `list`, `Counter`...
    public var typeName: String { word.typeName }

    /// Whether this is `nil`.
    public var isNil: Bool { word.isNil }

    /// The broad kind of the value, for `switch`.
    public var kind: Kind {
        let w = word
        if w.isNil { return .nil }
        if w.isBool { return .bool }
        if w.isFloat { return .float }
        if w.isInt { return .int }
        if w.isStr { return .string }
        if w.isList { return .list }
        if w.isMap { return .map }
        if w.isFunction { return .function }
        switch w.objectUnchecked {
        case is BytesObj: return .bytes
        case is NativeFn, is BoundMethod: return .function
        case is HostObj: return .hostObject
        case is Instance: return .scriptObject
        default: return .other
        }
    }

    /// The broad kinds of values.
    public enum Kind: Sendable, Equatable {
        case `nil`, bool, int, float, string, bytes, list, map
        /// A script function, bound method or native function.
        case function
        /// An instance of a script class (including errors).
        case scriptObject
        /// A Swift object exposed with `HostObject`.
        case hostObject
        /// Anything else: classes, modules, ranges, threads, queues, locks...
        case other
    }
}

// MARK: - Printing

extension Value: CustomStringConvertible, CustomDebugStringConvertible {
    /// `str(value)` as a script prints it, without running script code: an
    /// instance whose class defines `to_str()` prints as `<Name>` here (use
    /// `Interpreter.str(_:)` to run it).
    public var description: String { word.description }

    /// `repr(value)` without running script code: strings are quoted.
    public var debugDescription: String {
        Runtime.enter(nil); defer { Runtime.leave() }
        return (try? word.format(repr: true, vm: nil)) ?? "<\(typeName)>"
    }
}

// MARK: - Equality

extension Value: Equatable {
    /// Weft's `==` for plain data: numbers by value (`1 == 1.0`), strings, bytes,
    /// and lists and maps element by element. Script objects, host objects and
    /// functions compare by identity: a class's `eq` method is not run here.
    /// Distinct containers nested more than 200 deep compare unequal (this bounds
    /// the recursion on cyclic ones).
    public static func == (a: Value, b: Value) -> Bool {
        Runtime.enter(nil); defer { Runtime.leave() }
        return plainEqual(a.word, b.word, depth: 0)
    }

    /// Structural equality without script code; `depth` bounds cyclic containers.
    private static func plainEqual(_ a: Word, _ b: Word, depth: Int) -> Bool {
        if a.isIdentical(to: b) { return !(a.isFloat && a.floatValue.isNaN) }
        if depth > 200 { return false }
        if (a.isInt || a.isFloat) && (b.isInt || b.isFloat) {
            switch (a.isInt, b.isInt) {
            case (true, true): return a.intValue == b.intValue
            case (false, false): return a.floatValue == b.floatValue
            case (true, false): return Double(exactly: a.intValue).map { $0 == b.floatValue } ?? false
            case (false, true): return Double(exactly: b.intValue).map { $0 == a.floatValue } ?? false
            }
        }
        if a.isStr && b.isStr { return strEqual(a.strUnchecked, b.strUnchecked) }
        if a.isList && b.isList {
            let x = a.listUnchecked.copyItems, y = b.listUnchecked.copyItems
            return x.count == y.count && zip(x, y).allSatisfy { plainEqual($0, $1, depth: depth + 1) }
        }
        if a.isMap && b.isMap {
            let x = a.mapUnchecked.entries, y = b.mapUnchecked.entries
            guard x.count == y.count else { return false }
            return x.allSatisfy { e in
                y.contains { plainEqual(e.key, $0.key, depth: depth + 1) && plainEqual(e.value, $0.value, depth: depth + 1) }
            }
        }
        if a.isObjectTag && b.isObjectTag,
           let x = a.objectUnchecked as? BytesObj, let y = b.objectUnchecked as? BytesObj {
            return x.bytes == y.bytes
        }
        return false
    }
}

// MARK: - Literals

extension Value: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
                 ExpressibleByBooleanLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
                 ExpressibleByDictionaryLiteral {
    /// `nil`.
    public init(nilLiteral: ()) { self = .nil }
    /// An int: `let n: Value = 3`.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A float: `let x: Value = 2.5`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A bool: `let b: Value = true`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A string: `let s: Value = "Ada"`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A list: `let xs: Value = [1, "two", nil]`.
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    /// A map with string keys, in literal order: `["retries": 3, "name": "demo"]`.
    public init(dictionaryLiteral elements: (String, Value)...) { self = .map(elements) }
}
