// Storage for a container's elements in memory the collector owns (docs/vm.md §5):
// one malloc'd block holding its capacity and then that many words. A container
// never shrinks or regrows a block in place: it copies into a new one, publishes
// it, and *retires* the old one, which the collector frees only after the next
// collection. A script thread that read the old block's address before the switch
// is not at a safepoint while it uses it, so the block outlives every such reader:
// reads need no lock and no reference count (rule C4, docs/concurrency-model.md §7).
import CWeftSupport

struct WordBlock {
    /// `base[0]` is the capacity; the words follow.
    let base: UnsafeMutablePointer<UInt64>

    init(base: UnsafeMutablePointer<UInt64>) { self.base = base }

    init(address: Int) { base = UnsafeMutablePointer(bitPattern: address)! }

    /// The one block of capacity 0, shared by every empty container and never freed.
    static let empty: WordBlock = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        p[0] = 0
        return WordBlock(base: p)
    }()

    /// A new block with room for at least `capacity` words. Small blocks come in
    /// three sizes (3, 7 or 15 words) and are recycled through the allocating
    /// thread's cache (`BlockCache`); words past `capacity` are set to nil, the
    /// others are left for the caller to initialize.
    static func allocate(capacity: Int) -> WordBlock {
        guard capacity > 0 else { return empty }
        if let size = BlockCache.sizeClass(capacity) {
            let p = BlockCache.take(size) ?? UnsafeMutablePointer<UInt64>.allocate(capacity: BlockCache.words(size))
            let usable = BlockCache.words(size) - 1
            p[0] = UInt64(usable)
            Heap.account(usable * 8)
            let b = WordBlock(base: p)
            (b.words + capacity).initialize(repeating: .nil, count: usable - capacity)
            return b
        }
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity + 1)
        p[0] = UInt64(capacity)
        Heap.account(capacity * 8)
        return WordBlock(base: p)
    }

    var address: Int { Int(bitPattern: base) }
    @inline(__always) var capacity: Int { Int(truncatingIfNeeded: base[0]) }
    @inline(__always) var words: UnsafeMutablePointer<Word> {
        UnsafeMutableRawPointer(base + 1).assumingMemoryBound(to: Word.self)
    }

    /// Reads word `i` of a published block (another thread may be writing it).
    @inline(__always) func load(_ i: Int) -> Word {
        Word(bits: weft_load_word(base + 1 + i))
    }

    /// Writes word `i` of a published block (lock-free readers may be reading it).
    @inline(__always) func store(_ i: Int, _ v: Word) {
        weft_store_word(base + 1 + i, v.bits)
    }

    /// A new block of at least `capacity` words holding this block's first `count`
    /// words and `fill` in every other one, ready to publish in place of this one
    /// (the caller then retires this block).
    func grown(to capacity: Int, keeping count: Int, fill: Word = .nil) -> WordBlock {
        let new = WordBlock.allocate(capacity: capacity)
        new.words.initialize(from: words, count: count)
        (new.words + count).initialize(repeating: fill, count: new.capacity - count)
        return new
    }

    /// Fills the first `items.count` words of a block not yet published.
    func initialize(from items: [Word]) {
        items.withUnsafeBufferPointer { src in
            if let p = src.baseAddress { words.initialize(from: p, count: src.count) }
        }
    }

    /// Frees a block nobody can reach any more (its container is dead, or it was
    /// retired before the last collection).
    func free() {
        // Only the shared empty block has capacity 0 (and comparing capacities
        // avoids the lazy global's initialization check on every free).
        let c = capacity
        if c == 0 { return }
        if let size = BlockCache.sizeClass(c), BlockCache.put(base, size) { return }
        base.deallocate()
    }
}

/// The words of an inline block: a fixed number of them, stored in place.
protocol InlineWords {
    static var capacity: Int { get }
    init(repeating bits: UInt64)
}

/// Two words: a list's (a pair is the commonest small list, and with two the whole
/// list object is 64 bytes, one cache line, instead of 80).
struct TwoWords: InlineWords {
    var a, b: UInt64
    static var capacity: Int { 2 }
    init(repeating bits: UInt64) { a = bits; b = bits }
}

/// Three words: an instance's (a point or vector with three fields is one object).
struct ThreeWords: InlineWords {
    var a, b, c: UInt64
    static var capacity: Int { 3 }
    init(repeating bits: UInt64) { a = bits; b = bits; c = bits }
}

/// The storage of a block of `Words.capacity` words kept inside its container
/// object (a stored property, so a small container is one allocation): the
/// capacity word, then the words. The container owns it: it is never freed or
/// retired on its own.
struct InlineBlock<Words: InlineWords> {
    static var capacity: Int { Words.capacity }
    private var header: UInt64
    private var words: Words

    /// Every word `fill`.
    static func filled(with fill: Word) -> InlineBlock {
        InlineBlock(header: UInt64(capacity), words: Words(repeating: fill.bits))
    }

    /// The first `count` words initialized by `fill` and the others `rest`.
    /// Containers build their inline block this way before their `super.init`:
    /// filled through the object's address afterwards, the optimizer kept the
    /// object alive around the fill with a retain and a release (two atomic
    /// operations per small list: 5% of binary_trees).
    @inline(__always)
    static func filled(count: Int, rest: Word, by fill: (UnsafeMutablePointer<Word>) -> Void) -> InlineBlock {
        var b = filled(with: rest)
        withUnsafeMutablePointer(to: &b.words) { fill(UnsafeMutableRawPointer($0).assumingMemoryBound(to: Word.self)) }
        return b
    }
}

/// Finding, freeing and retiring blocks that may be a container's inline block.
enum InlineBlocks {
    /// The inline block stored `offset` bytes into `owner` (found from the object's
    /// address, so no Swift access to the property races with lock-free readers).
    @inline(__always) static func block(of owner: AnyObject, at offset: Int) -> WordBlock {
        WordBlock(base: (Unmanaged.passUnretained(owner).toOpaque() + offset).assumingMemoryBound(to: UInt64.self))
    }

    /// Frees `b`, a dead container's block, unless it is that container's inline
    /// block `inline` (which goes with the object).
    @inline(__always) static func free(_ b: WordBlock, unless inline: WordBlock) {
        if b.base != inline.base { b.free() }
    }

    /// Retires `b`, a block its container no longer uses, unless it is the inline
    /// block `inline` (whose words simply stay until the object dies).
    @inline(__always) static func retire(_ b: WordBlock, unless inline: WordBlock) {
        if b.base != inline.base { Heap.retire(b) }
    }
}

/// Per-thread stacks of free small blocks (in the thread's AllocBuffer), so the
/// many short lists, maps and instances a program makes and drops reuse blocks
/// instead of going through malloc and free each time. The limit is high on purpose:
/// a collection frees tens of thousands of dead containers' blocks at once, and a
/// block that goes back to malloc is written to (its free-list link) while it is
/// cold, a cache miss per dead container in the sweep; kept here, it is only pushed
/// by address (fannkuch 13% and binary_trees 6% faster than with 1,024 per size).
enum BlockCache {
    static let classes = 3
    /// How many free blocks of each size a thread keeps at most.
    static let limit = 65536

    /// Total words (capacity plus header) of size class `k`: 4, 8, 16.
    @inline(__always) static func words(_ k: Int) -> Int { 4 << k }

    /// The size class holding `capacity` words, or nil for a large block.
    @inline(__always) static func sizeClass(_ capacity: Int) -> Int? {
        if capacity <= 3 { return 0 }
        if capacity <= 7 { return 1 }
        if capacity <= 15 { return 2 }
        return nil
    }

    @inline(__always) static func take(_ k: Int) -> UnsafeMutablePointer<UInt64>? {
        guard let ctx = weft_get_heap_context() else { return nil }
        return Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.takeBlock(k) }
    }

    @inline(__always) static func put(_ p: UnsafeMutablePointer<UInt64>, _ k: Int) -> Bool {
        guard let ctx = weft_get_heap_context() else { return false }
        return Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.putBlock(p, k) }
    }
}
