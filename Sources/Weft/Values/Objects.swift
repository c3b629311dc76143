// Heap objects. Every heap value derives from `Obj`, which carries the one-byte
// lock that makes single operations on shared mutable objects atomic (see
// Runtime/SpinLock.swift). Immutable objects (strings, ranges, functions) never
// take it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import CWeftSupport

class Obj {
    /// First, so it sits right after the object header (offset 16, which
    /// Scripts/check_release_fence.sh looks for).
    let lockWord = SpinWord()
    /// The collector's mark (Heap/Marker.swift); only the collector touches it. It
    /// follows the one-byte lock, where the collector reads and writes it by address
    /// (`Heap.markOffset`) without forming a class reference (which the optimizer
    /// would retain and release per object).
    @exclusivity(unchecked) final var gcMark: UInt8 = 0
    /// Set while the object is in a thread's remembered list (Heap/Generations.swift),
    /// at `Heap.rememberedOffset`, right after the mark.
    @exclusivity(unchecked) final var gcRemembered: UInt8 = 0

    /// Every heap object is registered with the collector, which owns it from now on.
    /// With `handingOff`, the heap takes no reference of its own: the creator must
    /// give it its reference at once with `Word.handedOff` (docs/vm.md §3).
    init(handingOff: Bool = false) { Heap.register(self, retaining: !handingOff) }

    /// Reports the values and objects this object refers to (the collector's mark
    /// phase). Every subclass that stores a value or a heap object overrides it.
    func trace(_ m: inout Marker) {}

    /// Frees what a dead object owns outside its own memory and returns true when
    /// that was everything its deinit would do (no stored property holds a Swift
    /// reference that needs releasing): the sweep then frees the object's memory
    /// directly instead of through Swift's release (Heap.sweep). Returns false,
    /// having freed nothing, for the deinit to run. Called once, by the sweep, on an
    /// object no thread can reach.
    func releaseOwnedStorage() -> Bool { false }

    /// Whether an old object of this class must be traced by every minor collection
    /// because what it refers to can change without the write barrier
    /// (Heap/Generations.swift). Classes that call `Heap.noteStore` on every store,
    /// and those whose references never change after their initializer, say no.
    var rescannedWhenOld: Bool { true }

    /// The name `type(x)` prints for this object.
    var typeName: String { "object" }
    var isTruthy: Bool { true }

    /// A native method of this object (runtime objects override this).
    func method(_ sym: Int32) -> NativeFn? { nil }

    /// The names of this object's native methods and readable attributes, for REPL
    /// completion (`q.` lists a queue's methods). Runtime objects override this.
    func methodNames() -> [String] { [] }

    /// A readable attribute other than a method (`t.name`, `b.parties`), or nil.
    func attribute(_ sym: Int32, vm: VM) throws -> Word? { nil }

    /// Sets an attribute; false when the object has no such settable attribute.
    func setAttribute(_ sym: Int32, _ value: Word, vm: VM) throws -> Bool { false }

    /// An iterator over this object for `for x in obj`, or nil when not iterable.
    func makeIterator(_ vm: VM) throws -> IteratorObj? { nil }

    /// Runs `body` holding this object's lock while several threads exist.
    /// The body must not run script code or block (ObjectLockCheck asserts it).
    @inline(__always) final func locked<R>(_ body: () throws -> R) rethrows -> R {
        ObjectLockCheck.entering(); defer { ObjectLockCheck.leaving() }
        if Runtime.isMultithreaded {
            lockWord.lock(); defer { lockWord.unlock() }
            return try body()
        }
        return try body()
    }
}

// MARK: - Strings

/// An immutable sequence of Unicode scalars. `count` (scalars) is kept so `len` is
/// O(1); an all-ASCII string also indexes in O(1).
///
/// `s += piece` on a long string does not copy: it makes a *rope*, a string whose
/// contents are `prefix`'s followed by `suffix`, flattened into one Swift string the
/// first time anything reads `value`. Building a string in a loop is therefore
/// linear, as CPython's in-place append is (which needs a reference count of 1;
/// the collector has no counts to ask).
final class StrObj: Obj {
    /// Whether `flat` holds the whole string (0 for a rope until it is flattened). A
    /// plain byte declared first, so that it fills a byte of the padding after Obj's
    /// lock and mark bytes: a string is 80 bytes, mimalloc's 80-byte class, instead
    /// of 88 in the 96-byte class (an `Atomic<Bool>` there was laid out after the
    /// padding). Set in init, before the string is shared; after that read and
    /// written only atomically through its address (`isFlat`, `publishFlat`).
    /// HeapTests checks the offset.
    @exclusivity(unchecked) var isFlatByte: UInt8
    static let isFlatOffset = 19
    /// The contents once flat; for a rope, only `suffix` (see `prefix`).
    @exclusivity(unchecked) private var flat: String
    /// A rope's first part; nil once flat. Written under the lock; `isFlat` is
    /// published after `flat` holds the whole string.
    /// (An address, not a `Ref?`: that optional takes 9 bytes, 16 with padding.)
    @exclusivity(unchecked) private var prefixAddress: UnsafeRawPointer?
    private var prefix: StrObj? { prefixAddress.map { Unmanaged<StrObj>.fromOpaque($0).takeUnretainedValue() } }
    /// `isFlatByte`, loaded with acquire: true once `flat` holds the whole string.
    @inline(__always) private var isFlat: Bool {
        weft_load_byte_acquire(Unmanaged.passUnretained(self).toOpaque() + StrObj.isFlatOffset) != 0
    }
    /// Marks a flattened rope flat, with release: after `flat` holds the whole string.
    private func publishFlat() {
        weft_store_byte_release(Unmanaged.passUnretained(self).toOpaque() + StrObj.isFlatOffset, 1)
    }
    let count: Int
    /// UTF-8 length (kept so a rope knows its size without flattening).
    let utf8Count: Int
    /// Cached hash (0 = not yet computed); see Operators.swift.
    let hashCache = Atomic<Int>(0)
    /// Where the UTF-8 bytes of a flat string live: for more than 15 bytes, in the
    /// storage object `flat` holds; for fewer, usually inside `flat` itself, in this
    /// object (`inlineBytes`). Nothing mutates either (only a rope's `flat` is ever
    /// replaced, and ropes have no base). Set in init, before the string is shared.
    @exclusivity(unchecked) private var utf8Base: UnsafePointer<UInt8>?

    /// Where `flat` lives in every string object: after the 16-byte header and the
    /// lock and mark bytes, padded to 8.
    private static var flatOffset: Int { 24 }

    /// Swift keeps a string of up to 15 UTF-8 bytes inside the `String` value (a
    /// small string); on this platform its bytes come first, in order, so they sit
    /// at `flat`'s address in the object. That is checked, not assumed: the address
    /// is used only if the bytes of the value stored in `flat` are its UTF-8 bytes,
    /// and they stay so because `flat` never changes. Without it every hash,
    /// comparison or slice of a short string copied `flat` out (a retain and a
    /// release of its bits, which the runtime must inspect: 5% of k-nucleotide).
    /// The check reads the value's bits before the object exists: reading them
    /// through the new object made the optimizer retain and release it around the
    /// comparison (two atomic operations per short string).
    private static func bytesAreInline(_ value: String, utf8Count n: Int) -> Bool {
        guard n <= 15 else { return false }
        var bits = unsafeBitCast(value, to: (UInt64, UInt64).self)
        var copy = value
        return copy.withUTF8 { b in
            b.count == n && (n == 0 || withUnsafeBytes(of: &bits) { memcmp($0.baseAddress!, b.baseAddress!, n) == 0 })
        }
    }

    /// The address of `flat`'s bytes in this object (see `bytesAreInline`).
    @inline(__always) private var inlineBytes: UnsafePointer<UInt8> {
        (UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()) + StrObj.flatOffset)
            .assumingMemoryBound(to: UInt8.self)
    }

    /// Ropes are made only past this many bytes; shorter strings are copied.
    static let ropeThreshold = 256

    convenience init(_ value: String) {
        // Scalars = UTF-8 bytes that are not continuation bytes (10xxxxxx).
        var v = value
        let n = v.withUTF8 { bytes in
            var n = 0
            for b in bytes where b & 0xC0 != 0x80 { n += 1 }
            return n
        }
        self.init(value, count: n)
    }

    init(_ value: String, count: Int, handingOff: Bool = false) {
        flat = value
        isFlatByte = 1
        self.count = count
        let n = value.utf8.count
        utf8Count = n
        utf8Base = StrObj.storedBase(value)
        let inline = StrObj.bytesAreInline(value, utf8Count: n)
        super.init(handingOff: handingOff)
        if inline { utf8Base = inlineBytes }
        if utf8Count > 64 { Heap.account(utf8Count) }
    }

    /// A string of the ASCII `bytes` (at most 15, the caller checked both), made
    /// without `String(decoding:)`'s validation (about 170 instructions; k-nucleotide
    /// makes 750,000 such slices): Swift's own small-string layout, whose bytes are
    /// then known to sit in this object.
    init(smallASCII bytes: UnsafeBufferPointer<UInt8>, handingOff: Bool = false) {
        flat = StrObj.smallASCIIString(bytes)
        isFlatByte = 1
        count = bytes.count
        utf8Count = bytes.count
        utf8Base = nil
        super.init(handingOff: handingOff)
        utf8Base = inlineBytes
    }

    /// A small string as Swift lays one out on 64-bit platforms: the UTF-8 bytes in
    /// order in the value's two words, and in the top byte of the second the flags
    /// of an ASCII small string (0xE0) with the count. `String(decoding:)` makes the
    /// same bits for ASCII input; HeapTests checks that they are equal, for every
    /// length, against it.
    @inline(__always) static func smallASCIIString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var words: (UInt64, UInt64) = (0, UInt64(0xE0 | bytes.count) << 56)
        if let source = bytes.baseAddress {     // (an empty buffer may have none)
            withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
        }
        return unsafeBitCast(words, to: String.self)
    }

    private init(rope prefix: StrObj, _ suffix: StrObj) {
        flat = suffix.value
        isFlatByte = 0
        prefixAddress = UnsafeRawPointer(Unmanaged.passUnretained(prefix).toOpaque())
        utf8Base = nil
        count = prefix.count + suffix.count
        utf8Count = prefix.utf8Count + suffix.utf8Count
        super.init()
        Heap.account(suffix.utf8Count + 64)
    }

    /// `a + b`: a rope when `a` is long, else a flat copy.
    static func concat(_ a: StrObj, _ b: StrObj) -> StrObj {
        if b.count == 0 { return a }
        if a.utf8Count >= ropeThreshold { return StrObj(rope: a, b) }
        return joining(2, check: { _ in }) { $0 == 0 ? a : b }
    }

    /// The contents (flattening a rope once).
    var value: String {
        @inline(__always) get {
            if isFlat { return flat }
            return flatten()
        }
    }

    /// Where the UTF-8 bytes of `s` (just stored in `flat`) live, if in a storage
    /// object, which then lives as long as `flat`: a contiguous string of more than
    /// 15 bytes. (A smaller one may be stored inline in the `String` value, and is
    /// then lent as a temporary copy.)
    private static func storedBase(_ s: String) -> UnsafePointer<UInt8>? {
        guard s.utf8.count > 15 else { return nil }
        return s.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
    }

    /// Calls `body` with the string's UTF-8 bytes without copying the `String` out
    /// of the object when that would retain its storage: an atomic retain and
    /// release per slice, comparison or hash was a third of a short slice or
    /// dictionary lookup. (Calling `withUTF8` on `flat` in place would avoid it
    /// too, but it is a mutating access, a race for ThreadSanitizer.)
    @inline(__always) func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let p = utf8Base { return try body(UnsafeBufferPointer(start: p, count: utf8Count)) }
        var v = value
        return try v.withUTF8(body)
    }

    @inline(never) private func flatten() -> String {
        lockWord.lock(); defer { lockWord.unlock() }
        if isFlat { return flat }
        // Walk the prefixes iteratively (a loop of `+=` makes a long chain),
        // stopping at the first one that is flat.
        var parts = [flat]
        var p = prefix
        while let r = p {
            if r.isFlat { parts.append(r.flat); break }
            r.lockWord.lock()
            if r.isFlat {
                r.lockWord.unlock()
                parts.append(r.flat)
                break
            }
            parts.append(r.flat)
            p = r.prefix
            r.lockWord.unlock()
        }
        var out = ""
        out.reserveCapacity(utf8Count)
        for piece in parts.reversed() { out += piece }
        flat = out
        publishFlat()
        prefixAddress = nil
        return out
    }

    override func trace(_ m: inout Marker) {
        // A rope owns its suffix (`flat`); its prefix counts for itself.
        if let p = prefixAddress {
            m.mark(address: p)
            m.countBytes(flat.utf8.count)
        } else {
            m.countBytes(utf8Count)
        }
    }

    override var typeName: String { "str" }
    override var rescannedWhenOld: Bool { false }   // its prefix is set once
    override var isTruthy: Bool { count != 0 }

    @inline(__always) var isASCII: Bool { count == utf8Count }

    /// The scalar at `i` (0 <= i < count).
    func scalar(at i: Int) -> Unicode.Scalar {
        if isASCII { return Unicode.Scalar(withUTF8Bytes { $0[i] }) }
        let s = value.unicodeScalars
        return s[s.index(s.startIndex, offsetBy: i)]
    }

    /// Scalars `lo..<hi` as a new string (bounds already clamped).
    func substring(_ lo: Int, _ hi: Int) -> String {
        if lo >= hi { return "" }
        if isASCII {
            // Straight from the bytes: one String made (a small one, with no
            // allocation, up to 15 bytes) instead of indices, a Substring and a copy,
            // each retaining and releasing the storage.
            return withUTF8Bytes { String(decoding: UnsafeBufferPointer(rebasing: $0[lo..<hi]), as: UTF8.self) }
        }
        let s = value.unicodeScalars
        let a = s.index(s.startIndex, offsetBy: lo), b = s.index(a, offsetBy: hi - lo)
        return String(String.UnicodeScalarView(s[a..<b]))
    }
}

extension StrObj {
    /// The one-character strings of the code points below 128, made once and shared
    /// (as CPython shares its one-character strings): indexing, one-character
    /// slices and iteration of ASCII text allocate nothing. Strings are immutable,
    /// so sharing is invisible except to `is`.
    private static let asciiChars: UnsafeMutablePointer<Word> = {
        let table = UnsafeMutablePointer<Word>.allocate(capacity: 128)
        for b in 0..<128 {
            let s = StrObj(String(Unicode.Scalar(UInt8(b))), count: 1)
            Heap.pin(s)
            (table + b).initialize(to: .str(s))
        }
        return table
    }()

    /// The string of the one code point `u`.
    static func char(_ u: Unicode.Scalar) -> Word {
        u.value < 128 ? sharedChars[Int(u.value)] : .str(StrObj(String(Character(u)), count: 1))
    }

    /// `asciiChars`, kept in a C global (weft_support.h, `weft_tables`): reading
    /// the `static let` paid a swift_once per character.
    @inline(__always) private static var sharedChars: UnsafePointer<Word> {
        if let p = weft_table(3) { return p.assumingMemoryBound(to: Word.self) }
        weft_set_table(3, UnsafeRawPointer(asciiChars))
        return UnsafePointer(asciiChars)
    }
}

extension StrObj {
    /// `n` strings one after another, with `separator` between them, as one new
    /// string. The bytes are counted first (`check` sees the total before anything
    /// is built) and copied into a string of that size: appending each piece to a
    /// Swift String cost over a hundred instructions a piece, and retained it.
    static func joining(_ n: Int, separator: StrObj? = nil, check: (Int) throws -> Void,
                        piece: (Int) -> StrObj) rethrows -> StrObj {
        var bytes = 0, count = 0
        for i in 0..<n { let p = piece(i); bytes += p.utf8Count; count += p.count }
        if let sep = separator, n > 1 { bytes += sep.utf8Count * (n - 1); count += sep.count * (n - 1) }
        try check(bytes)
        let text = String(unsafeUninitializedCapacity: bytes) { out in
            var at = 0
            func copy(_ s: StrObj) {
                s.withUTF8Bytes { src in
                    if let base = src.baseAddress, let dst = out.baseAddress {
                        (dst + at).initialize(from: base, count: src.count)
                    }
                    at += src.count
                }
            }
            for i in 0..<n {
                if i > 0, let sep = separator { copy(sep) }
                copy(piece(i))
            }
            return at
        }
        return StrObj(text, count: count)
    }
}

/// Scalar-wise string equality (Swift's `==` uses canonical equivalence; Weft,
/// like Python, compares code points).
/// Equality of two words known to be strings, borrowing both objects (no retain).
@inline(__always) func strEqual(_ a: Word, _ b: Word) -> Bool {
    if a.bits == b.bits { return true }
    return a.withObject(StrObj.self) { x in b.withObject(StrObj.self) { y in strEqual(x, y) } }
}

@inline(__always) func strEqual(_ a: StrObj, _ b: StrObj) -> Bool {
    if a === b { return true }
    if a.utf8Count != b.utf8Count { return false }
    if a.utf8Count == 0 { return true }
    return a.withUTF8Bytes { p in b.withUTF8Bytes { q in memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0 } }
}

/// Code-point order (UTF-8 byte order is code-point order).
func strLess(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

// MARK: - Bytes

final class BytesObj: Obj {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        super.init()
        if bytes.count > 64 { Heap.account(bytes.count) }
    }
    override func trace(_ m: inout Marker) { m.countBytes(bytes.count) }
    override var typeName: String { "bytes" }
    override var rescannedWhenOld: Bool { false }
    override var isTruthy: Bool { !bytes.isEmpty }
}

// MARK: - Lists

// ListObj: Values/ListObj.swift

// MARK: - Ranges

/// `a..<b`, `a...b`, `range(a, b, step)`: lazy, immutable, indexable.
final class RangeObj: Obj {
    let start: Int, end: Int, step: Int     // end is exclusive
    let inclusive: Bool                     // only for printing `a...b`

    init(start: Int, end: Int, step: Int, inclusive: Bool = false) {
        self.start = start; self.end = end; self.step = step; self.inclusive = inclusive
    }

    override var typeName: String { "range" }
    override var rescannedWhenOld: Bool { false }
    override var isTruthy: Bool { count > 0 }

    /// The element count, in unsigned arithmetic so no bounds overflow it; ranges
    /// are only created when it fits an Int (`Conversions.makeRange`).
    static func count(start: Int, end: Int, step: Int) -> UInt {
        let dist: UInt
        if step > 0 {
            guard start < end else { return 0 }
            dist = UInt(bitPattern: end &- start)
        } else {
            guard start > end else { return 0 }
            dist = UInt(bitPattern: start &- end)
        }
        return (dist - 1) / step.magnitude + 1
    }

    var count: Int { Int(truncatingIfNeeded: RangeObj.count(start: start, end: end, step: step)) }

    /// Element `i` (0 <= i < count): in range, so the wrapping arithmetic is exact.
    func element(_ i: Int) -> Int { start &+ i &* step }

    func contains(_ n: Int) -> Bool {
        let dist: UInt
        if step > 0 {
            guard n >= start && n < end else { return false }
            dist = UInt(bitPattern: n &- start)
        } else {
            guard n <= start && n > end else { return false }
            dist = UInt(bitPattern: start &- n)
        }
        return dist % step.magnitude == 0
    }
}

// MARK: - Variables shared by closures

/// A captured variable: closures capture by reference, so a variable that an inner
/// function captures and that is assigned after its declaration lives in a Cell.
final class Cell: Obj {
    @exclusivity(unchecked) private var stored: Word
    init(_ v: Word) { stored = v }

    override var typeName: String { "cell" }
    override func trace(_ m: inout Marker) { m.mark(stored) }
    override var rescannedWhenOld: Bool { false }

    @inline(__always) var value: Word {
        get { locked { stored } }
        set {
            locked { stored = newValue }
            Heap.noteStore(into: self, newValue)
        }
    }
}

// MARK: - Functions

typealias NativeBody = (_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word

/// A named native function of a builtin table. A struct rather than a
/// `(String, NativeBody)` tuple: an array keeps a tuple's closure at the generic
/// element's most abstract calling convention, so every call of a function taken out
/// of it went through reabstraction thunks and retained and released a thunk
/// context (6-8% of k_nucleotide); a struct field keeps the closure as it is.
struct NativeEntry {
    let name: String
    let body: NativeBody
    init(_ name: String, _ body: @escaping NativeBody) { self.name = name; self.body = body }
}

/// A function implemented in Swift: builtins, methods of builtin types, host functions.
final class NativeFn: Obj {
    let name: String
    let body: NativeBody

    /// Native functions are created once per table or module and never freed.
    init(_ name: String, _ body: @escaping NativeBody) {
        self.name = name; self.body = body
        super.init()
        Heap.pin(self)
    }

    override var typeName: String { "fn" }
}

/// `obj.method` read as a value: the receiver plus a Closure or NativeFn.
final class BoundMethod: Obj {
    @exclusivity(unchecked) private(set) var receiver: Word    // var: released by deinit
    @exclusivity(unchecked) private(set) var method: Word
    init(receiver: Word, method: Word) { self.receiver = receiver; self.method = method }
    override func trace(_ m: inout Marker) { m.mark(receiver); m.mark(method) }
    override var rescannedWhenOld: Bool { false }   // both are set once

    override var typeName: String { "fn" }
}

// MARK: - Classes and instances

/// A class: user-defined, an error kind, or a builtin type object (`int`, `str`...).
final class ClassObj: Obj {
    let name: String
    unowned(unsafe) let superclass: ClassObj?
    /// `superclass`'s address, or nil: what `isSubclass` walks (reading the
    /// `unowned(unsafe)` optional made a strong reference, retained per step).
    private let superclassAddress: UnsafeRawPointer?
    /// Methods by symbol, inherited ones copied in at creation; fixed afterwards.
    let methods: [Int32: Word]
    /// Class attributes (`let`/`var` in the class body), readable through instances.
    @exclusivity(unchecked) var attrs: [Int32: Word]
    let isBuiltin: Bool
    /// For builtin type objects: what calling the type does (`int("3")`).
    var constructor: NativeFn?
    /// Builtin classes scripts may extend (Error's kinds always; Thread).
    var isSubclassable = false
    /// Creates the native state of a builtin base class for a new instance (Thread).
    var makeNative: ((Instance, VM) -> Obj)?
    /// The slot of each field name its instances use (Values/Instance.swift).
    let layout = FieldLayout()
    /// Set (before the slot is published) once an instance of this class gets a
    /// field named like one of its methods: until then a method call need not look
    /// for a field shadowing the method, which is a scan of every slot.
    private let fieldNamedLikeMethod = Atomic<Bool>(false)
    @inline(__always) var mayHaveFieldNamedLikeMethod: Bool { fieldNamedLikeMethod.load(ordering: .acquiring) }

    /// The slot of field `sym`, adding one if needed (Instance.setFieldUnlocked).
    @inline(__always) func fieldSlotAdding(_ sym: Int32, hint: UnsafeMutablePointer<UInt8>?) -> Int {
        let existing = hint.map { layout.slot(of: sym, hint: $0) } ?? layout.slot(of: sym)
        if let s = existing { return s }
        // A new slot (unless another thread adds it first): note a method it shadows.
        if findMethodSlot(sym) != nil { fieldNamedLikeMethod.store(true, ordering: .releasing) }
        return layout.slotAdding(sym)
    }

    init(name: String, superclass: ClassObj?, methods: [Int32: Word],
         attrs: [Int32: Word] = [:], isBuiltin: Bool = false) {
        self.name = name; self.superclass = superclass
        superclassAddress = superclass.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) }
        var all = superclass?.methods ?? [:]
        for (k, v) in methods { all[k] = v }
        self.methods = all
        self.attrs = attrs
        self.isBuiltin = isBuiltin
        var size = 4
        while size < all.count * 2 { size <<= 1 }
        var keys = [Int32](repeating: -1, count: size), values = [Word](repeating: .nil, count: size)
        for (k, v) in all {
            var i = Int(k) & (size - 1)
            while keys[i] >= 0 { i = (i + 1) & (size - 1) }
            keys[i] = k; values[i] = v
        }
        methodKeys = .allocate(capacity: size)
        methodKeys.initialize(from: keys, count: size)
        methodValues = .allocate(capacity: size)
        methodValues.initialize(from: values, count: size)
        methodMask = size - 1
        super.init()
        if isBuiltin { Heap.pin(self) }
    }

    // An open-addressed copy of `methods` for the VM's method calls, in raw
    // buffers so a lookup neither bounds-checks nor retains.
    private let methodKeys: UnsafeMutablePointer<Int32>
    private let methodValues: UnsafeMutablePointer<Word>
    private let methodMask: Int

    deinit {
        layout.free()
        methodValues.deinitialize(count: methodMask + 1)
        methodValues.deallocate()
        methodKeys.deallocate()
    }

    /// Where method `sym` (own or inherited) is stored, or nil.
    @inline(__always) func findMethodSlot(_ sym: Int32) -> UnsafeMutablePointer<Word>? {
        var i = Int(sym) & methodMask
        while true {
            let k = methodKeys[i]
            if k == sym { return methodValues + i }
            if k < 0 { return nil }
            i = (i + 1) & methodMask
        }
    }

    /// The method `sym` (own or inherited), or nil.
    @inline(__always) func findMethod(_ sym: Int32) -> Word? {
        findMethodSlot(sym)?.pointee
    }

    override var typeName: String { "class" }
    override func trace(_ m: inout Marker) {
        m.mark(superclass)
        m.mark(all: methods.values)
        m.mark(all: attrs.values)
        m.mark(constructor)
    }

    /// Walks the superclass chain by address (no reference counting: `instantiate`
    /// asks this for every new instance).
    func isSubclass(of other: ClassObj) -> Bool {
        let target = UnsafeRawPointer(Unmanaged.passUnretained(other).toOpaque())
        var c: UnsafeRawPointer? = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        while let k = c {
            if k == target { return true }
            c = Unmanaged<ClassObj>.fromOpaque(k)._withUnsafeGuaranteedRef { $0.superclassAddress }
        }
        return false
    }

    /// A class attribute, searched up the inheritance chain.
    func attr(_ sym: Int32) -> Word? {
        var c: ClassObj? = self
        while let k = c {
            if let v = k.locked({ k.attrs[sym] }) { return v }
            c = k.superclass
        }
        return nil
    }
}

// Instance: Values/Instance.swift

// MARK: - Modules

/// A module: an imported script's globals, or a builtin module (math, json...).
final class ModuleObj: Obj {
    let name: String
    let globals: GlobalTable
    init(name: String, globals: GlobalTable) { self.name = name; self.globals = globals }
    override var typeName: String { "module" }
    override func trace(_ m: inout Marker) { m.mark(globals) }
}

/// A module's global variables, resolved to indices at compile time.
/// Unset globals hold `Word.missing` and raise NameError when read. The values are
/// a list's block (Values/ListObj.swift), so the VM reads a global without a lock.
final class GlobalTable: Obj {
    /// The values by slot; written under this table's lock.
    let slots = ListObj()
    @exclusivity(unchecked) var names: [String] = []
    @exclusivity(unchecked) var constant: [Bool] = []
    @exclusivity(unchecked) var index: [String: Int] = [:]
    /// Slots by attribute symbol, filled as `module.name` is read (slots never move).
    /// Global slots by attribute symbol, filled as `module.name` is first read: a
    /// block indexed by symbol (symbols are small dense ints) holding slot + 1 (0 or a
    /// nil word: not looked up yet), replaced when it grows, so reads take no lock.
    private let slotsBySymbol = Atomic<Int>(WordBlock.empty.address)

    deinit { WordBlock(address: slotsBySymbol.load(ordering: .relaxed)).free() }

    override func trace(_ m: inout Marker) { m.mark(slots) }

    /// The values, for listing (REPL completion, pinning builtin tables).
    var values: [Word] { slots.copyItems }

    /// `module.name`: found by symbol, without hashing the name's string after the
    /// first time.
    @inline(__always) func lookup(symbol sym: Int32) -> Word? {
        let b = WordBlock(address: slotsBySymbol.load(ordering: .acquiring))
        let s = Int(sym)
        if s >= 0 && s < b.capacity {
            let entry = b.load(s).bits
            if entry > 0 && entry <= UInt64(Int32.max) {
                let v = get(Int(entry) - 1)
                return v.isMissing ? nil : v
            }
        }
        return lookupFirst(symbol: sym)
    }

    /// The first lookup of `sym`: by name, then remembered in `slotsBySymbol`.
    private func lookupFirst(symbol sym: Int32) -> Word? {
        guard sym >= 0 else { return nil }
        let slot: Int? = locked {
            guard let i = index[Symbols.name(sym)] else { return nil }
            var b = WordBlock(address: slotsBySymbol.load(ordering: .acquiring))
            if Int(sym) >= b.capacity {
                let bigger = b.grown(to: max(64, Int(sym) * 2), keeping: b.capacity)
                slotsBySymbol.store(bigger.address, ordering: .releasing)
                Heap.retire(b)
                b = bigger
            }
            b.store(Int(sym), Word(bits: UInt64(i + 1)))
            return i
        }
        guard let i = slot else { return nil }
        let v = get(i)
        return v.isMissing ? nil : v
    }

    /// The slot of `name`, created (unset) if new.
    func slot(for name: String) -> Int {
        locked {
            if let i = index[name] { return i }
            let i = slots.count
            slots.appendUnlocked(.missing); names.append(name); constant.append(false)
            index[name] = i
            return i
        }
    }

    func lookup(_ name: String) -> Word? {
        locked {
            guard let i = index[name] else { return nil }
            let v = get(i)
            return v.isMissing ? nil : v
        }
    }

    func set(_ name: String, _ v: Word) {
        let i = slot(for: name)
        put(i, v)
    }

    /// Global `i` (no lock: a list read, rule C4).
    @inline(__always) func get(_ i: Int) -> Word {
        Ref(slots).with { $0.get(i) } ?? .missing
    }
    @inline(__always) func put(_ i: Int, _ v: Word) { locked { slots.setUnlocked(i, v) } }
}

// MARK: - Symbols

/// Interned attribute, method and parameter names. Names are interned when code is
/// compiled and when native method tables are built, so the VM compares Int32s.
enum Symbols {
    private static let lock = PosixLock()
    nonisolated(unsafe) private static var ids: [String: Int32] = [:]
    nonisolated(unsafe) private static var names: [String] = []

    static func intern(_ s: String) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if let id = ids[s] { return id }
        let id = Int32(names.count)
        names.append(s); ids[s] = id
        return id
    }

    static func name(_ id: Int32) -> String {
        lock.lock(); defer { lock.unlock() }
        return names[Int(id)]
    }

    static let initSym = intern("init")
    static let toStr = intern("to_str")
    static let eq = intern("eq")
    static let hash = intern("hash")
    static let enter = intern("enter")
    static let exit = intern("exit")
    static let message = intern("message")
    static let trace = intern("trace")
    static let name = intern("name")
    static let run = intern("run")
}
