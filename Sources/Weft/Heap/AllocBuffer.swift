// A script thread's share of the heap: the objects it allocated since the last
// collection (the young generation), each holding the collector's one owning (+1)
// Swift reference to its object, and the survivors it swept (its part of the old
// generation). Only that thread appends, without a lock; the collector reads and
// swaps the lists while the thread is stopped. One more buffer, shared under the
// heap's lock, takes allocations outside script threads, and one the survivors the
// collector swept itself.
import CWeftSupport

final class AllocBuffer {
    /// Objects allocated since the last collection.
    @exclusivity(unchecked) var young: PointerList
    /// Objects that survived a collection (swept by this thread, or by the collector
    /// for the survivors' buffer).
    @exclusivity(unchecked) var old = PointerList()
    /// Old objects here whose references change without the write barrier
    /// (`Obj.rescannedWhenOld`): every minor collection traces them again.
    @exclusivity(unchecked) var rescan = PointerList(capacity: 16)
    /// Old objects this thread stored a young object into (Heap/Generations.swift).
    @exclusivity(unchecked) var remembered = PointerList(capacity: 16)
    /// List elements this thread stored a young object into, as pairs of entries:
    /// the list, then the index plus one (Heap/Generations.swift).
    @exclusivity(unchecked) var rememberedSlots = PointerList(capacity: 16)
    /// Bytes allocated since they were last added to the heap's total.
    @exclusivity(unchecked) var unreportedBytes = 0
    /// Bytes of new storage blocks this thread gave old containers since the last
    /// collection (`Heap.noteGrowth`), which count toward the next major one.
    @exclusivity(unchecked) var oldGrowthBytes = 0
    /// Copies of values that native code of this thread is working through (a
    /// list's snapshot while an `eq` or a key function runs): roots until the
    /// native call or the frame that made them is done (the VM truncates this).
    @exclusivity(unchecked) private(set) var roots: [[Word]] = []
    /// `roots.count`, kept in a plain field: every call and return reads it, and
    /// Array's `count` of an array of arrays is an out-of-line call.
    @exclusivity(unchecked) private(set) var rootCount = 0
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
        rootCount += 1
        if rootCount & 63 == 0 { thread?.attention.store(true, ordering: .relaxed) }
    }

    /// Drops the roots made after there were `mark` of them.
    @inline(__always) func truncateRoots(to mark: Int) {
        if rootCount > mark { roots.removeSubrange(mark...); rootCount = mark }
    }

    /// Free small container blocks, one stack per size class (Heap/WordBlock.swift,
    /// BlockCache). Each stack starts small and doubles up to `BlockCache.limit`, so a
    /// thread that makes few containers reserves little.
    private let freeStacks = UnsafeMutablePointer<BlockStack>.allocate(capacity: BlockCache.classes)

    init(capacity: Int = 1024) {
        young = PointerList(capacity: capacity)
        freeStacks.initialize(repeating: BlockStack(), count: BlockCache.classes)
    }

    deinit {
        for list in [young, old, rescan, remembered, rememberedSlots] { list.free() }
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

    @inline(__always) func append(_ p: UnsafeMutableRawPointer) { young.append(p) }

    /// Moves every entry of `other` (young, old, rescanned and remembered) here.
    func take(_ other: AllocBuffer) {
        young.take(&other.young)
        old.take(&other.old)
        rescan.take(&other.rescan)
        remembered.take(&other.remembered)
        rememberedSlots.take(&other.rememberedSlots)
        retired += other.retired
        other.retired.removeAll()
    }

    /// Hands the young objects and the retired blocks to `other` (which must have
    /// none) and, for a major collection, the old ones too; this buffer goes on
    /// with fresh lists (O(1): a collection takes a thread's entries for the sweep
    /// while the thread goes on allocating).
    func handOver(to other: AllocBuffer, includingOld: Bool) {
        swap(&young, &other.young)
        swap(&retired, &other.retired)
        if includingOld {
            swap(&old, &other.old)
            rescan.removeAll()
        }
    }

    /// After the sweep of `taken` (this buffer's entries handed over by a
    /// collection): its survivors join this buffer's old objects. (The sweep noted
    /// those the write barrier does not see for rescanning, `noteSurvivor`.)
    func keepSurvivors(of taken: AllocBuffer) {
        old.take(&taken.young)
        old.take(&taken.old)
    }

    /// A survivor of the sweep that will join this buffer's old objects: noted for
    /// rescanning if the write barrier does not see its stores. (Done as the sweep
    /// reads the object, not in a second pass over the survivors: that pass was
    /// 1.4% of binary_trees, mostly cache misses.)
    @inline(__always) func noteSurvivor(_ p: UnsafeMutableRawPointer) {
        if Obj.isRescannedWhenOld(p) { rescan.append(p) }
    }

    /// Sweeps the young and old objects of this buffer (one a collection handed
    /// its entries to): calls `dead` for those for which `live` is false.
    func sweep(live: (UnsafeMutableRawPointer) -> Bool, dead: (UnsafeMutableRawPointer) -> Void) {
        young.sweep(live: live, dead: dead)
        old.sweep(live: live, dead: dead)
    }
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
