// Strings. A string object keeps its UTF-8 bytes in one of three forms, chosen by
// length, in 24 bytes of the object (`contents`) or behind them:
//
//   up to 15 bytes   Swift's own small `String`, whose two words hold the bytes in
//                    order: inside the object, and `value` is a plain copy;
//   16 to 24 bytes   the bytes themselves, inside the object; `value` makes a
//                    `String` of them when asked;
//   longer           a Swift `String` whose storage object holds the bytes, or a
//                    rope (below).
//
// So the strings programs make by the hundred thousand (keys, words, slices, number
// formatting) take one allocation, the object: k-nucleotide's 18-byte keys took an
// 80-byte object and Swift's 56-byte storage each. Every form lends its bytes in
// place (`withUTF8Bytes`); hashing, equality, order, slicing and joining use only
// that, so they never make a `String`.
import Synchronization
import CWeftSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable sequence of Unicode scalars. `count` (scalars) is kept so `len` is
/// O(1); an all-ASCII string also indexes in O(1).
///
/// `s += piece` on a long string does not copy: it makes a *rope*, a string whose
/// contents are `prefix`'s followed by `suffix`, flattened into one Swift string the
/// first time anything reads `value`. Building a string in a loop is therefore
/// linear, as CPython's in-place append is (which needs a reference count of 1;
/// the collector has no counts to ask).
final class StrObj: Obj {
    /// Whether the string is whole in `contents` (0 for a rope until it is
    /// flattened). A plain byte declared first, so that it fills a byte of the
    /// padding after Obj's lock and mark bytes: a string is 80 bytes, mimalloc's
    /// 80-byte class (an `Atomic<Bool>` there was laid out after the padding). Set in
    /// init, before the string is shared; after that read and written only
    /// atomically through its address (`isFlat`, `publishFlat`). HeapTests checks
    /// the offset.
    @exclusivity(unchecked) var isFlatByte: UInt8
    static let isFlatOffset = 19
    /// Three words holding the string in the form its length picks (see the top of
    /// the file): a `String` in the first two (up to 15 or more than 24 bytes; for a
    /// rope, its suffix) and, for a rope, the prefix's address in the third; or the
    /// bytes themselves (16 to 24). Used only by address (`contentsAddress`), never
    /// by this name after the initializer's zeros, because which type the memory
    /// holds depends on the length.
    @exclusivity(unchecked) private var contents: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// Where `contents` lives in every string: after the 16-byte header and the
    /// lock, mark and flag bytes, padded to 8. HeapTests checks it.
    static let contentsOffset = 24
    /// The longest string kept as bytes in the object.
    static let inlineCapacity = 24
    let count: Int
    /// UTF-8 length (kept so a rope knows its size without flattening).
    let utf8Count: Int
    /// Cached hash (0 = not yet computed); see Operators.swift.
    let hashCache = Atomic<Int>(0)
    /// Where the UTF-8 bytes of a flat string live: in the object for up to 24
    /// bytes (for up to 15, inside the small `String`: see `bytesAreInline`), else
    /// in the storage object of the `String` in `contents`; nil for a rope. Nothing
    /// changes either after init (only a rope's `String` is ever replaced, and a
    /// rope has no base). Set in init, before the string is shared.
    @exclusivity(unchecked) private var utf8Base: UnsafePointer<UInt8>?

    @inline(__always) private var contentsAddress: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(Unmanaged.passUnretained(self).toOpaque()) + StrObj.contentsOffset
    }

    /// The `String` in `contents`; valid only when `holdsString`.
    @inline(__always) private var stringSlot: UnsafeMutablePointer<String> {
        contentsAddress.assumingMemoryBound(to: String.self)
    }

    /// Whether `contents` holds a `String` (not bytes), which a dead string releases.
    @inline(__always) private var holdsString: Bool {
        utf8Count <= 15 || utf8Count > StrObj.inlineCapacity
    }

    /// A rope's first part, by address in the third word of `contents`; nil once
    /// flat. Written under the lock; `isFlat` is published after the `String`
    /// holds the whole string. Read only when `holdsString` (else the word holds
    /// bytes).
    private var prefixAddress: UnsafeRawPointer? {
        get { UnsafeRawPointer(bitPattern: (contentsAddress + 16).load(as: UInt.self)) }
        set { (contentsAddress + 16).storeBytes(of: UInt(bitPattern: newValue), as: UInt.self) }
    }
    private var prefix: StrObj? {
        guard utf8Count > StrObj.inlineCapacity else { return nil }
        return prefixAddress.map { Unmanaged<StrObj>.fromOpaque($0).takeUnretainedValue() }
    }

    /// `isFlatByte`, loaded with acquire: true once the string is whole.
    @inline(__always) private var isFlat: Bool {
        weft_load_byte_acquire(Unmanaged.passUnretained(self).toOpaque() + StrObj.isFlatOffset) != 0
    }
    /// Marks a flattened rope flat, with release: after its `String` holds the whole
    /// string.
    private func publishFlat() {
        weft_store_byte_release(Unmanaged.passUnretained(self).toOpaque() + StrObj.isFlatOffset, 1)
    }

    /// Swift keeps a string of up to 15 UTF-8 bytes inside the `String` value (a
    /// small string); on this platform its bytes come first, in order, so they sit
    /// at `contents`' address in the object. That is checked, not assumed: the
    /// address is used only if the bytes of the value stored are its UTF-8 bytes,
    /// and they stay so because the value never changes. Without it every hash,
    /// comparison or slice of a short string copied the `String` out (a retain and
    /// a release of its bits, which the runtime must inspect: 5% of k-nucleotide).
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

    /// The address of the bytes kept in the object (small or inline forms).
    @inline(__always) private var inlineBytes: UnsafeMutablePointer<UInt8> {
        contentsAddress.assumingMemoryBound(to: UInt8.self)
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
        isFlatByte = 1
        self.count = count
        let n = value.utf8.count
        utf8Count = n
        utf8Base = nil
        if n <= 15 {
            // A short String built by appending may sit in a storage object; a copy
            // made from its bytes is small.
            var small = value
            var inline = StrObj.bytesAreInline(value, utf8Count: n)
            if !inline {
                small = StrObj.copied(value)
                inline = StrObj.bytesAreInline(small, utf8Count: n)
            }
            super.init(handingOff: handingOff)
            stringSlot.initialize(to: small)
            if inline { utf8Base = UnsafePointer(inlineBytes) }
        } else if n <= StrObj.inlineCapacity {
            super.init(handingOff: handingOff)
            var v = value
            v.withUTF8 { inlineBytes.initialize(from: $0.baseAddress!, count: n) }
            utf8Base = UnsafePointer(inlineBytes)
        } else {
            let base = StrObj.storedBase(value)
            super.init(handingOff: handingOff)
            stringSlot.initialize(to: value)
            utf8Base = base
            if n > 64 { Heap.account(n) }
        }
    }

    /// A new String with `s`'s contents (small when it fits).
    private static func copied(_ s: String) -> String {
        var v = s
        return v.withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    /// A string of the ASCII `bytes` (at most 15, the caller checked both), made
    /// without `String(decoding:)`'s validation (about 170 instructions; k-nucleotide
    /// makes 750,000 such slices): Swift's own small-string layout, whose bytes are
    /// then known to sit in this object.
    init(smallASCII bytes: UnsafeBufferPointer<UInt8>, handingOff: Bool = false) {
        isFlatByte = 1
        count = bytes.count
        utf8Count = bytes.count
        utf8Base = nil
        super.init(handingOff: handingOff)
        stringSlot.initialize(to: StrObj.smallASCIIString(bytes))
        utf8Base = UnsafePointer(inlineBytes)
    }

    /// A string of 16 to 24 bytes of valid UTF-8 (`count` scalars; the caller
    /// checked all three), copied into the object.
    private init(inline bytes: UnsafeBufferPointer<UInt8>, count: Int, handingOff: Bool) {
        isFlatByte = 1
        self.count = count
        utf8Count = bytes.count
        utf8Base = nil
        super.init(handingOff: handingOff)
        inlineBytes.initialize(from: bytes.baseAddress!, count: bytes.count)
        utf8Base = UnsafePointer(inlineBytes)
    }

    /// A string of `bytes`, valid UTF-8 holding `count` scalars, in the form its
    /// length picks, without validating them again.
    static func of(utf8 bytes: UnsafeBufferPointer<UInt8>, count: Int, handingOff: Bool = false) -> StrObj {
        let n = bytes.count
        if n <= 15 && count == n { return StrObj(smallASCII: bytes, handingOff: handingOff) }
        if n > 15 && n <= inlineCapacity { return StrObj(inline: bytes, count: count, handingOff: handingOff) }
        return StrObj(String(decoding: bytes, as: UTF8.self), count: count, handingOff: handingOff)
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
        isFlatByte = 0
        utf8Base = nil
        count = prefix.count + suffix.count
        utf8Count = prefix.utf8Count + suffix.utf8Count
        super.init()
        stringSlot.initialize(to: suffix.value)
        prefixAddress = UnsafeRawPointer(Unmanaged.passUnretained(prefix).toOpaque())
        Heap.account(suffix.utf8Count + 64)
    }

    /// `a + b`: a rope when `a` is long, else a flat copy.
    static func concat(_ a: StrObj, _ b: StrObj) -> StrObj {
        if b.count == 0 { return a }
        if a.utf8Count >= ropeThreshold { return StrObj(rope: a, b) }
        return joining(2, check: { _ in }) { $0 == 0 ? a : b }
    }

    /// The contents as a Swift `String` (flattening a rope once; made afresh for a
    /// string of 16 to 24 bytes, so hot paths use `withUTF8Bytes` instead).
    var value: String {
        @inline(__always) get {
            let n = utf8Count
            if n <= 15 { return stringSlot.pointee }
            if n <= StrObj.inlineCapacity { return inlineValue() }
            if isFlat { return stringSlot.pointee }
            return flatten()
        }
    }

    @inline(never) private func inlineValue() -> String {
        String(decoding: UnsafeBufferPointer(start: inlineBytes, count: utf8Count), as: UTF8.self)
    }

    /// Where the UTF-8 bytes of `s` live, if in a storage object, which then lives as
    /// long as the copy of `s` in `contents`: a contiguous string of more than 15
    /// bytes.
    private static func storedBase(_ s: String) -> UnsafePointer<UInt8>? {
        guard s.utf8.count > 15 else { return nil }
        return s.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
    }

    /// Calls `body` with the string's UTF-8 bytes without copying the `String` out
    /// of the object when that would retain its storage: an atomic retain and
    /// release per slice, comparison or hash was a third of a short slice or
    /// dictionary lookup.
    @inline(__always) func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let p = utf8Base { return try body(UnsafeBufferPointer(start: p, count: utf8Count)) }
        var v = value
        return try v.withUTF8(body)
    }

    @inline(never) private func flatten() -> String {
        lockWord.lock(); defer { lockWord.unlock() }
        if isFlat { return stringSlot.pointee }
        // Walk the prefixes iteratively (a loop of `+=` makes a long chain),
        // stopping at the first one that is flat.
        var parts = [stringSlot.pointee]
        var p = prefix
        while let r = p {
            if r.isFlat { parts.append(r.value); break }
            r.lockWord.lock()
            if r.isFlat {
                r.lockWord.unlock()
                parts.append(r.value)
                break
            }
            parts.append(r.stringSlot.pointee)
            p = r.prefix
            r.lockWord.unlock()
        }
        var out = ""
        out.reserveCapacity(utf8Count)
        for piece in parts.reversed() { out += piece }
        stringSlot.pointee = out
        publishFlat()
        prefixAddress = nil
        return out
    }

    /// Runs in the collector's release of a dead string: no reader remains.
    deinit { _ = releaseOwnedStorage() }
    override func releaseOwnedStorage() -> Bool {
        if holdsString { stringSlot.deinitialize(count: 1) }
        return true
    }

    override func trace(_ m: inout Marker) {
        guard utf8Count > StrObj.inlineCapacity else { return }   // all in the object
        // A rope owns its suffix; its prefix counts for itself.
        if let p = prefixAddress {
            m.mark(address: p)
            m.countBytes(stringSlot.pointee.utf8.count)
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

    /// Scalars `lo..<hi` as a new string object (bounds already clamped).
    func substring(_ lo: Int, _ hi: Int, handingOff: Bool = false) -> StrObj {
        if lo >= hi { return StrObj("", count: 0, handingOff: handingOff) }
        if isASCII {
            // Straight from the bytes: no indices, Substring or copy, each retaining
            // and releasing the storage.
            return withUTF8Bytes { StrObj.of(utf8: UnsafeBufferPointer(rebasing: $0[lo..<hi]), count: hi - lo, handingOff: handingOff) }
        }
        let s = value.unicodeScalars
        let a = s.index(s.startIndex, offsetBy: lo), b = s.index(a, offsetBy: hi - lo)
        return StrObj(String(String.UnicodeScalarView(s[a..<b])), count: hi - lo, handingOff: handingOff)
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
    /// Calls `body` with the decimal digits of `i` (and its sign), written into a
    /// buffer on the stack: 20 bytes at most, so the string always fits in the
    /// object. `str(i)`, interpolation and printing of ints made a Swift String
    /// through the generic `description` first (about 150 instructions an int).
    @inline(__always) static func withDecimal<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw in
            let p = raw.bindMemory(to: UInt8.self)
            var at = p.count
            var m = i.magnitude
            repeat {
                at -= 1
                p[at] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
            } while m != 0
            if i < 0 { at -= 1; p[at] = 0x2D }
            return body(UnsafeBufferPointer(rebasing: p[at...]))
        }
    }

    /// `str(i)` for an int: its decimal digits as a new string.
    static func decimal(_ i: Int) -> StrObj {
        withDecimal(i) { StrObj.of(utf8: $0, count: $0.count) }
    }

    /// The decimal digits of `i` as a Swift String (small, so no allocation, up to
    /// 15 characters).
    static func decimalString(_ i: Int) -> String {
        withDecimal(i) { $0.count <= 15 ? smallASCIIString($0) : String(decoding: $0, as: UTF8.self) }
    }
}

extension StrObj {
    /// `n` strings one after another, with `separator` between them, as one new
    /// string. The bytes are counted first (`check` sees the total before anything
    /// is built) and copied into a string of that size: appending each piece to a
    /// Swift String cost over a hundred instructions a piece, and retained it. A
    /// result that fits in the object is assembled on the stack and never becomes a
    /// `String` of its own.
    static func joining(_ n: Int, separator: StrObj? = nil, check: (Int) throws -> Void,
                        piece: (Int) -> StrObj) rethrows -> StrObj {
        var bytes = 0, count = 0
        for i in 0..<n { let p = piece(i); bytes += p.utf8Count; count += p.count }
        if let sep = separator, n > 1 { bytes += sep.utf8Count * (n - 1); count += sep.count * (n - 1) }
        try check(bytes)
        func fill(_ out: UnsafeMutableBufferPointer<UInt8>) -> Int {
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
        if bytes <= inlineCapacity {
            var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
            return withUnsafeMutableBytes(of: &buffer) { raw in
                let out = raw.bindMemory(to: UInt8.self)
                let used = fill(out)
                return StrObj.of(utf8: UnsafeBufferPointer(rebasing: out[..<used]), count: count)
            }
        }
        return StrObj(String(unsafeUninitializedCapacity: bytes, initializingUTF8With: fill), count: count)
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

/// Code-point order of two string objects, on their bytes in place.
func strLess(_ a: StrObj, _ b: StrObj) -> Bool {
    a.withUTF8Bytes { p in
        b.withUTF8Bytes { q in
            let common = min(p.count, q.count)
            let c = common == 0 ? 0 : memcmp(p.baseAddress!, q.baseAddress!, common)
            return c < 0 || (c == 0 && p.count < q.count)
        }
    }
}
