// A growable array of heap-object addresses, each holding the collector's one
// owning (+1) Swift reference to its object. One per script thread for what it
// allocates (only that thread appends, without a lock), one shared under the heap's
// lock for allocations outside script threads, and one for the survivors of the
// last collection.
import CWeftSupport

final class AllocBuffer {
    @exclusivity(unchecked) private(set) var items: UnsafeMutablePointer<UnsafeMutableRawPointer>
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    /// Bytes allocated since they were last added to the heap's total.
    @exclusivity(unchecked) var unreportedBytes = 0
    /// Copies of values that native code of this thread is working through (a
    /// list's snapshot while an `eq` or a key function runs): roots until the
    /// native call or the frame that made them is done (the VM truncates this).
    @exclusivity(unchecked) var roots: [[Word]] = []
    /// The script thread using this buffer, poked when `roots` grows long, so its
    /// loop drops the finished ones at the next backward jump.
    @exclusivity(unchecked) weak var thread: ThreadObj?
    /// The VM whose thread allocates here (nil for the shared and survivor buffers).
    @exclusivity(unchecked) unowned(unsafe) var owner: VM?
    /// This thread's entries taken by the last collection, for the thread itself to
    /// sweep when it resumes (Heap.sweepOwn). Set by the collector while the thread
    /// is stopped.
    @exclusivity(unchecked) var pendingSweep: AllocBuffer?
    /// The memory budget of that thread's interpreter, if it has one.
    @exclusivity(unchecked) var memory: MemoryAccount?
    /// The interpreter went over its memory budget in what this thread reported:
    /// its next safepoint checks again after a collection (Heap/MemoryAccount.swift).
    @exclusivity(unchecked) var overBudget = false
    /// Container blocks this thread replaced (Heap/WordBlock.swift): freed after the
    /// next collection, when no reader can still hold one.
    @exclusivity(unchecked) var retired: [UnsafeMutablePointer<UInt64>] = []

    func addRoot(_ values: [Word]) {
        roots.append(values)
        if roots.count & 63 == 0 { thread?.attention.store(true, ordering: .relaxed) }
    }

    /// Drops the roots made after there were `mark` of them.
    @inline(__always) func truncateRoots(to mark: Int) {
        if roots.count > mark { roots.removeSubrange(mark...) }
    }

    /// Free small container blocks, one stack per size class (Heap/WordBlock.swift,
    /// BlockCache). Each stack starts small and doubles up to `BlockCache.limit`, so a
    /// thread that makes few containers reserves little.
    private let freeStacks = UnsafeMutablePointer<BlockStack>.allocate(capacity: BlockCache.classes)

    init(capacity: Int = 1024) {
        self.capacity = capacity
        items = .allocate(capacity: capacity)
        freeStacks.initialize(repeating: BlockStack(), count: BlockCache.classes)
    }

    deinit {
        items.deallocate()
        releaseBlocks()
        for k in 0..<BlockCache.classes { freeStacks[k].items?.deallocate() }
        freeStacks.deallocate()
    }

    @inline(__always) func takeBlock(_ k: Int) -> UnsafeMutablePointer<UInt64>? {
        let s = freeStacks + k
        guard s.pointee.count > 0 else { return nil }
        s.pointee.count -= 1
        return s.pointee.items![s.pointee.count]
    }

    @inline(__always) func putBlock(_ p: UnsafeMutablePointer<UInt64>, _ k: Int) -> Bool {
        let s = freeStacks + k
        if s.pointee.count == s.pointee.capacity && !s.pointee.grow() { return false }
        s.pointee.items![s.pointee.count] = p
        s.pointee.count += 1
        return true
    }

    /// Frees every cached block (the thread is done).
    func releaseBlocks() {
        for k in 0..<BlockCache.classes {
            let s = freeStacks + k
            for i in 0..<s.pointee.count { s.pointee.items![i].deallocate() }
            s.pointee.count = 0
        }
    }

    @inline(__always) func append(_ p: UnsafeMutableRawPointer) {
        if count == capacity { grow() }
        items[count] = p
        count += 1
    }

    @inline(never) private func grow() {
        let bigger = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: items, count: count)
        items.deallocate()
        items = bigger
        capacity *= 2
    }

    /// Moves every entry of `other` here.
    func take(_ other: AllocBuffer) {
        for i in 0..<other.count { append(other.items[i]) }
        other.count = 0
        retired += other.retired
        other.retired.removeAll()
    }

    /// Exchanges the registered objects and retired blocks of two buffers (O(1): a
    /// collection hands a thread's entries to the sweep while the thread goes on
    /// filling a fresh array).
    func swapEntries(with other: AllocBuffer) {
        swap(&items, &other.items)
        swap(&count, &other.count)
        swap(&capacity, &other.capacity)
        swap(&retired, &other.retired)
    }

    /// Keeps the entries for which `live` is true, in order; calls `dead` for the others.
    func sweep(live: (UnsafeMutableRawPointer) -> Bool, dead: (UnsafeMutableRawPointer) -> Void) {
        var kept = 0
        let d = Marker.prefetchDistance
        for i in 0..<count {
            if i &+ d < count { weft_prefetch(items[i &+ d]) }
            let p = items[i]
            if live(p) { items[kept] = p; kept += 1 } else { dead(p) }
        }
        count = kept
    }

    func removeAll() { count = 0 }
}

/// A stack of free blocks of one size class.
struct BlockStack {
    var items: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>?
    var count = 0
    var capacity = 0

    /// Doubles the room (from 256), unless the stack is at `BlockCache.limit`.
    @inline(never) mutating func grow() -> Bool {
        guard capacity < BlockCache.limit else { return false }
        let bigger = UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>.allocate(capacity: max(256, capacity * 2))
        if let old = items {
            bigger.moveInitialize(from: old, count: count)
            old.deallocate()
        }
        items = bigger
        capacity = max(256, capacity * 2)
        return true
    }
}
