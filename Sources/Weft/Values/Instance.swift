// Instances of script classes, and the field layout their class keeps.
//
// A class gives every field name its instances use a slot, in the order the names
// were first set (`FieldLayout`); an instance keeps its fields' values by slot in a
// collector-owned block (Heap/WordBlock.swift), with `Word.missing` for a field this
// instance has not set. Instances of one class built by the same `init` therefore
// share one layout, and a field read is a short scan of the class's slots plus one
// word load, with no lock: slots are only ever added, and a block that grows is
// replaced and retired like a list's (rule C4, docs/concurrency-model.md §7).
// Field writes hold the instance's lock (and, to add a slot, the class's).
import CWeftSupport
import Synchronization

/// The field slots of a class: an append-only list of symbols. Stored inline in
/// its ClassObj (a struct, so reaching it retains nothing).
struct FieldLayout: ~Copyable {
    /// A WordBlock whose words are symbols (as Int), `countStore` of them in use.
    private let blockAddress = Atomic<Int>(WordBlock.empty.address)
    private let countStore = Atomic<Int>(0)
    private let lock = SpinWord()

    @inline(__always) private var block: WordBlock { WordBlock(address: blockAddress.load(ordering: .acquiring)) }

    /// Number of slots.
    @inline(__always) var count: Int { countStore.load(ordering: .acquiring) }

    /// The slot of field `sym`, or nil if no instance has set it.
    @inline(__always) func slot(of sym: Int32) -> Int? {
        let n = count
        let b = block
        let key = UInt64(UInt32(bitPattern: sym))
        for i in 0..<min(n, b.capacity) where b.load(i).bits == key { return i }
        return nil
    }

    /// The slot of field `sym`, trying first the slot `hint` names (what this
    /// instruction found last time: instances reaching one instruction mostly share
    /// a layout, or layouts that begin alike) and updating it after a scan. Any hint
    /// is safe: it is used only if that slot holds `sym`.
    @inline(__always) func slot(of sym: Int32, hint: UnsafeMutablePointer<UInt8>) -> Int? {
        let h = Int(weft_load_byte(hint))
        let b = block
        if h < min(count, b.capacity) && b.load(h).bits == UInt64(UInt32(bitPattern: sym)) { return h }
        guard let s = slot(of: sym) else { return nil }
        if s <= Int(UInt8.max) { weft_store_byte(hint, UInt8(s)) }
        return s
    }

    /// The slot of field `sym`, adding one if needed (ClassObj.fieldSlotAdding, which
    /// notes fields named like methods first).
    func slotAdding(_ sym: Int32) -> Int {
        if let s = slot(of: sym) { return s }
        lock.lock(); defer { lock.unlock() }
        if let s = slot(of: sym) { return s }
        let n = count
        var b = block
        if n == b.capacity {
            let bigger = b.grown(to: max(4, n * 2), keeping: n)
            blockAddress.store(bigger.address, ordering: .releasing)
            Heap.retire(b)
            b = bigger
        }
        b.store(n, Word(bits: UInt64(UInt32(bitPattern: sym))))
        countStore.store(n + 1, ordering: .releasing)
        return n
    }

    /// The symbols of the slots, in slot order.
    var symbols: [Int32] {
        let n = count
        let b = block
        return (0..<min(n, b.capacity)).map { Int32(bitPattern: UInt32(truncatingIfNeeded: b.load($0).bits)) }
    }

    /// Called by the class's deinit (in the collector's release: no reader remains).
    func free() { block.free() }
}

/// An instance of a script class (including user error classes and Thread subclasses).
final class Instance: Obj {
    /// First, so that these fill bytes of the padding after Obj's lock and mark
    /// bytes: an instance is 80 bytes instead of 96 (HeapTests checks the offsets).
    @exclusivity(unchecked) var frozen = false
    private let nativeSet = Atomic<Bool>(false)
    private let clsRef: Ref<ClassObj>
    @inline(__always) var cls: ClassObj { clsRef.object }
    /// Runs `body` with this instance's class borrowed (no retain).
    @inline(__always) func withClass<R>(_ body: (ClassObj) throws -> R) rethrows -> R { try clsRef.with(body) }
    /// The slot of field `sym` in this instance's class layout (no retain).
    @inline(__always) private func slot(of sym: Int32) -> Int? { clsRef.with { $0.layout.slot(of: sym) } }
    /// The field values by slot (see the file comment).
    private let blockAddress: Atomic<Int>
    /// Native state of builtin base classes (an Error's trace, a Thread's handle).
    @exclusivity(unchecked) var native: AnyObject? {
        didSet { nativeSet.store(native != nil, ordering: .releasing) }
    }
    typealias Inline = InlineBlock<ThreeWords>
    /// Room for 3 fields inside the object, as a list keeps its first elements
    /// (ListObj.inlineBlock): an instance with at most 3 fields is one allocation.
    @exclusivity(unchecked) var inlineBlock = Inline.filled(with: .missing)
    /// Where `inlineBlock` lives (the header, lock and mark bytes, `frozen` and
    /// `nativeSet`, then the class, block address and `native` come first).
    /// HeapTests checks it.
    static let inlineOffset = 48

    /// (`__shared`: the instance keeps a plain word, so a consumed reference would
    /// only be released again.)
    init(cls: __shared ClassObj) {
        clsRef = Ref(cls)
        let fields = cls.layout.count
        if fields <= Inline.capacity {
            blockAddress = Atomic(0)
            super.init()
            blockAddress.store(inlineAddress.address, ordering: .relaxed)
        } else {
            let b = WordBlock.allocate(capacity: fields)
            b.words.initialize(repeating: .missing, count: b.capacity)
            blockAddress = Atomic(b.address)
            super.init()
        }
    }

    /// Runs in the collector's release of a dead instance: no reader remains.
    deinit { InlineBlocks.free(block, unless: inlineAddress) }
    override func releaseOwnedStorage() -> Bool {
        if nativeSet.load(ordering: .relaxed) { return false }   // `native` needs its release
        InlineBlocks.free(block, unless: inlineAddress)
        return true
    }

    /// The inline block (see `inlineBlock`).
    @inline(__always) private var inlineAddress: WordBlock {
        InlineBlocks.block(of: self, at: Instance.inlineOffset)
    }

    @inline(__always) private func retire(_ old: WordBlock) {
        InlineBlocks.retire(old, unless: inlineAddress)
    }

    override var typeName: String { cls.name }
    override var rescannedWhenOld: Bool { false }
    override func trace(_ m: inout Marker) {
        m.mark(address: clsRef.address)
        let b = block
        m.countBytes(b.capacity &* 8)
        m.mark(b.words, count: b.capacity)
        if let n = native as? Obj { m.mark(n) }
    }

    @inline(__always) private var block: WordBlock { WordBlock(address: blockAddress.load(ordering: .acquiring)) }

    /// Whether a builtin base class keeps native state here (Thread), whose
    /// attributes route through it.
    @inline(__always) var hasNative: Bool { nativeSet.load(ordering: .acquiring) }

    /// Field `sym`, or nil when unset. No lock (see the file comment).
    @inline(__always) func field(_ sym: Int32) -> Word? {
        guard let s = slot(of: sym) else { return nil }
        return field(atSlot: s)
    }

    /// Field `sym` read by the instruction whose hint byte is `hint`
    /// (FieldLayout.slot(of:hint:)).
    @inline(__always) func field(_ sym: Int32, hint: UnsafeMutablePointer<UInt8>) -> Word? {
        guard let s = clsRef.with({ $0.layout.slot(of: sym, hint: hint) }) else { return nil }
        return field(atSlot: s)
    }

    @inline(__always) private func field(atSlot s: Int) -> Word? {
        let b = block
        guard s < b.capacity else { return nil }
        let v = b.load(s)
        return v.isMissing ? nil : v
    }

    /// Whether field `sym` is set.
    @inline(__always) func hasField(_ sym: Int32) -> Bool { field(sym) != nil }

    /// Sets field `sym`; the caller holds the lock (or the instance is not shared).
    func setFieldUnlocked(_ sym: Int32, _ v: Word, hint: UnsafeMutablePointer<UInt8>? = nil) {
        let (s, slots) = clsRef.with { ($0.fieldSlotAdding(sym, hint: hint), $0.layout.count) }
        var b = block
        if s >= b.capacity {
            let bigger = b.grown(to: max(slots, s + 1), keeping: b.capacity, fill: .missing)
            blockAddress.store(bigger.address, ordering: .releasing)
            retire(b)
            b = bigger
        }
        b.store(s, v)
        Heap.noteStore(into: self, v)
    }

    func setField(_ sym: Int32, _ v: Word) {
        locked { setFieldUnlocked(sym, v) }
    }

    /// The set fields' symbols, in slot order.
    var fieldSymbols: [Int32] {
        let b = block
        return cls.layout.symbols.enumerated().filter { $0.offset < b.capacity && !b.load($0.offset).isMissing }.map { $0.element }
    }

    /// Gives this instance (new, seen by no other thread) `src`'s fields, each
    /// passed through `transform`, and its native state through `native`.
    func copyFields(from src: Instance, transform: (Word) throws -> Word,
                    native copyNative: (AnyObject?) -> AnyObject?) rethrows {
        let (values, srcNative): ([Word], AnyObject?) = src.locked {
            let b = src.block
            return (Array(UnsafeBufferPointer(start: b.words, count: b.capacity)), src.native)
        }
        let b = WordBlock.allocate(capacity: values.count)
        b.words.initialize(repeating: .missing, count: b.capacity)
        for (i, v) in values.enumerated() { b.words[i] = v.isMissing ? v : try transform(v) }
        let old = block
        blockAddress.store(b.address, ordering: .releasing)
        retire(old)
        Heap.noteBulkStore(into: self)
        native = copyNative(srcNative)
    }
}
