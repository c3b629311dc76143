// The tracing collector (docs/vm.md §3-4). Every `Obj` registers itself when it is
// created; values refer to objects by unretained address, and only a collection
// frees them. A collection stops every script thread at a safepoint (or finds it
// parked in a blocking wait), marks from the roots, and releases what it did not
// reach once the threads run again.
//
// Thread states, all changed under `cond`:
// - attached and running: counted in `running`; must reach a safepoint when a
//   collection is pending;
// - parked (in a blocking wait) or stopped (at a safepoint, waiting for the
//   collection): not counted; its VM's stack is stable and is scanned as a root;
// - detached: not running script code at all.
// A thread never waits for a collection while holding a runtime object's monitor
// (blocking waits park only inside the monitor's own wait, and leave the monitor
// while waiting to unpark), so the collector never waits for a thread that is
// blocked on a monitor held by a stopped one.
import FoundationEssentials
import Dispatch
import Synchronization
import CWeftSupport

enum Heap {
    private static let cond = PosixCondition()
    /// Every attached VM (roots: each one's stack and frames). Guarded by `cond`.
    nonisolated(unsafe) private static var vms: [ObjectIdentifier: Unmanaged<VM>] = [:]
    /// Attached threads not stopped or parked. Guarded by `cond`.
    nonisolated(unsafe) private static var running = 0
    /// A collection is wanted; read without the lock at every safepoint.
    static let pending = Atomic<Bool>(false)
    /// Whether a thread has taken the collector's role for the pending collection.
    nonisolated(unsafe) private static var collectorChosen = false
    /// Survivors of earlier collections that the collector swept itself, and
    /// objects allocated outside script threads.
    nonisolated(unsafe) private static let old = AllocBuffer(capacity: 16)
    nonisolated(unsafe) private static let shared = AllocBuffer()
    /// Extra marking done by Swift structures that store values as words.
    nonisolated(unsafe) private static var rootSources: [(inout Marker) -> Void] = []
    nonisolated(unsafe) private static var epoch: UInt8 = 1

    /// Bytes allocated since the last collection (flushed per thread in batches).
    private static let allocatedBytes = Atomic<Int>(0)
    /// Bytes allocated that request the next collection. Atomic: the collector sets
    /// it while threads that are not stopped for the collection (a host thread, a
    /// REPL's reader) may be allocating and reading it.
    private static let threshold = Atomic<Int>(Heap.nurseryBytes > 0 ? Heap.nurseryBytes : Heap.minimumThreshold)
    /// The young generation's size (Heap/Generations.swift): a minor collection is
    /// requested after this many bytes were allocated. `WEFT_GC_NURSERY` sets it;
    /// 0 makes every collection a major one.
    static let nurseryBytes: Int =
        Int(ProcessInfo.processInfo.environment["WEFT_GC_NURSERY"] ?? "") ?? 1 << 20
    /// `WEFT_GC_VERIFY=1`: after each minor collection, checks that no old object
    /// refers to an unmarked one (a missing write barrier); debugging aid.
    static let verifyGenerations = ProcessInfo.processInfo.environment["WEFT_GC_VERIFY"] != nil
    /// Bytes reached by the last major collection, and promoted by minor ones since.
    nonisolated(unsafe) private static var liveAfterMajor = 0
    nonisolated(unsafe) private(set) static var promotedSinceMajor = 0
    /// `gc.collect()` asked for a major collection. Guarded by `cond`.
    nonisolated(unsafe) private static var majorWanted = false
    /// The least promotion between major collections, in bytes (4 MiB; docs/vm.md
    /// §3 says why); `WEFT_GC_MINIMUM` sets it.
    static let minimumThreshold: Int =
        Int(ProcessInfo.processInfo.environment["WEFT_GC_MINIMUM"] ?? "") ?? 4 << 20
    /// Lua's pause: the heap may grow to (1 + pause/100) × live before the next
    /// collection. `WEFT_GC_PAUSE` sets it.
    static let pause: Int = Int(ProcessInfo.processInfo.environment["WEFT_GC_PAUSE"] ?? "") ?? 100
    /// Where `Obj.gcMark` lives in every object: after the 16-byte Swift object header
    /// (metadata pointer and reference counts) and the one-byte lock. HeapTests
    /// checks it.
    static let markOffset = 17

    /// Rough size of an object for accounting (Swift header, lock and mark, fields).
    static let objectBytes = 64
    /// `WEFT_GC_STRESS=N`: collect at every Nth safepoint (debugging aid).
    static let stressInterval: Int = Int(ProcessInfo.processInfo.environment["WEFT_GC_STRESS"] ?? "") ?? 0
    private static let stressCounter = Atomic<Int>(0)
    /// `WEFT_GC_TRACE=1`: each collection prints how long its phases took to
    /// standard error (debugging aid).
    static let traceCollections = ProcessInfo.processInfo.environment["WEFT_GC_TRACE"] != nil

    // MARK: Statistics

    private static let statsLock = PosixLock()
    nonisolated(unsafe) private static var pauses: [Double] = []
    nonisolated(unsafe) private(set) static var collections = 0
    nonisolated(unsafe) private(set) static var majorCollections = 0
    /// Objects the last collection reached.
    nonisolated(unsafe) private(set) static var liveObjects = 0

    /// Collection count and pause percentiles, in seconds.
    static func stats() -> (count: Int, major: Int, last: Double, p50: Double, p99: Double, max: Double, live: Int) {
        statsLock.lock(); defer { statsLock.unlock() }
        let s = pauses.sorted()
        func pct(_ q: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count - 1) * q + 0.5))] }
        return (collections, majorCollections, pauses.last ?? 0, pct(0.5), pct(0.99), s.last ?? 0, liveObjects)
    }

    // MARK: Allocation

    /// Called by `Obj.init`: the heap takes an owning reference to `o` (or, when not
    /// `retaining`, is about to be handed the creator's).
    @inline(__always) static func register(_ o: Obj, retaining: Bool) {
        let p = Unmanaged.passUnretained(o).toOpaque()
        if retaining { weft_retain_unpublished(p) }
        if let ctx = weft_get_heap_context() {
            Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { buffer in
                buffer.append(p)
                buffer.unreportedBytes &+= objectBytes
                if buffer.unreportedBytes >= 64 << 10 { report(buffer) }
            }
        } else {
            registerShared(p)
        }
    }

    /// Roots `values` (a snapshot native code iterates while it may call script
    /// code) until the current native call or frame ends (AllocBuffer.roots).
    @inline(__always) static func keep(_ values: [Word]) {
        if let ctx = weft_get_heap_context() {
            unsafeBitCast(ctx, to: AllocBuffer.self).addRoot(values)
        }
    }

    /// A container replaced `block` (Heap/WordBlock.swift): it is freed after the
    /// next collection, once no script thread can be reading it. While only one OS
    /// thread touches interpreter objects (the locking switch is off) nobody else
    /// can hold its address, and it is freed at once.
    @inline(__always) static func retire(_ block: WordBlock) {
        if block.capacity == 0 { return }     // the shared empty block
        if !Runtime.isMultithreaded { block.free(); return }
        if let ctx = weft_get_heap_context() {
            Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.retired.append(block.base) }
        } else {
            cond.lock()
            shared.retired.append(block.base)
            cond.unlock()
        }
    }

    /// Counts `bytes` of storage an object just took (string contents, arrays).
    @inline(__always) static func account(_ bytes: Int) {
        if let ctx = weft_get_heap_context() {
            Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { buffer in
                buffer.unreportedBytes &+= bytes
                if buffer.unreportedBytes >= 64 << 10 { report(buffer) }
            }
        } else {
            noteAllocated(bytes)
        }
    }

    /// An object that holds an OS resource (a file or socket descriptor) was made:
    /// it counts as 1 MiB, so a program that drops open files without closing them
    /// collects (and closes them) every few files rather than running out.
    static func accountResource() { account(resourceBytes) }
    static let resourceBytes = 1 << 20

    /// Collects now, from a script thread (`gc.collect()`): a major collection, or
    /// with `major` false a minor one (unless a major one is due anyway). The
    /// calling native's arguments are on the VM stack, and it holds nothing else.
    static func collectNow(_ vm: VM, major: Bool = true) {
        cond.lock()
        if major { majorWanted = true }
        cond.unlock()
        request()
        safepoint(vm)
    }

    /// The write barrier's list for threads that run no script (Heap/Generations.swift).
    @inline(never) static func rememberShared(_ p: UnsafeMutableRawPointer) {
        cond.lock()
        shared.remembered.append(p)
        cond.unlock()
    }

    @inline(never) private static func registerShared(_ p: UnsafeMutableRawPointer) {
        cond.lock()
        shared.append(p)
        cond.unlock()
        noteAllocated(objectBytes)
    }

    @inline(never) private static func report(_ buffer: AllocBuffer) {
        let n = buffer.unreportedBytes
        buffer.unreportedBytes = 0
        noteAllocated(n)
        if let account = buffer.memory, account.noteAllocated(n), !buffer.overBudget {
            buffer.overBudget = true
            buffer.thread?.attention.store(true, ordering: .relaxed)
            request()
        }
    }

    private static func noteAllocated(_ n: Int) {
        let total = allocatedBytes.add(n, ordering: .relaxed).newValue
        if total >= threshold.load(ordering: .relaxed) && !pending.load(ordering: .relaxed) { request() }
    }

    /// Asks every running thread to stop at its next safepoint.
    static func request() {
        cond.lock()
        if !pending.load(ordering: .relaxed) {
            pending.store(true, ordering: .sequentiallyConsistent)
            for (_, vm) in vms {
                vm._withUnsafeGuaranteedRef { $0.thread?.attention.store(true, ordering: .sequentiallyConsistent) }
            }
        }
        cond.unlock()
    }

    // MARK: VMs and thread states

    /// The current OS thread starts running `vm`; from here until `detach` the VM is
    /// one of the collector's roots and its thread stops for collections. Its
    /// `thread` is set before (the collector reads it under the lock).
    static func attach(_ vm: VM) {
        cond.lock()
        waitOutCollection(nil)
        vms[ObjectIdentifier(vm)] = Unmanaged.passUnretained(vm)
        running += 1
        vm.gcState = .running
        cond.unlock()
        if stressInterval > 0 { vm.thread?.attention.store(true, ordering: .relaxed) }
        vm.allocations.thread = vm.thread
        vm.allocations.owner = vm
        vm.allocations.memory = vm.core.memory
        weft_set_heap_context(Unmanaged.passUnretained(vm.allocations).toOpaque())
    }

    /// The current OS thread stops running `vm`.
    /// The current OS thread stops running `vm`: what it allocated stays in the heap.
    static func detach(_ vm: VM) {
        sweepOwn(vm.allocations)
        weft_set_heap_context(nil)
        vm.allocations.truncateRoots(to: 0)
        vm.allocations.releaseBlocks()
        cond.lock()
        if vm.gcState == .running { running -= 1 }
        vm.gcState = .detached
        vms[ObjectIdentifier(vm)] = nil
        shared.take(vm.allocations)
        cond.broadcast()
        cond.unlock()
    }

    /// Before a blocking wait: this thread touches no heap object until `unpark`.
    static func park(_ vm: VM) {
        cond.lock()
        if vm.gcState == .running {
            running -= 1
            vm.gcState = .parked
            cond.broadcast()
        }
        cond.unlock()
    }

    /// After a blocking wait. `monitor`, if given, is held by the caller and is let
    /// go while waiting for a collection to end.
    static func unpark(_ vm: VM, releasing monitor: PosixCondition? = nil) {
        cond.lock()
        guard vm.gcState == .parked else { cond.unlock(); return }
        // Checked again each time the monitor is taken back: a new collection may
        // be pending by then, and it must never be waited for with the monitor held.
        while pending.load(ordering: .relaxed) {
            guard let m = monitor else { waitOutCollection(vm); continue }
            cond.unlock()
            m.unlock()
            cond.lock()
            waitOutCollection(vm)
            cond.unlock()
            m.lock()
            cond.lock()
        }
        running += 1
        vm.gcState = .running
        cond.unlock()
    }

    /// A safepoint of a running thread (the dispatch loop's checks): stops for a
    /// pending collection, running it if no other thread has taken it.
    static func safepoint(_ vm: VM) {
        if stressInterval > 0 {
            // Come back at the very next safepoint check.
            vm.thread?.attention.store(true, ordering: .relaxed)
            if !pending.load(ordering: .relaxed),
               stressCounter.add(1, ordering: .relaxed).newValue % stressInterval == 0 { request() }
        }
        guard pending.load(ordering: .relaxed) else { return }
        cond.lock()
        guard vm.gcState == .running else { cond.unlock(); return }
        running -= 1
        vm.gcState = .stopped
        cond.broadcast()
        waitOutCollection(vm)
        running += 1
        vm.gcState = .running
        cond.unlock()
        sweepOwn(vm.allocations)
    }

    /// Sweeps what this thread allocated before the collection it just waited out
    /// (`collect` hands each stopped thread its own entries): every thread frees its
    /// own garbage, in parallel, into its own allocator caches, instead of one
    /// thread freeing everybody's. The thread counts as running meanwhile, so the
    /// next collection waits until it is done. Survivors go back into its buffer.
    private static func sweepOwn(_ buffer: AllocBuffer) {
        guard let taken = buffer.pendingSweep else { return }
        buffer.pendingSweep = nil
        sweep(taken, epoch: epoch, keeper: buffer)
        buffer.keepSurvivors(of: taken)
    }

    /// With `cond` held: returns once no collection is pending, collecting if
    /// nobody else does. The caller is not counted in `running`.
    private static func waitOutCollection(_ vm: VM?) {
        while pending.load(ordering: .relaxed) {
            if !collectorChosen {
                collectorChosen = true
                while running > 0 { cond.wait() }
                let taken = collect()
                pending.store(false, ordering: .sequentiallyConsistent)
                cond.broadcast()
                cond.unlock()
                // The world runs again. The sweep frees what nobody reached among the
                // objects the collection took; new objects go to fresh buffers. The
                // next collection waits for it (`collectorChosen` stays set).
                let survivors = AllocBuffer(capacity: 16)
                for t in taken {
                    sweep(t, epoch: epoch, keeper: survivors)
                    survivors.keepSurvivors(of: t)
                }
                cond.lock()
                old.take(survivors)
                collectorChosen = false
                cond.broadcast()
                continue
            }
            cond.wait()
        }
    }

    /// Objects that live as long as the process (native functions, builtin classes).
    nonisolated(unsafe) private static var pins: [Obj] = []

    /// Keeps `o` alive for good: the strong reference makes it a Swift-held root.
    static func pin(_ o: Obj) {
        cond.lock()
        pins.append(o)
        cond.unlock()
    }

    /// Pins every object of a table built once (builtin function tables).
    static func pinned(_ table: [String: Word]) -> [String: Word] {
        for v in table.values { if let o = v.heapObject { pin(o) } }
        return table
    }

    /// Registers a marker for values a Swift structure holds as words.
    static func addRoots(_ source: @escaping (inout Marker) -> Void) {
        cond.lock()
        rootSources.append(source)
        cond.unlock()
    }

    // MARK: Collecting

    /// With every thread stopped or parked and `cond` held: marks, then takes every
    /// buffer's entries (and the blocks retired so far) for `sweep`, which runs after
    /// the threads resume. A minor collection marks and takes only the young
    /// objects (Heap/Generations.swift); a major one, everything.
    private static func collect() -> [AllocBuffer] {
        let start = DispatchTime.now().uptimeNanoseconds
        var buffers = [old, shared]
        for (_, vm) in vms { buffers.append(vm._withUnsafeGuaranteedRef { $0.allocations }) }
        // A thread stopped for the last collection may not have run since (it
        // found this one pending when it woke): its sweep of that collection's
        // entries is done here, with that collection's epoch, so its survivors are
        // in its lists before this collection reads them.
        for b in buffers { sweepOwn(b) }
        let major = isMajorDue()
        if major { epoch = epoch == 1 ? 2 : 1 }
        var m = Marker(epoch: epoch)
        defer { m.release() }
        if major {
            majorWanted = false
            chargeBudgetedInterpreters(&m)
            for b in buffers { forgetRemembered(b) }
        } else {
            for b in buffers { traceOldReferrers(b, &m) }
        }
        // Every VM's stack and frames.
        for (_, vm) in vms { vm._withUnsafeGuaranteedRef { $0.traceRoots(&m) } }
        for source in rootSources { source(&m) }
        // Objects Swift code holds strongly (a count above the heap's own one); a
        // minor collection needs only the young ones (the old are not swept).
        // (Heap/SwiftHeldScan.swift.)
        let t0 = DispatchTime.now().uptimeNanoseconds
        var lists: [PointerList] = []
        for b in buffers {
            lists.append(b.young)
            if major { lists.append(b.old) }
        }
        let scanned = markSwiftHeld(lists, &m)
        let t1 = DispatchTime.now().uptimeNanoseconds
        m.drain()
        if verifyGenerations && !major { verifyOldGeneration(buffers) }
        if traceCollections {
            let t2 = DispatchTime.now().uptimeNanoseconds
            StandardStreams.writeErr("gc: \(major ? "major" : "minor"), roots \((t0 - start) / 1000) us, " +
                                     "Swift-held scan \((t1 - t0) / 1000) us over \(scanned) objects, " +
                                     "mark \((t2 - t1) / 1000) us, \(m.marked) reached\n")
        }
        // Each thread stopped at a safepoint sweeps its own entries when it resumes
        // (`sweepOwn`); the collector sweeps the rest.
        var taken: [AllocBuffer] = []
        var oldGrowth = 0
        for b in buffers {
            oldGrowth += b.oldGrowthBytes
            b.oldGrowthBytes = 0
            // The thread goes on with `t`'s young list: room for as many objects as
            // it made since the last collection, so it does not grow it again from
            // nothing after each minor collection.
            let t = AllocBuffer(capacity: max(16, b.young.count))
            b.handOver(to: t, includingOld: major)
            if let vm = b.owner, vm.gcState == .stopped { b.pendingSweep = t } else { taken.append(t) }
        }
        if major {
            liveAfterMajor = m.bytes
            promotedSinceMajor = 0
        } else {
            promotedSinceMajor += m.bytes + oldGrowth
        }
        // The young generation is a nursery per attached thread: two threads that
        // allocate stop for one collection per 2 MiB, not one per 1 MiB, so each
        // thread's young objects still fit its caches between collections.
        threshold.store(nurseryBytes > 0 ? nurseryBytes * max(1, vms.count)
                                         : max(minimumThreshold, m.marked * objectBytes * pause / 100),
                        ordering: .relaxed)
        allocatedBytes.store(0, ordering: .relaxed)
        let pause = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        statsLock.lock()
        collections += 1
        if major { majorCollections += 1; liveObjects = m.marked } else { liveObjects += m.marked }
        pauses.append(pause)
        if pauses.count > 10_000 { pauses.removeFirst(5_000) }
        statsLock.unlock()
        return taken
    }

    /// Whether the collection about to run marks everything: always without a
    /// young generation, when `gc.collect()` asked, when an interpreter has a
    /// memory budget (its live bytes are measured by a full mark), every fourth
    /// collection under `WEFT_GC_STRESS`, and otherwise once the minor collections
    /// since the last major one promoted half of `pause`% of what it found live (at
    /// least the `WEFT_GC_MINIMUM` floor). Half, because what is promoted is mostly
    /// what replaced old objects that died: with the whole `pause` the old
    /// generation held as much garbage as live objects when the major collection
    /// came (gc_pause's peak RSS went from 202 MB before generations to 332 MB; with
    /// half, 260 MB, and binary_trees' from 61 to 46 MB in the same time).
    private static func isMajorDue() -> Bool {
        if nurseryBytes == 0 || majorWanted { return true }
        if stressInterval > 0 { return collections % 4 == 0 }
        for (_, vm) in vms where vm._withUnsafeGuaranteedRef({ $0.core.memory != nil }) { return true }
        return promotedSinceMajor >= max(minimumThreshold, liveAfterMajor * pause / 200)
    }

    /// A minor collection: traces the old objects of `b` that may refer to young
    /// ones (those the write barrier remembered, and those it cannot see), and
    /// forgets the remembered ones.
    private static func traceOldReferrers(_ b: AllocBuffer, _ m: inout Marker) {
        for i in 0..<b.remembered.count {
            let p = b.remembered.items[i]
            weft_store_byte(p + rememberedOffset, 0)
            m.traceOld(p)
        }
        b.remembered.removeAll()
        for i in 0..<b.rescan.count { m.traceOld(b.rescan.items[i]) }
        let slots = b.rememberedSlots   // read only; emptied below through `b`
        for i in stride(from: 0, to: slots.count, by: 2) {
            let index = Int(bitPattern: slots.items[i + 1]) &- 1
            Unmanaged<ListObj>.fromOpaque(slots.items[i])._withUnsafeGuaranteedRef { list in
                if let v = list.get(index) { m.mark(v) }
            }
        }
        b.rememberedSlots.removeAll()
    }

    /// A major collection marks everything: the remembered objects are forgotten
    /// (before the sweep, which may free them).
    private static func forgetRemembered(_ b: AllocBuffer) {
        for i in 0..<b.remembered.count { weft_store_byte(b.remembered.items[i] + rememberedOffset, 0) }
        b.remembered.removeAll()
        b.rememberedSlots.removeAll()
    }

    /// `WEFT_GC_VERIFY`: after a minor collection's mark, every old object must refer
    /// only to old or marked objects.
    private static func verifyOldGeneration(_ buffers: [AllocBuffer]) {
        var v = Marker(epoch: epoch, verifying: true)
        defer { v.release() }
        for b in buffers {
            for i in 0..<b.old.count { v.traceOld(b.old.items[i]) }
        }
    }

    /// What `WEFT_GC_VERIFY` reports: the object at `p` is young and unmarked, yet an
    /// old object refers to it, so it would be freed while still reachable.
    static func unmarkedReferent(_ p: UnsafeRawPointer) -> Never {
        let type = Unmanaged<Obj>.fromOpaque(p)._withUnsafeGuaranteedRef { $0.typeName }
        fatalError("gc verify: an old object refers to an unmarked young \(type) (a missing write barrier)")
    }

    /// Marks first what each interpreter with a memory budget reaches from its own
    /// roots, and records it as that interpreter's live bytes (MemoryAccount.swift).
    /// The process's pinned objects are marked before, so no interpreter is charged
    /// for builtins.
    private static func chargeBudgetedInterpreters(_ m: inout Marker) {
        var cores: [ObjectIdentifier: InterpreterCore] = [:]
        for (_, vm) in vms {
            let core = vm._withUnsafeGuaranteedRef { $0.core }
            if core.memory != nil { cores[ObjectIdentifier(core)] = core }
        }
        if cores.isEmpty { return }
        for o in pins { m.mark(o) }
        m.drain()
        for core in cores.values {
            let before = m.bytes
            for (_, vm) in vms {
                vm._withUnsafeGuaranteedRef { if $0.core === core { $0.traceRoots(&m) } }
            }
            m.mark(core.globals)
            m.drain()
            core.memory?.collected(live: m.bytes - before)
        }
    }

    /// Frees a dead object: directly when only the collector refers to it and its
    /// class has nothing left for a deinit to release (`Obj.releaseOwnedStorage`:
    /// lists and instances, most of what programs allocate), else by dropping the
    /// collector's reference, which runs the deinit.
    @inline(__always) private static func release(_ p: UnsafeMutableRawPointer) {
        if weft_held_only_by_collector(p) != 0,
           Unmanaged<Obj>.fromOpaque(p)._withUnsafeGuaranteedRef({ $0.releaseOwnedStorage() }) {
            weft_free_dead(p)
        } else {
            weft_release_dead(p)
        }
    }

    /// Releases the unmarked objects of `b`, keeps the marked ones (noting them for
    /// `keeper`, whose old objects they will join), and frees the blocks retired
    /// before the collection.
    private static func sweep(_ b: AllocBuffer, epoch e: UInt8, keeper: AllocBuffer) {
        b.sweep(live: { p in
            guard (p + markOffset).load(as: UInt8.self) == e else { return false }
            keeper.noteSurvivor(p)
            return true
        }, dead: release)
        for block in b.retired { WordBlock(base: block).free() }
        b.retired.removeAll()
    }
}
