// `Codable` types to and from Weft values, through a real `Encoder` and `Decoder`:
// keyed containers are maps with string keys, unkeyed ones lists, single values
// the scalars; `Date` travels as an ISO-8601 string and `Data` as `bytes`. So any
// Swift model (structs, enums, nesting, optionals) crosses the boundary in one call.
import FoundationEssentials

extension Interpreter {
    /// The Weft value of any `Encodable` Swift value: structs and keyed enums become
    /// maps with string keys, arrays lists, `Date` an ISO-8601 string, `Data` bytes;
    /// a `nil` optional property is left out of its map.
    public func encode<T: Encodable>(_ value: T) throws -> Value { try Value.encode(value) }

    /// Decodes a Swift value from a Weft value (the inverse of `encode`). A mismatch
    /// throws `ConversionError` naming the path: `items[2]: expected Int, got str`.
    public func decode<T: Decodable>(_ type: T.Type, from value: Value) throws -> T {
        try value.decode(type)
    }
}

extension Value {
    /// The Weft value of an `Encodable` Swift value (see `Interpreter.encode`).
    public static func encode<T: Encodable>(_ value: T) throws -> Value {
        let root = EncodedBox()
        try ValueEncoder.encode(value, into: root, path: [])
        return root.value
    }

    /// Decodes a `Decodable` Swift value from this value (see `Interpreter.decode`).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ValueDecoder.decode(type, from: self, path: [])
    }
}

// MARK: - Dates

/// ISO-8601 with an offset (`2026-12-03T22:45:00Z`), with fractional seconds when
/// the date has them. FoundationEssentials' ISO8601FormatStyle does the calendar
/// work; two adjustments keep what Foundation's ISO8601DateFormatter (which the
/// library used before it stopped linking Foundation) produced:
/// - the written fraction is the date rounded to the nearest millisecond, half up
///   (CoreFoundation's rounding: 20.9999 s is written `21.000`), where the style
///   alone would truncate;
/// - a parsed fraction keeps at most three digits (`.1239` reads as .123 s).
/// The style is stricter than the ICU parser was about malformed text: it refuses
/// leading spaces and text after the zone, and reads an hour of 24 or more as
/// the next day instead of refusing it.
enum ISODates {
    /// Seconds between 2001-01-01 (Date's reference date) and 1970-01-01.
    private static let referenceSince1970 = 978_307_200.0

    static func string(_ d: Date) -> String {
        if d.timeIntervalSince1970.rounded() == d.timeIntervalSince1970 {
            return d.formatted(Date.ISO8601FormatStyle())
        }
        // Whole milliseconds as CoreFoundation computed them, then a date a fifth of
        // a millisecond into that one, so the style's truncation lands on it.
        let ms = ((d.timeIntervalSinceReferenceDate + referenceSince1970) * 1000 + 0.5).rounded(.down)
        let nudged = Date(timeIntervalSince1970: ms / 1000 + 0.0002)
        return nudged.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func date(_ s: String) -> Date? {
        let text = truncatingFraction(s)
        guard let d = (try? Date.ISO8601FormatStyle().parse(text))
                ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) else { return nil }
        // Whole milliseconds, converted to the reference date the way CoreFoundation
        // did, so the Double is bit for bit the one Foundation gave.
        let ms = (d.timeIntervalSince1970 * 1000).rounded()
        return Date(timeIntervalSinceReferenceDate: ms / 1000 - referenceSince1970)
    }

    /// `s` with the digits after a seconds' decimal point cut to three.
    private static func truncatingFraction(_ s: String) -> String {
        guard let t = s.firstIndex(of: "T"), let dot = s[t...].firstIndex(of: ".") else { return s }
        let digitsStart = s.index(after: dot)
        let digitsEnd = s[digitsStart...].firstIndex { !("0"..."9").contains($0) } ?? s.endIndex
        guard s.distance(from: digitsStart, to: digitsEnd) > 3 else { return s }
        return String(s[..<s.index(digitsStart, offsetBy: 3)]) + s[digitsEnd...]
    }
}

/// `order.items[2]` for a coding path below a value found at `origin`.
func renderPath(_ origin: String, _ keys: [CodingKey]) -> String {
    var out = origin
    for k in keys {
        if let i = k.intValue, k.stringValue == "Index \(i)" || k.stringValue == "\(i)" {
            out = pathAppending(out, index: i)
        } else {
            out = pathAppending(out, key: k.stringValue)
        }
    }
    return out
}

/// A coding key for list positions.
struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(_ i: Int) { intValue = i; stringValue = "Index \(i)" }
    init?(intValue: Int) { self.init(intValue) }
    init?(stringValue: String) { return nil }
}

// MARK: - Encoding

/// What an encoder has written so far at one position: nothing yet, a scalar, a
/// list or a map. A class, so nested containers can keep writing into it.
final class EncodedBox {
    enum Content { case empty, scalar(Value), list([EncodedBox]), map([(String, EncodedBox)]) }
    var content: Content = .empty

    /// The finished value (an empty container encodes as an empty map, as JSON does).
    var value: Value {
        switch content {
        case .empty: return .map([(String, Value)]())
        case .scalar(let v): return v
        case .list(let items): return .list(items.map(\.value))
        case .map(let pairs): return .map(pairs.map { ($0.0, $0.1.value) })
        }
    }

    func appendChild() -> EncodedBox {
        let child = EncodedBox()
        if case .list(var items) = content { items.append(child); content = .list(items) } else { content = .list([child]) }
        return child
    }

    func child(for key: String) -> EncodedBox {
        let child = EncodedBox()
        var pairs: [(String, EncodedBox)] = []
        if case .map(let p) = content { pairs = p }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = child } else { pairs.append((key, child)) }
        content = .map(pairs)
        return child
    }

    var listCount: Int { if case .list(let items) = content { return items.count }; return 0 }
}

struct ValueEncoder: Encoder {
    let box: EncodedBox
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes `value` into `box`, handling the types Weft represents natively.
    static func encode<T: Encodable>(_ value: T, into box: EncodedBox, path: [CodingKey]) throws {
        switch value {
        case let d as Date: box.content = .scalar(.string(ISODates.string(d)))
        case let d as Data: box.content = .scalar(.bytes(d))
        case let v as Value: box.content = .scalar(v)
        case let u as URL: box.content = .scalar(.string(u.absoluteString))
        default: try value.encode(to: ValueEncoder(box: box, codingPath: path))
        }
    }

    static func integer<I: BinaryInteger>(_ i: I, path: [CodingKey]) throws -> Value {
        guard let n = Int(exactly: i) else {
            throw EncodingError.invalidValue(i, .init(codingPath: path, debugDescription: "\(i) does not fit a Weft int (64-bit)"))
        }
        return .int(n)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = box.content {} else { box.content = .map([]) }
        return KeyedEncodingContainer(KeyedEncoding<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .list = box.content {} else { box.content = .list([]) }
        return UnkeyedEncoding(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        SingleValueEncoding(box: box, codingPath: codingPath)
    }
}

struct SingleValueEncoding: SingleValueEncodingContainer {
    let box: EncodedBox
    let codingPath: [CodingKey]
    mutating func encodeNil() throws { box.content = .scalar(.nil) }
    mutating func encode(_ value: Bool) throws { box.content = .scalar(.bool(value)) }
    mutating func encode(_ value: String) throws { box.content = .scalar(.string(value)) }
    mutating func encode(_ value: Double) throws { box.content = .scalar(.double(value)) }
    mutating func encode(_ value: Float) throws { box.content = .scalar(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { box.content = .scalar(.int(value)) }
    mutating func encode(_ value: Int8) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { box.content = .scalar(try ValueEncoder.integer(value, path: codingPath)) }
    mutating func encode(_ value: UInt8) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: UInt16) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { box.content = .scalar(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { box.content = .scalar(try ValueEncoder.integer(value, path: codingPath)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try ValueEncoder.encode(value, into: box, path: codingPath)
    }
}

struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodedBox
    let codingPath: [CodingKey]

    private func slot(_ key: Key) -> SingleValueEncoding {
        SingleValueEncoding(box: box.child(for: key.stringValue), codingPath: codingPath + [key])
    }

    mutating func encodeNil(forKey key: Key) throws { var s = slot(key); try s.encodeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { var s = slot(key); try s.encode(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { var s = slot(key); try s.encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(box: box.child(for: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        ValueEncoder(box: box.child(for: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        ValueEncoder(box: box.child(for: "super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        ValueEncoder(box: box.child(for: key.stringValue), codingPath: codingPath + [key])
    }
}

struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let box: EncodedBox
    let codingPath: [CodingKey]
    var count: Int { box.listCount }

    private func next() -> SingleValueEncoding {
        let key = IndexKey(count)
        return SingleValueEncoding(box: box.appendChild(), codingPath: codingPath + [key])
    }

    mutating func encodeNil() throws { var s = next(); try s.encodeNil() }
    mutating func encode(_ value: Bool) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: String) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Double) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Float) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Int) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Int8) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Int16) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Int32) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: Int64) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: UInt) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: UInt8) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: UInt16) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: UInt32) throws { var s = next(); try s.encode(value) }
    mutating func encode(_ value: UInt64) throws { var s = next(); try s.encode(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { var s = next(); try s.encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let key = IndexKey(count)
        return ValueEncoder(box: box.appendChild(), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let key = IndexKey(count)
        return ValueEncoder(box: box.appendChild(), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        let key = IndexKey(count)
        return ValueEncoder(box: box.appendChild(), codingPath: codingPath + [key])
    }
}

// MARK: - Decoding

struct ValueDecoder: Decoder {
    let value: Value
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var path: String { renderPath(value.origin, codingPath) }

    /// How deep a decoded structure may nest: a script can build a list nested a
    /// million deep, and decoding a recursive Swift type from it must fail, not
    /// overflow the host's stack.
    static let maxDepth = 512

    /// Decodes `type` from `value`, handling the types Weft represents natively.
    static func decode<T: Decodable>(_ type: T.Type, from value: Value, path: [CodingKey]) throws -> T {
        let where_ = renderPath(value.origin, path)
        if path.count > maxDepth {
            throw ConversionError(path: where_, expected: "\(T.self)", actual: "a value nested more than \(maxDepth) deep")
        }
        if type == Date.self {
            let s = try String(value: value, path: where_)
            guard let d = ISODates.date(s) else {
                throw ConversionError(path: where_, expected: "Date", actual: "str that is not an ISO-8601 date")
            }
            return d as! T   // swiftlint:disable:this force_cast (T is Date)
        }
        if type == Data.self { return try Data(value: value, path: where_) as! T }   // swiftlint:disable:this force_cast
        if type == Value.self { return value.labelled(where_) as! T }    // swiftlint:disable:this force_cast
        if type == URL.self {
            let s = try String(value: value, path: where_)
            guard let u = URL(string: s) else { throw ConversionError(path: where_, expected: "URL", actual: "str that is not a URL") }
            return u as! T   // swiftlint:disable:this force_cast
        }
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let entries = value.mapEntries() else { throw value.mismatch("a keyed container (map)", at: path) }
        var fields: [String: Value] = [:]
        for (k, v) in entries {
            if let s = k.stringContents, fields[s] == nil { fields[s] = v }
        }
        return KeyedDecodingContainer(KeyedDecoding<Key>(fields: fields, order: entries.compactMap { $0.key.stringContents },
                                                         origin: value.origin, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard let items = value.listItems() else { throw value.mismatch("an unkeyed container (list)", at: path) }
        return UnkeyedDecoding(items: items, origin: value.origin, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        SingleValueDecoding(value: value, codingPath: codingPath)
    }
}

/// Integers of every width, range-checked.
private func decodeInteger<I: FixedWidthInteger>(_ value: Value, path: String) throws -> I {
    let n = try Int(value: value, path: path)
    guard let i = I(exactly: n) else {
        throw ConversionError(path: path, expected: "\(I.self)", actual: "int \(n) out of range")
    }
    return i
}

struct SingleValueDecoding: SingleValueDecodingContainer {
    let value: Value
    let codingPath: [CodingKey]
    private var path: String { renderPath(value.origin, codingPath) }

    func decodeNil() -> Bool { value.isNil }
    func decode(_ type: Bool.Type) throws -> Bool { try Bool(value: value, path: path) }
    func decode(_ type: String.Type) throws -> String { try String(value: value, path: path) }
    func decode(_ type: Double.Type) throws -> Double { try Double(value: value, path: path) }
    func decode(_ type: Float.Type) throws -> Float { try Float(value: value, path: path) }
    func decode(_ type: Int.Type) throws -> Int { try Int(value: value, path: path) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeInteger(value, path: path) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeInteger(value, path: path) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeInteger(value, path: path) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeInteger(value, path: path) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeInteger(value, path: path) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeInteger(value, path: path) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeInteger(value, path: path) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeInteger(value, path: path) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeInteger(value, path: path) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ValueDecoder.decode(type, from: value, path: codingPath)
    }
}

struct KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: Value]
    let order: [String]
    let origin: String
    let codingPath: [CodingKey]

    var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

    private func field(_ key: Key) throws -> SingleValueDecoding {
        let path = codingPath + [key]
        guard let v = fields[key.stringValue] else {
            throw ConversionError(path: renderPath(origin, path), expected: "a value", actual: "missing key")
        }
        return SingleValueDecoding(value: v.labelled(origin), codingPath: path)
    }

    func decodeNil(forKey key: Key) throws -> Bool { fields[key.stringValue]?.isNil ?? true }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try field(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try field(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try field(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try field(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try field(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try field(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try field(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try field(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try field(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try field(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try field(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try field(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try field(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try field(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try field(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                               forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let f = try field(key)
        return try ValueDecoder(value: f.value, codingPath: f.codingPath).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        let f = try field(key)
        return try ValueDecoder(value: f.value, codingPath: f.codingPath).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        ValueDecoder(value: (fields["super"] ?? .nil).labelled(origin), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        let f = try field(key)
        return ValueDecoder(value: f.value, codingPath: f.codingPath)
    }
}

struct UnkeyedDecoding: UnkeyedDecodingContainer {
    let items: [Value]
    let origin: String
    let codingPath: [CodingKey]
    var currentIndex = 0

    init(items: [Value], origin: String, codingPath: [CodingKey]) {
        self.items = items; self.origin = origin; self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> SingleValueDecoding {
        let path = codingPath + [IndexKey(currentIndex)]
        guard currentIndex < items.count else {
            throw ConversionError(path: renderPath(origin, path), expected: "a value", actual: "end of list")
        }
        defer { currentIndex += 1 }
        return SingleValueDecoding(value: items[currentIndex].labelled(origin), codingPath: path)
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < items.count, items[currentIndex].isNil else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decode(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let f = try next()
        return try ValueDecoder(value: f.value, codingPath: f.codingPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let f = try next()
        return try ValueDecoder(value: f.value, codingPath: f.codingPath).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder {
        let f = try next()
        return ValueDecoder(value: f.value, codingPath: f.codingPath)
    }
}
