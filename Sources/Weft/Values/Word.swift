// `Word`: the one representation of every Weft value inside the runtime, on the VM
// stack and in containers: one 64-bit word (NaN-boxing, docs/vm.md §2). (The
// embedding API's `Value` is a handle around one, Embedding/.) Floats
// are stored as themselves; everything else lives in the NaN space above
// 0xFFF9 << 48: nil and bools, 48-bit ints, and unretained pointers to heap objects
// (Swift classes kept alive by the collector, Heap/). Copying a value is a
// register move: nothing is retained or released.
import CWeftSupport

struct Word {
    /// The encoded word; see the tag constants below.
    let bits: UInt64

    @inline(__always) init(bits: UInt64) { self.bits = bits }

    // Top 16 bits of each kind; every pattern below `floatLimit` is a float.
    static let floatLimit: UInt64 = 0xFFF9 << 48
    static let specialTag: UInt64 = 0xFFF9
    static let intTag: UInt64 = 0xFFFA
    static let strTag: UInt64 = 0xFFFB
    static let listTag: UInt64 = 0xFFFC
    static let mapTag: UInt64 = 0xFFFD
    static let functionTag: UInt64 = 0xFFFE
    static let objectTag: UInt64 = 0xFFFF
    static let payloadMask: UInt64 = 0x0000_FFFF_FFFF_FFFF
    static let canonicalNaN: UInt64 = 0x7FF8_0000_0000_0000
    /// Ints in -2^47 ..< 2^47 are stored inline.
    static let inlineIntMin = -(1 << 47), inlineIntMax = (1 << 47) - 1

    static let `nil` = Word(bits: 0xFFF9 << 48)
    static let falseValue = Word(bits: 0xFFF9 << 48 | 2)
    static let trueValue = Word(bits: 0xFFF9 << 48 | 3)
    /// The marker stored in a parameter slot whose argument was not passed, so
    /// the function's prologue evaluates the default. Never visible to scripts.
    static let missing = Word(bits: 0xFFF9 << 48 | 1)

    @inline(__always) var tag: UInt64 { bits >> 48 }

    // MARK: Constructors (spelled like the cases of the old enum)

    @inline(__always) static func bool(_ b: Bool) -> Word { b ? trueValue : falseValue }

    @inline(__always) static func int(_ i: Int) -> Word {
        if i >= inlineIntMin && i <= inlineIntMax { return smallInt(i) }
        return handedOff(BigIntBox(i, handingOff: true), tag: objectTag)
    }

    /// An int known to be in the inline range.
    @inline(__always) static func smallInt(_ i: Int) -> Word {
        Word(bits: intTag << 48 | (UInt64(bitPattern: Int64(i)) & payloadMask))
    }

    @inline(__always) static func float(_ d: Double) -> Word {
        let b = d.bitPattern
        return Word(bits: b < floatLimit ? b : canonicalNaN)
    }

    @inline(__always) init(heap o: AnyObject, tag: UInt64) {
        bits = tag << 48 | UInt64(UInt(bitPattern: Unmanaged.passUnretained(o).toOpaque()))
    }

    /// The word for an object made with `handingOff: true`, which gives the heap
    /// the creator's reference instead of releasing it: no atomic operation at all
    /// for a new object, where a release is an atomic decrement. (`passRetained` of
    /// a consumed value is folded with the value's end by the optimizer; if it
    /// were not, a retain and a release would still leave the count right.)
    @inline(__always) static func handedOff(_ o: consuming Obj, tag: UInt64) -> Word {
        Word(bits: tag << 48 | UInt64(UInt(bitPattern: Unmanaged.passRetained(o).toOpaque())))
    }

    @inline(__always) static func str(_ o: StrObj) -> Word { Word(heap: o, tag: strTag) }
    @inline(__always) static func list(_ o: ListObj) -> Word { Word(heap: o, tag: listTag) }
    @inline(__always) static func map(_ o: MapObj) -> Word { Word(heap: o, tag: mapTag) }
    @inline(__always) static func function(_ o: Closure) -> Word { Word(heap: o, tag: functionTag) }
    @inline(__always) static func instance(_ o: Instance) -> Word { Word(heap: o, tag: objectTag) }
    /// Any other heap object. Strings, lists, maps and closures get their own tag
    /// whichever constructor made them, so the tag alone identifies them.
    @inline(__always) static func object(_ o: Obj) -> Word {
        if let s = o as? StrObj { return .str(s) }
        if let l = o as? ListObj { return .list(l) }
        if let m = o as? MapObj { return .map(m) }
        if let c = o as? Closure { return .function(c) }
        return Word(heap: o, tag: objectTag)
    }

    @inline(__always) static func string(_ s: String) -> Word { .str(StrObj(s)) }

    // MARK: Tests and unchecked payloads

    @inline(__always) var isNil: Bool { bits == Word.nil.bits }
    @inline(__always) var isMissing: Bool { bits == Word.missing.bits }
    @inline(__always) var isFloat: Bool { bits < Word.floatLimit }
    @inline(__always) var isSmallInt: Bool { tag == Word.intTag }
    @inline(__always) var isBool: Bool { bits | 1 == Word.trueValue.bits }
    @inline(__always) var isStr: Bool { tag == Word.strTag }
    @inline(__always) var isList: Bool { tag == Word.listTag }
    @inline(__always) var isMap: Bool { tag == Word.mapTag }
    @inline(__always) var isFunction: Bool { tag == Word.functionTag }
    @inline(__always) var isObjectTag: Bool { tag == Word.objectTag }
    /// Any heap reference.
    @inline(__always) var isHeap: Bool { bits >= Word.strTag << 48 }
    var isInt: Bool { isSmallInt || (isObjectTag && objectUnchecked is BigIntBox) }

    /// The inline int (only when `isSmallInt`).
    @inline(__always) var smallIntValue: Int { Int(Int64(bitPattern: bits << 16) >> 16) }
    @inline(__always) var floatValue: Double { Double(bitPattern: bits) }
    /// A float or an inline int as a double (only when one of those).
    @inline(__always) var asDouble: Double { isFloat ? floatValue : Double(smallIntValue) }
    /// Any int, inline or boxed (only when `isInt`).
    @inline(__always) var intValue: Int {
        isSmallInt ? smallIntValue : unsafeDowncast(objectUnchecked, to: BigIntBox.self).value
    }

    /// The address of the heap object (only when `isHeap`).
    @inline(__always) var heapAddress: UnsafeRawPointer {
        UnsafeRawPointer(bitPattern: UInt(bits & Word.payloadMask)).unsafelyUnwrapped
    }
    /// The heap object as a borrowed reference: no retain. Only when `isHeap`.
    @inline(__always) var heapUnchecked: Obj { unsafeBitCast(UInt(bits & Word.payloadMask), to: Obj.self) }
    @inline(__always) var objectUnchecked: Obj { heapUnchecked }
    @inline(__always) var strUnchecked: StrObj { unsafeBitCast(UInt(bits & Word.payloadMask), to: StrObj.self) }
    @inline(__always) var listUnchecked: ListObj { unsafeBitCast(UInt(bits & Word.payloadMask), to: ListObj.self) }
    @inline(__always) var mapUnchecked: MapObj { unsafeBitCast(UInt(bits & Word.payloadMask), to: MapObj.self) }
    @inline(__always) var closureUnchecked: Closure { unsafeBitCast(UInt(bits & Word.payloadMask), to: Closure.self) }
    /// A heap object of a known class (checked by the caller), borrowed.
    @inline(__always) func unchecked<T: AnyObject>(_ type: T.Type) -> T {
        unsafeBitCast(UInt(bits & Word.payloadMask), to: T.self)
    }

    /// Runs `body` with the heap object (of a class the caller has checked)
    /// borrowed for the call: unlike a reference made by `unchecked`, which the
    /// optimizer retains around calls it cannot see into, a guaranteed reference is
    /// never retained or released.
    @inline(__always) func withObject<T: AnyObject, R>(_ type: T.Type, _ body: (T) throws -> R) rethrows -> R {
        try Unmanaged<T>.fromOpaque(heapAddress)._withUnsafeGuaranteedRef(body)
    }

    // MARK: Optional payloads

    @inline(__always) var asBool: Bool? { isBool ? bits == Word.trueValue.bits : nil }
    @inline(__always) var asInt: Int? { isInt ? intValue : nil }
    @inline(__always) var asFloat: Double? { isFloat ? floatValue : nil }
    @inline(__always) var asStr: StrObj? { isStr ? strUnchecked : nil }
    @inline(__always) var asList: ListObj? { isList ? listUnchecked : nil }
    @inline(__always) var asMap: MapObj? { isMap ? mapUnchecked : nil }
    @inline(__always) var asFunction: Closure? { isFunction ? closureUnchecked : nil }
    /// Tested with `is` and then reinterpreted, so no owned reference (and no
    /// retain) is made, unlike with `as?`.
    /// `Instance` is final, so the test compares the object's class pointer (its
    /// first word): no cast, no retain.
    @inline(__always) var isInstance: Bool { isObjectTag && classPointer == ClassPointers.instance }
    /// The class (metadata) pointer of a heap object: its first word (only when `isHeap`).
    @inline(__always) var classPointer: UnsafeRawPointer { heapAddress.load(as: UnsafeRawPointer.self) }
    @inline(__always) var asInstance: Instance? { isInstance ? unchecked(Instance.self) : nil }
    /// The heap object behind a value, if any (for `id`, identity hashing).
    @inline(__always) var heapObject: Obj? { isHeap ? heapUnchecked : nil }
}

/// The shape of a value for pattern matching, with the cases of the old enum:
/// `switch v.unpacked { case .int(let i): ... }`. Boxed and inline ints are both
/// `.int`. Building it retains the payload (harmless, docs/vm.md §4), so hot paths
/// test the word directly instead.
enum Unpacked {
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

extension Word {
    @inline(__always) var unpacked: Unpacked {
        switch tag {
        case Word.intTag: return .int(smallIntValue)
        case Word.strTag: return .str(strUnchecked)
        case Word.listTag: return .list(listUnchecked)
        case Word.mapTag: return .map(mapUnchecked)
        case Word.functionTag: return .function(closureUnchecked)
        case Word.objectTag:
            let o = objectUnchecked
            if let i = o as? Instance { return .instance(i) }
            if let b = o as? BigIntBox { return .int(b.value) }
            return .object(o)
        case Word.specialTag:
            if bits == Word.nil.bits { return .nil }
            if isBool { return .bool(bits == Word.trueValue.bits) }
            return .object(MissingArgument.shared)
        default: return .float(floatValue)
        }
    }

    /// Truthiness (§2): nil, false, 0, 0.0, "", empty bytes/list/map are false.
    @inline(__always) var isTruthy: Bool {
        if bits == Word.trueValue.bits { return true }
        if bits == Word.falseValue.bits || bits == Word.nil.bits { return false }
        switch tag {
        case Word.intTag: return smallIntValue != 0
        case Word.strTag: return strUnchecked.count != 0
        case Word.listTag: return listUnchecked.count != 0
        case Word.mapTag: return mapUnchecked.count != 0
        case Word.functionTag: return true
        case Word.objectTag: return objectUnchecked.isTruthy
        case Word.specialTag: return true
        default: return floatValue != 0
        }
    }

    /// The name `type(x)` prints.
    var typeName: String {
        switch tag {
        case Word.intTag: return "int"
        case Word.strTag: return "str"
        case Word.listTag: return "list"
        case Word.mapTag: return "map"
        case Word.functionTag: return "fn"
        case Word.objectTag: return objectUnchecked.typeName
        case Word.specialTag:
            if isNil { return "nil" }
            return isBool ? "bool" : "missing"
        default: return "float"
        }
    }

    /// Identity (`is`): equal immediates, or the same heap object. Ints compare by
    /// value whether inline or boxed; floats by bit pattern.
    @inline(__always) func isIdentical(to other: Word) -> Bool {
        if bits == other.bits { return true }
        if isObjectTag && other.isObjectTag,
           let a = objectUnchecked as? BigIntBox, let b = other.objectUnchecked as? BigIntBox {
            return a.value == b.value
        }
        return false
    }
}

/// An int outside the inline range, boxed; immutable, so never locked.
final class BigIntBox: Obj {
    let value: Int
    init(_ value: Int, handingOff: Bool = false) {
        self.value = value
        super.init(handingOff: handingOff)
    }
    override var typeName: String { "int" }
    override var isTruthy: Bool { true }
    override var rescannedWhenOld: Bool { false }
}

/// Internal marker object for `unpacked` of `Word.missing`; never visible to scripts.
final class MissingArgument: Obj {
    static let shared = MissingArgument()
    override var typeName: String { "missing" }
}

extension Unpacked {
    /// The value this shape was taken from.
    var packed: Word {
        switch self {
        case .nil: return .nil
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .str(let o): return .str(o)
        case .list(let o): return .list(o)
        case .map(let o): return .map(o)
        case .function(let o): return .function(o)
        case .instance(let o): return .instance(o)
        case .object(let o): return o === MissingArgument.shared ? .missing : .object(o)
        }
    }

    var typeName: String { packed.typeName }
}

/// A reference to a heap object that the owner traces, stored as a plain word so
/// that reading it never retains (an `unowned(unsafe)` property is read as a new
/// strong reference, which the optimizer retains). The collector keeps the object
/// alive; the owner must report it from `trace`.
struct Ref<T: AnyObject> {
    let bits: UInt
    @inline(__always) init(_ o: T) { bits = UInt(bitPattern: Unmanaged.passUnretained(o).toOpaque()) }
    /// The object a word refers to (the caller checked its class), without a cast.
    @inline(__always) init(payloadOf w: Word) { bits = UInt(w.bits & Word.payloadMask) }
    @inline(__always) var object: T { unsafeBitCast(bits, to: T.self) }
    @inline(__always) var address: UnsafeRawPointer { UnsafeRawPointer(bitPattern: bits).unsafelyUnwrapped }
    /// Runs `body` with the object borrowed, never retained (see `Word.withObject`).
    @inline(__always) func with<R>(_ body: (T) throws -> R) rethrows -> R {
        try Unmanaged<T>.fromOpaque(UnsafeRawPointer(bitPattern: bits).unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
    }
}

/// The class pointers of the final object classes the VM tells apart on hot paths
/// (compared with `Word.classPointer`: no cast, no retain).
/// Kept in C globals (weft_support.h says why), filled by the first reader; two
/// threads filling them at once store the same values.
enum ClassPointers {
    @inline(__always) static var instance: UnsafeRawPointer { pointer(0) }
    @inline(__always) static var nativeFn: UnsafeRawPointer { pointer(1) }
    @inline(__always) static var boundMethod: UnsafeRawPointer { pointer(2) }
    @inline(__always) static var classObj: UnsafeRawPointer { pointer(3) }
    @inline(__always) static var module: UnsafeRawPointer { pointer(4) }
    @inline(__always) static var list: UnsafeRawPointer { pointer(5) }
    @inline(__always) static var map: UnsafeRawPointer { pointer(6) }
    @inline(__always) static var str: UnsafeRawPointer { pointer(7) }

    @inline(__always) private static func pointer(_ i: Int32) -> UnsafeRawPointer {
        if let p = weft_class_pointer(i) { return p }
        return fill(i)
    }

    @inline(never) private static func fill(_ i: Int32) -> UnsafeRawPointer {
        let classes: [AnyClass] = [Instance.self, NativeFn.self, BoundMethod.self, ClassObj.self, ModuleObj.self,
                                   ListObj.self, MapObj.self, StrObj.self]
        for (k, c) in classes.enumerated() {
            weft_set_class_pointer(Int32(k), unsafeBitCast(c, to: UnsafeRawPointer.self))
        }
        return weft_class_pointer(i)!
    }
}
