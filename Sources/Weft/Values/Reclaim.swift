// Iterative destruction. Releasing the last reference to a list nested a million
// deep (or a chain of a million instances, maps, cells or closures) would
// otherwise run a million nested Swift `deinit`s and overflow the native stack of
// whatever thread drops it (a script thread, or the host's 8 MiB main thread).
//
// Every object that holds values releases them from its deinit through
// `Reclaim.release`, which counts, per thread, how deeply such deinits are nested.
// Below `maxNesting` the children are released at once, as before (the common
// case costs a thread-local read and a counter). Deeper, the children are parked
// on the thread's pending list instead, and the outermost deinit releases them
// one batch at a time: the nesting stays bounded whatever the shape of the data.
import Foundation

/// One thread's state (only that thread touches it, so no exclusivity checks).
final class ReclaimState {
    @exclusivity(unchecked) var depth = 0
    @exclusivity(unchecked) var pending: [[Value]] = []
}

enum Reclaim {
    /// Nested releases allowed before parking: a few hundred bytes of stack each.
    static let maxNesting = 200

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        let rc = pthread_key_create(&k) { p in
            if let p = p { Unmanaged<ReclaimState>.fromOpaque(p).release() }
        }
        precondition(rc == 0, "cannot create the reclaim thread-local key")
        return k
    }()

    /// This thread's state, borrowed (no reference counting).
    @inline(__always) static func withState<R>(_ body: (ReclaimState) -> R) -> R {
        let k = key
        if let p = pthread_getspecific(k) {
            return Unmanaged<ReclaimState>.fromOpaque(p)._withUnsafeGuaranteedRef(body)
        }
        let s = Unmanaged.passRetained(ReclaimState())
        pthread_setspecific(k, s.toOpaque())
        return s._withUnsafeGuaranteedRef(body)
    }

    /// Called by a dying object with its child values (left empty).
    @inline(__always) static func release(_ items: inout [Value]) {
        if items.isEmpty { return }
        withState { s in
            if s.depth >= maxNesting {
                s.pending.append(items)         // the buffer moves; no element is touched
                items = []
                return
            }
            s.depth += 1
            items = []                          // children die here, one level deeper
            s.depth -= 1
            if s.depth == 0 && !s.pending.isEmpty { drain(s) }
        }
    }

    /// Called by a dying object that holds a single value (left nil).
    @inline(__always) static func release(_ item: inout Value) {
        switch item {
        case .nil, .bool, .int, .float, .str: return
        default: break
        }
        withState { s in
            if s.depth >= maxNesting {
                s.pending.append([item])
                item = .nil
                return
            }
            s.depth += 1
            item = .nil
            s.depth -= 1
            if s.depth == 0 && !s.pending.isEmpty { drain(s) }
        }
    }

    /// Releases the parked batches, from the outermost deinit of this thread.
    @inline(never) static func drain(_ s: ReclaimState) {
        s.depth = 1
        while let batch = s.pending.popLast() {
            _ = batch                           // released here; may park more batches
        }
        s.depth = 0
    }
}
