// A growable array of object addresses, written by one thread at a time: an
// allocation buffer's young objects, a thread's share of the old generation, the
// old objects a minor collection must trace again, the ones the write barrier
// remembered (Heap/AllocBuffer.swift, Heap/Generations.swift), and the marker's
// stack of grey objects.
// A struct that owns its storage, so appending costs no reference counting (as a
// class stored in the AllocBuffer it was retained for every registered object):
// its owner moves it (`swap`, `take`), never copies it to mutate, and frees it.
import CWeftSupport

struct PointerList {
    private(set) var items: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
        items = .allocate(capacity: capacity)
    }

    /// Frees the storage (the owner is done with it).
    func free() { items.deallocate() }

    @inline(__always) mutating func append(_ p: UnsafeMutableRawPointer) {
        if count == capacity { grow() }
        items[count] = p
        count += 1
    }

    @inline(never) private mutating func grow() {
        let bigger = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: items, count: count)
        items.deallocate()
        items = bigger
        capacity *= 2
    }

    /// Removes and returns the last entry (there must be one).
    @inline(__always) mutating func removeLast() -> UnsafeMutableRawPointer {
        count -= 1
        return items[count]
    }

    /// Moves every entry of `other` here.
    mutating func take(_ other: inout PointerList) {
        if count == 0 && capacity <= other.capacity {
            swap(&items, &other.items)
            swap(&count, &other.count)
            swap(&capacity, &other.capacity)
            return
        }
        for i in 0..<other.count { append(other.items[i]) }
        other.count = 0
    }

    /// Keeps the entries for which `live` is true, in order; calls `dead` for the others.
    mutating func sweep(live: (UnsafeMutableRawPointer) -> Bool, dead: (UnsafeMutableRawPointer) -> Void) {
        var kept = 0
        let d = Marker.prefetchDistance
        for i in 0..<count {
            if i &+ d < count { weft_prefetch(items[i &+ d]) }
            let p = items[i]
            if live(p) { items[kept] = p; kept += 1 } else { dead(p) }
        }
        count = kept
    }

    mutating func removeAll() { count = 0 }
}
