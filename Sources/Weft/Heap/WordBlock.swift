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

    /// A new block with room for `capacity` words, none of them initialized.
    static func allocate(capacity: Int) -> WordBlock {
        guard capacity > 0 else { return empty }
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity + 1)
        p[0] = UInt64(capacity)
        if capacity > 4 { Heap.account(capacity * 8) }
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

    /// Fills the first `items.count` words of a block not yet published.
    func initialize(from items: [Word]) {
        items.withUnsafeBufferPointer { src in
            if let p = src.baseAddress { words.initialize(from: p, count: src.count) }
        }
    }

    /// Frees a block nobody can reach any more (its container is dead).
    func free() {
        if base != WordBlock.empty.base { base.deallocate() }
    }
}
