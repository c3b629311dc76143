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

    init(capacity: Int = 1024) {
        self.capacity = capacity
        items = .allocate(capacity: capacity)
    }

    deinit { items.deallocate() }

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

    /// Keeps the entries for which `live` is true, in order; calls `dead` for the others.
    func sweep(live: (UnsafeMutableRawPointer) -> Bool, dead: (UnsafeMutableRawPointer) -> Void) {
        var kept = 0
        for i in 0..<count {
            let p = items[i]
            if live(p) { items[kept] = p; kept += 1 } else { dead(p) }
        }
        count = kept
    }

    func removeAll() { count = 0 }
}
