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

    /// Free small container blocks by size class (Heap/WordBlock.swift, BlockCache).
    private let freeBlocks = UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>.allocate(
        capacity: BlockCache.classes * BlockCache.limit)
    private var freeCounts = (0, 0, 0)

    init(capacity: Int = 1024) {
        self.capacity = capacity
        items = .allocate(capacity: capacity)
    }

    deinit {
        items.deallocate()
        releaseBlocks()
        freeBlocks.deallocate()
    }

    @inline(__always) private func freeCount(_ k: Int) -> Int {
        k == 0 ? freeCounts.0 : k == 1 ? freeCounts.1 : freeCounts.2
    }

    @inline(__always) private func setFreeCount(_ k: Int, _ n: Int) {
        if k == 0 { freeCounts.0 = n } else if k == 1 { freeCounts.1 = n } else { freeCounts.2 = n }
    }

    @inline(__always) func takeBlock(_ k: Int) -> UnsafeMutablePointer<UInt64>? {
        let n = freeCount(k)
        guard n > 0 else { return nil }
        setFreeCount(k, n - 1)
        return freeBlocks[k * BlockCache.limit + n - 1]
    }

    @inline(__always) func putBlock(_ p: UnsafeMutablePointer<UInt64>, _ k: Int) -> Bool {
        let n = freeCount(k)
        guard n < BlockCache.limit else { return false }
        freeBlocks[k * BlockCache.limit + n] = p
        setFreeCount(k, n + 1)
        return true
    }

    /// Frees every cached block (the thread is done).
    func releaseBlocks() {
        for k in 0..<BlockCache.classes {
            for i in 0..<freeCount(k) { freeBlocks[k * BlockCache.limit + i].deallocate() }
            setFreeCount(k, 0)
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
