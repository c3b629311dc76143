// Lists. The elements live in a collector-owned block (Heap/WordBlock.swift) that a
// writer replaces rather than regrows in place, so script threads read elements
// without the list's lock and without reference counting: a racy read sees an old or
// a new element, both alive (rule C4, docs/concurrency-model.md §7). Writers hold
// the list's lock (`locked`) for every change, as before.
//
// Publication order: a writer fills a new block, then stores its address, then the
// count, with release ordering; a reader loads the count, then the block, with
// acquire ordering, and bounds every index by both the count and that block's own
// capacity. A reader that pairs a new count with an old block therefore never reads
// past the block; and every word below a block's capacity holds a value (a block's
// unused tail is filled with nil before it is published), so such a reader sees an
// element, a nil or a value that was just removed, never uninitialized memory.
import Synchronization
import CWeftSupport

final class ListObj: Obj {
    /// First, so that it fills a byte of the padding after Obj's lock and mark
    /// bytes (HeapTests checks the offsets below, which depend on it).
    @exclusivity(unchecked) var frozen = false
    private let blockAddress: Atomic<Int>
    private let countStore: Atomic<Int>
    typealias Inline = InlineBlock<TwoWords>
    /// A block of 2 words inside the object (Heap/WordBlock.swift, `InlineBlock`):
    /// a list that never holds more than 2 elements needs no second allocation.
    /// Once a list outgrows it, it is never used again. With 2, a list object is
    /// 64 bytes, one cache line (with 3 it was 80, and `frozen` after the count
    /// took another word): binary_trees, whose nodes are pairs, 7% faster.
    @exclusivity(unchecked) var inlineBlock = Inline.filled(with: .nil)
    /// Where `inlineBlock` lives in every list: after the 16-byte object header, the
    /// lock and mark bytes and `frozen` (padded to 8), the block address and the
    /// count. Computed from the object's address, so no Swift access to the
    /// property races with lock-free readers of the block. HeapTests checks it.
    static let inlineOffset = 40

    init(_ items: [Word] = []) {
        countStore = Atomic(items.count)
        if items.count <= Inline.capacity {
            inlineBlock = Inline.filled(count: items.count, rest: .nil) { p in
                items.withUnsafeBufferPointer { if let src = $0.baseAddress { p.initialize(from: src, count: $0.count) } }
            }
            blockAddress = Atomic(0)
            super.init()
            _ = useInlineBlock()
        } else {
            let block = WordBlock.allocate(capacity: items.count)
            block.initialize(from: items)
            blockAddress = Atomic(block.address)
            super.init()
        }
    }

    /// A list of `count` words filled by `fill`, which must initialize all of them
    /// (sized once: slices, `+`, `*`).
    init(count: Int, handingOff: Bool = false, fill: (UnsafeMutablePointer<Word>) -> Void) {
        countStore = Atomic(count)
        if count <= Inline.capacity {
            inlineBlock = Inline.filled(count: count, rest: .nil, by: fill)
            blockAddress = Atomic(0)
            super.init(handingOff: handingOff)
            _ = useInlineBlock()
        } else {
            let block = WordBlock.allocate(capacity: count)
            fill(block.words)
            blockAddress = Atomic(block.address)
            super.init(handingOff: handingOff)
        }
    }

    /// A list of the given elements (sized once: slices, `+`, `reversed`).
    convenience init(copying items: UnsafeBufferPointer<Word>, handingOff: Bool = false) {
        self.init(count: items.count, handingOff: handingOff) {
            $0.initialize(from: items.baseAddress!, count: items.count)
        }
    }

    /// The word of a new list of the given elements (Word.handedOff).
    static func word(copying items: UnsafeBufferPointer<Word>) -> Word {
        .handedOff(ListObj(copying: items, handingOff: true), tag: Word.listTag)
    }

    /// A new list of `x`'s elements followed by `y`'s (each read under its own lock:
    /// never both locks at once).
    static func concat(_ x: ListObj, _ y: ListObj) -> Word {
        let out = ListObj(capacity: x.count + y.count, handingOff: true)
        x.locked { x.withElements { out.appendUnlocked(contentsOf: $0) } }
        y.locked { y.withElements { out.appendUnlocked(contentsOf: $0) } }
        return .handedOff(out, tag: Word.listTag)
    }

    /// A new list of this list's elements in reverse order.
    func reversedCopy() -> Word {
        locked {
            withElements { items in
                .handedOff(ListObj(count: items.count, handingOff: true) { p in
                    for (i, v) in items.reversed().enumerated() { (p + i).initialize(to: v) }
                }, tag: Word.listTag)
            }
        }
    }

    /// An empty list with room for `capacity` elements.
    init(capacity: Int, handingOff: Bool = false) {
        countStore = Atomic(0)
        if capacity <= Inline.capacity {
            blockAddress = Atomic(0)
            super.init(handingOff: handingOff)
            _ = useInlineBlock()
        } else {
            let block = WordBlock.allocate(capacity: capacity)
            block.words.initialize(repeating: .nil, count: block.capacity)
            blockAddress = Atomic(block.address)
            super.init(handingOff: handingOff)
        }
    }

    /// Makes the inline block this list's block (in init, before anyone can see
    /// the list) and returns it.
    @inline(__always) private func useInlineBlock() -> WordBlock {
        let b = inlineAddress
        blockAddress.store(b.address, ordering: .relaxed)
        return b
    }

    /// The inline block: inside the object, which lives as long as any reader of
    /// the block can reach the list.
    @inline(__always) private var inlineAddress: WordBlock {
        InlineBlocks.block(of: self, at: ListObj.inlineOffset)
    }

    @inline(__always) private func retire(_ old: WordBlock) {
        InlineBlocks.retire(old, unless: inlineAddress)
    }

    /// Runs in the collector's release of a dead list: no reader remains.
    deinit { _ = releaseOwnedStorage() }
    override func releaseOwnedStorage() -> Bool {
        InlineBlocks.free(block, unless: inlineAddress)
        return true
    }

    override var typeName: String { "list" }
    override var rescannedWhenOld: Bool { false }
    override func trace(_ m: inout Marker) {
        let b = block
        m.countBytes(b.capacity &* 8)
        m.mark(b.words, count: min(count, b.capacity))
    }

    // MARK: Lock-free reads (script threads; rule C4)

    @inline(__always) private var block: WordBlock {
        WordBlock(address: blockAddress.load(ordering: .acquiring))
    }

    /// Element count.
    @inline(__always) var count: Int { countStore.load(ordering: .acquiring) }

    /// Element `i` (0-based), or nil when out of range.
    @inline(__always) func get(_ i: Int) -> Word? {
        let n = count
        let b = block
        guard i >= 0 && i < n && i < b.capacity else { return nil }
        return b.load(i)
    }

    /// Element `i`, counting from the end when negative (Python's indexing).
    @inline(__always) func get(normalizing i: Int) -> Word? {
        get(i < 0 ? i + count : i)
    }

    /// Where `blockAddress` and `countStore` live in every list (after the header,
    /// the lock and mark bytes and `frozen`). HeapTests checks them.
    static let blockOffset = 24, countOffset = 32

    /// `get(normalizing:)` of the list at `p`, read through its address with the
    /// same acquire loads: for the dispatch loop's `xs[i]`, where borrowing the list
    /// for a closure left the closure out of line (3% of nbody's instructions).
    @inline(__always) static func element(ofListAt p: UnsafeRawPointer, _ i: Int) -> Word? {
        let n = Int(truncatingIfNeeded: weft_load_word(p + countOffset))
        let b = WordBlock(address: Int(truncatingIfNeeded: weft_load_word(p + blockOffset)))
        let j = i < 0 ? i &+ n : i
        guard j >= 0 && j < n && j < b.capacity else { return nil }
        return b.load(j)
    }

    /// Calls `body` with the elements as they are now. `body` must not run script
    /// code, block, or otherwise reach a safepoint (the block may be retired).
    @inline(__always) func withElements<R>(_ body: (UnsafeBufferPointer<Word>) throws -> R) rethrows -> R {
        let n = count
        let b = block
        return try body(UnsafeBufferPointer(start: b.words, count: min(n, b.capacity)))
    }

    /// A consistent copy of the elements (under the lock: safe on any thread).
    var copyItems: [Word] {
        locked { withElements { Array($0) } }
    }

    /// A consistent copy, rooted until the native call or frame that took it ends,
    /// so its items stay alive while script code runs even if they leave the list
    /// (Heap.keep). For natives that iterate while calling script code.
    var snapshot: [Word] {
        let s = copyItems
        Heap.keep(s)
        return s
    }

    // MARK: Writes (the caller holds the lock, or the list is not shared yet)

    /// Copies the first `keeping` elements into a new block of `capacity` and
    /// publishes it; the old block is retired.
    private func replaceBlock(capacity: Int, keeping n: Int) {
        let old = block
        let new = old.grown(to: capacity, keeping: n)
        blockAddress.store(new.address, ordering: .releasing)
        retire(old)
        Heap.noteGrowth(of: self, bytes: new.capacity * 8)
    }

    func appendUnlocked(_ v: Word) {
        let n = count
        if n == block.capacity { replaceBlock(capacity: max(4, n * 2), keeping: n) }
        block.store(n, v)
        countStore.store(n + 1, ordering: .releasing)
        Heap.noteStore(into: self, at: n, v)
    }

    func appendUnlocked<C: Collection>(contentsOf values: C) where C.Element == Word {
        let n = count, k = values.count
        guard k > 0 else { return }
        if n + k > block.capacity { replaceBlock(capacity: max(4, n + k, n * 2), keeping: n) }
        let b = block
        var i = n
        for v in values { b.store(i, v); i += 1 }
        countStore.store(n + k, ordering: .releasing)
        if Heap.isOld(self) {
            i = n
            for v in values { Heap.noteStore(into: self, at: i, v); i += 1 }
        }
    }

    /// Sets element `i`, which must be in range.
    func setUnlocked(_ i: Int, _ v: Word) {
        block.store(i, v)
        Heap.noteStore(into: self, at: i, v)
    }

    func insertUnlocked(_ v: Word, at j: Int) {
        let n = count
        if n == block.capacity { replaceBlock(capacity: max(4, n * 2), keeping: n) }
        let b = block
        var i = n
        while i > j { b.store(i, b.load(i - 1)); i -= 1 }
        b.store(j, v)
        countStore.store(n + 1, ordering: .releasing)
        Heap.noteBulkStore(into: self)   // the elements after `j` moved
    }

    /// Removes and returns element `j`, which must be in range.
    func removeUnlocked(at j: Int) -> Word {
        let n = count
        let b = block
        let v = b.load(j)
        for i in j..<(n - 1) { b.store(i, b.load(i + 1)) }
        countStore.store(n - 1, ordering: .releasing)
        if j < n - 1 { Heap.noteBulkStore(into: self) }   // the elements after `j` moved
        return v
    }

    func removeAllUnlocked() {
        countStore.store(0, ordering: .releasing)
        let old = block
        blockAddress.store(WordBlock.empty.address, ordering: .releasing)
        retire(old)
    }

    /// Replaces every element (sort, `xs[a:b] = ...` results).
    func replaceAllUnlocked(_ items: [Word]) {
        let new = WordBlock.allocate(capacity: items.count)
        new.initialize(from: items)
        let old = block
        // A shrink publishes the smaller count first (readers stay within the
        // elements either block holds; the capacity bound keeps them inside it).
        if items.count < count { countStore.store(items.count, ordering: .releasing) }
        blockAddress.store(new.address, ordering: .releasing)
        countStore.store(items.count, ordering: .releasing)
        retire(old)
        Heap.noteBulkStore(into: self)
    }

    func reverseUnlocked() {
        let n = count
        let b = block
        var i = 0, j = n - 1
        while i < j {
            let t = b.load(i)
            b.store(i, b.load(j)); b.store(j, t)
            i += 1; j -= 1
        }
        Heap.noteBulkStore(into: self)
    }

    func swapUnlocked(_ i: Int, _ j: Int) {
        let b = block
        let t = b.load(i)
        b.store(i, b.load(j)); b.store(j, t)
        Heap.noteBulkStore(into: self)
    }
}
