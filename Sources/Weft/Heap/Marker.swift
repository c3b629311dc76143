// The collector's mark phase: an explicit stack of grey objects (no recursion, so
// a list nested a million deep is marked on any thread), and the `trace` protocol
// through which each heap class reports the values and objects it refers to.

import CWeftSupport

struct Marker {
    /// Marks equal to `epoch` mean "reached in this collection"; the epoch alternates
    /// between 1 and 2, so marks never need clearing (new objects start at 0).
    let epoch: UInt8
    /// The grey objects: marked, not yet traced.
    private var stack = PointerList(capacity: 4096)
    /// The rest of large arrays being marked (Marker.chunk words at a time): their
    /// first words, and how many are left. Every caller passes storage that stays put
    /// until the collection ends (a VM's stack, a list's, instance's or closure's
    /// block): the world is stopped, and retired blocks are freed only after it.
    private var pendingArrays: [(words: UnsafePointer<Word>, count: Int)] = []
    /// Objects reached so far.
    private(set) var marked = 0
    /// Bytes of storage the reached objects own beyond their object (`countBytes`).
    private var storageBytes = 0

    /// Heap bytes reached so far, as the collector counts them: `Heap.objectBytes`
    /// an object, plus the storage (string contents, blocks) each one reports.
    var bytes: Int { marked &* Heap.objectBytes &+ storageBytes }

    /// Called by `trace`: the object being traced owns `n` bytes of storage.
    @inline(__always) mutating func countBytes(_ n: Int) { storageBytes &+= n }

    /// `WEFT_GC_VERIFY`'s check after a minor collection (Heap/Generations.swift):
    /// tracing an old object must find only marked objects; an unmarked one means a
    /// missing write barrier, and stops the process.
    private let verifying: Bool

    init(epoch: UInt8, verifying: Bool = false) {
        self.epoch = epoch
        self.verifying = verifying
    }

    func release() { stack.free() }

    @inline(__always) mutating func mark(_ v: Word) {
        if v.isHeap { mark(address: v.heapAddress) }
    }

    @inline(__always) mutating func mark(_ o: Obj?) {
        if let o = o { mark(address: UnsafeRawPointer(Unmanaged.passUnretained(o).toOpaque())) }
    }

    mutating func mark<S: Sequence>(all values: S) where S.Element == Word {
        for v in values { mark(v) }
    }

    /// How many elements ahead the array loops prefetch object headers.
    static let prefetchDistance = 8

    /// How many words of an array are marked before the objects they reached are
    /// traced. Marking writes each object's header and tracing reads it again: a
    /// list of a million objects marked whole was read from memory twice (its
    /// objects were out of the caches by the time the stack came back to them);
    /// in chunks of 128 (8 KiB of headers) the second read hits the cache.
    static let chunk = 128

    mutating func mark(_ p: UnsafePointer<Word>, count: Int) {
        var n = count
        if n > Marker.chunk && !verifying {
            pendingArrays.append((p + Marker.chunk, n - Marker.chunk))
            n = Marker.chunk
        }
        let d = Marker.prefetchDistance
        for i in 0..<n {
            // A large list's elements are usually scattered objects: start loading
            // the header of one a few places ahead while marking this one.
            if i &+ d < n {
                let ahead = p[i &+ d]
                if ahead.isHeap { weft_prefetch(ahead.heapAddress + Heap.markOffset) }
            }
            mark(p[i])
        }
    }

    @inline(__always) mutating func mark(address p: UnsafeRawPointer) {
        let markByte = UnsafeMutableRawPointer(mutating: p) + Heap.markOffset
        if markByte.load(as: UInt8.self) == epoch { return }
        if verifying { Heap.unmarkedReferent(p) }
        markByte.storeBytes(of: epoch, as: UInt8.self)
        marked += 1
        stack.append(UnsafeMutableRawPointer(mutating: p))
    }

    /// Traces `p` whether or not it is marked: an old object that a minor
    /// collection must look into (it was remembered, or is rescanned). Its storage
    /// is not counted: `bytes` of a minor collection is what it promoted, and an old
    /// object's storage was counted when it was; its growth since is counted where
    /// it happens (`Heap.noteGrowth`). Counting it here made every minor collection
    /// that traced a big old map "promote" the map's whole block: the maps
    /// benchmark ran 21 major collections instead of 5.
    mutating func traceOld(_ p: UnsafeRawPointer) {
        let counted = storageBytes
        Unmanaged<Obj>.fromOpaque(p)._withUnsafeGuaranteedRef { $0.trace(&self) }
        storageBytes = counted
    }

    /// Traces grey objects until none is left, then marks the next chunk of a
    /// large array, until no array is left either.
    mutating func drain() {
        let d = Marker.prefetchDistance
        repeat {
            while stack.count > 0 {
                let p = stack.removeLast()
                // The objects below on the stack are traced next (unless this one
                // pushes more): start loading one of them now.
                if stack.count >= d { weft_prefetch(stack.items[stack.count &- d]) }
                Unmanaged<Obj>.fromOpaque(p)._withUnsafeGuaranteedRef { $0.trace(&self) }
            }
            guard let rest = pendingArrays.popLast() else { return }
            mark(rest.words, count: rest.count)
        } while true
    }
}
