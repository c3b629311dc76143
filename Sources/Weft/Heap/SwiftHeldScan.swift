// Finding the objects Swift code holds (docs/vm.md §3, "Swift-held objects"): every
// object the collection may sweep is asked whether its reference count is above the
// heap's own reference. One load per object, and on a large heap nearly every one a
// cache miss: gc_pause's major collections spent 11-25 ms of their pause on it. The
// other script threads are stopped while it runs, so on a large heap the scan is
// split with one of Dispatch's threads, which on two cores has the other core to
// itself. The scan only reads object headers and writes its own list of finds; the
// marking stays on the collecting thread.
import Dispatch
import CWeftSupport

extension Heap {
    /// Below this many objects one thread scans alone: waking a second one costs
    /// tens of microseconds, a minor collection's whole scan.
    static let parallelScanMinimum = 1 << 16

    /// Marks the objects of `lists` that Swift code holds a strong reference to;
    /// returns how many objects it looked at.
    @discardableResult
    static func markSwiftHeld(_ lists: [PointerList], _ m: inout Marker) -> Int {
        let total = lists.reduce(0) { $0 + $1.count }
        if total < parallelScanMinimum {
            var found = swiftHeld(in: lists, from: 0, to: total)
            mark(&found, &m)
            return total
        }
        // Each half of the lists (taken as one sequence) is scanned by one thread
        // into its own list of finds.
        let halves = UnsafeMutableBufferPointer<PointerList>.allocate(capacity: 2)
        defer { halves.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            let (lo, hi) = half == 0 ? (0, total / 2) : (total / 2, total)
            (halves.baseAddress! + half).initialize(to: swiftHeld(in: lists, from: lo, to: hi))
        }
        for i in 0..<2 { mark(&halves[i], &m) }
        return total
    }

    /// The objects at positions `lo..<hi` of `lists`, taken as one sequence, that
    /// Swift code holds.
    private static func swiftHeld(in lists: [PointerList], from lo: Int, to hi: Int) -> PointerList {
        var found = PointerList(capacity: 16)
        let d = Marker.prefetchDistance
        var base = 0
        for l in lists {
            let a = max(lo - base, 0), b = min(hi - base, l.count), items = l.items
            if a < b {
                for i in a..<b {
                    if i &+ d < b { weft_prefetch(items[i &+ d]) }
                    if weft_has_extra_strong_refs(items[i]) != 0 { found.append(items[i]) }
                }
            }
            base += l.count
        }
        return found
    }

    /// Marks every object of `found`, and frees the list.
    private static func mark(_ found: inout PointerList, _ m: inout Marker) {
        for i in 0..<found.count { m.mark(address: found.items[i]) }
        found.free()
    }
}
