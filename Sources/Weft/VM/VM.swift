// The virtual machine: one per script thread. Its value stack and call frames
// belong to that thread alone (no locking); heap objects are shared and protect
// themselves (Values/Objects.swift). Script-to-script calls do not recurse in
// Swift: they push a Frame and continue the same dispatch loop. Only native code
// that calls back into scripts (sorted's key, to_str...) re-enters `execute`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Frame {
    private(set) var closureRef: Ref<Closure>
    /// The running closure (kept alive by its stack slot; traced by the VM).
    @inline(__always) var closure: Closure { closureRef.object }
    /// Index of the next instruction to run (saved when this frame calls out).
    var pc: Int
    /// Slot 0 of this frame.
    var base: UnsafeMutablePointer<Word>
    /// Where the result goes; the caller's stack top is `ret + 1` after return.
    var ret: UnsafeMutablePointer<Word>
    /// `init` called by a class: the call's value is `self`, not init's result.
    var isConstructor: Bool
    /// Native roots (AllocBuffer.roots) that existed when this frame was entered;
    /// at its backward jumps every later one is done with.
    var rootMark: Int

    /// A frame about to run its first instruction.
    @inline(__always)
    init(closureRef: Ref<Closure>, base: UnsafeMutablePointer<Word>, ret: UnsafeMutablePointer<Word>,
         isConstructor: Bool, rootMark: Int) {
        self.closureRef = closureRef
        pc = 0; self.base = base; self.ret = ret; self.isConstructor = isConstructor
        self.rootMark = rootMark
    }
}

struct Handler {
    var frameIndex: Int
    var target: Int
    /// The stack depth to unwind to, counted from the frame's `base` rather than as
    /// an address, so a frame and its handlers can be copied elsewhere on the stack
    /// (a suspended generator, docs/vm.md §6).
    var depth: Int
}

final class VM {
    let core: InterpreterCore
    let stackBase: UnsafeMutablePointer<Word>
    let stackLimit: UnsafeMutablePointer<Word>
    /// Size of the mapping holding the value stack and the frames.
    private let regionBytes: Int
    /// First free stack slot while native code runs (the loop keeps its own copy).
    var sp: UnsafeMutablePointer<Word>
    var frames: UnsafeMutablePointer<Frame>
    var frameCount = 0
    let frameCapacity: Int
    var handlers: [Handler] = []
    let maxDepth: Int
    /// `core.limits.bound(.list)`, kept here for the dispatch loop's appends.
    let listBound: Int
    /// Name used in error reports (`in thread "worker-1"`); nil for the main thread.
    var threadName: String?
    /// Swift stack address of the outermost entry into this VM (checkNativeStack).
    var nativeStackBase: UInt = 0
    /// Depth of nested container comparisons/hashes in progress.
    var nesting = 0
    /// The script thread this VM runs (cancellation, interrupts, blocking state).
    var thread: ThreadObj!
    /// Steps (backward jumps and script calls) this VM may still take; `Int.max`
    /// unless the host set `InterpreterCore.stepBudget` (the fuzz target does).
    /// Each VM — each script thread — starts with the core's budget. Kept behind a
    /// pointer so the dispatch loop decrements it without exclusivity checks.
    let stepsLeft: UnsafeMutablePointer<Int>
    /// What this VM's thread allocated since the last collection (Heap/Heap.swift).
    let allocations = AllocBuffer()
    /// Where this VM's thread stands with the collector; guarded by the heap's lock.
    var gcState: GCState = .detached

    enum GCState { case detached, running, parked, stopped }

    static let stackValues = 1 << 20

    static let stackBytes = VM.stackValues * MemoryLayout<Word>.stride

    /// Bytes of the region `reserveStack` maps for an interpreter whose call depth
    /// limit is `maxDepth`: the value stack, then the frames.
    static func regionBytes(maxDepth: Int) -> Int {
        stackBytes + (maxDepth + 8) * MemoryLayout<Frame>.stride
    }

    /// Reserves a VM's value stack and frames in one mapping (address space only:
    /// pages are committed as calls actually happen, so a deep limit costs nothing
    /// until used, and the frames never move, so frame pointers held by the loop stay
    /// valid); nil when the system refuses. Done by whoever starts the VM's thread,
    /// so a failure is an error there, not a trap in the new thread.
    static func reserveStack(maxDepth: Int) -> UnsafeMutableRawPointer? {
        let raw = mmap(nil, regionBytes(maxDepth: maxDepth), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let raw = raw, raw != MAP_FAILED else { return nil }
        return raw
    }

    /// Frees a region from `reserveStack` that no VM took.
    static func releaseStack(_ s: UnsafeMutableRawPointer, maxDepth: Int) {
        munmap(s, regionBytes(maxDepth: maxDepth))
    }

    /// `region` comes from `reserveStack(maxDepth: core.maxDepth)`; the VM owns it
    /// from now on.
    init(core: InterpreterCore, stack region: UnsafeMutableRawPointer) {
        self.core = core
        maxDepth = core.maxDepth
        listBound = core.limits.bound(.list)
        frameCapacity = core.maxDepth + 8
        regionBytes = VM.regionBytes(maxDepth: maxDepth)
        stackBase = region.bindMemory(to: Word.self, capacity: VM.stackValues)
        stackLimit = stackBase + VM.stackValues - 64
        sp = stackBase
        frames = (region + VM.stackBytes).bindMemory(to: Frame.self, capacity: frameCapacity)
        // On a cache line of its own: every thread writes its counter at each
        // backward jump, and two counters sharing a line would bounce it between cores.
        stepsLeft = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64).bindMemory(to: Int.self, capacity: 1)
        stepsLeft.initialize(to: core.stepBudget)
    }

    deinit {
        if sp > stackBase { stackBase.deinitialize(count: sp - stackBase) }
        munmap(stackBase, regionBytes)
        stepsLeft.deallocate()
    }

    /// The collector's roots in this VM: its value stack up to `sp` (which is kept
    /// at or above every value a native frame below still uses) and its frames.
    func traceRoots(_ m: inout Marker) {
        if sp > stackBase { m.mark(stackBase, count: sp - stackBase) }
        for i in 0..<frameCount { m.mark(address: frames[i].closureRef.address) }
        for r in allocations.roots { m.mark(all: r) }
    }

    // MARK: - Entering the VM

    /// Runs a compiled top-level chunk and returns its value.
    func runMain(_ proto: FuncProto) throws -> Word {
        let closure = Closure(proto: proto)
        return try call(.function(closure), [])
    }

    /// Calls any callable value with Swift arguments (from natives and the host).
    func call(_ callee: Word, _ args: [Word], keywords: [(String, Word)] = []) throws -> Word {
        let start = sp
        guard start + args.count + keywords.count + 1 < stackLimit else {
            throw ScriptThrow(ErrorKinds.recursionError, "maximum call depth exceeded")
        }
        start.initialize(to: callee)
        var p = start + 1
        for a in args { p.initialize(to: a); p += 1 }
        for (_, v) in keywords { p.initialize(to: v); p += 1 }
        sp = p
        let kw = keywords.isEmpty ? nil : KeywordNames(keywords.map(\.0))
        return try callAt(start, argc: args.count, kw: kw)
    }

    /// Calls the callable at `calleePos` whose arguments follow it up to `sp`;
    /// leaves `sp == calleePos` and returns the result.
    func callAt(_ calleePos: UnsafeMutablePointer<Word>, argc: Int, kw: KeywordNames?) throws -> Word {
        try checkNativeStack()
        let entry = frameCount
        do {
            if try setupCall(calleePos, argc: argc, kw: kw) {
                _ = try execute(entry: entry)
            }
        } catch {
            unwindStack(to: calleePos)
            throw error
        }
        let result = calleePos.move()
        sp = calleePos
        return result
    }

    /// Calls method `sym` of `receiver`.
    func invokeMethod(_ receiver: Word, _ sym: Int32, _ args: [Word]) throws -> Word {
        let start = sp
        guard start + args.count + 1 < stackLimit else {
            throw ScriptThrow(ErrorKinds.recursionError, "maximum call depth exceeded")
        }
        try checkNativeStack()
        start.initialize(to: receiver)
        var p = start + 1
        for a in args { p.initialize(to: a); p += 1 }
        sp = p
        let entry = frameCount
        do {
            if try setupInvoke(start, sym: sym, argc: args.count, kw: nil) {
                _ = try execute(entry: entry)
            }
        } catch {
            unwindStack(to: start)
            throw error
        }
        let result = start.move()
        sp = start
        return result
    }

    /// Native code re-entering the VM (a `to_str` that prints, a `sorted` key that
    /// sorts) nests Swift frames that `maxDepth` does not bound when it is large:
    /// past this much Swift stack since the outermost entry, RecursionError. Script
    /// threads have 256 MiB stacks (the main script 512 MiB).
    static let nativeStackBudget: UInt = 160 << 20
    /// This VM's native stack budget: `nativeStackBudget` on script threads, less
    /// for a host call running on the host's own (smaller) stack (HostThreads.swift).
    var nativeStackLimit: UInt = VM.nativeStackBudget

    @inline(__always) func checkNativeStack() throws {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        if frameCount == 0 || here > nativeStackBase { nativeStackBase = here; return }
        if nativeStackBase - here > nativeStackLimit {
            throw ScriptThrow(ErrorKinds.recursionError, "maximum call depth exceeded (native calls nested too deeply)")
        }
    }

    /// The error raised once `stepsLeft` runs out. Every later backward jump or call
    /// raises it again, so a script that catches it still ends.
    @inline(never)
    static func stepBudgetExhausted() -> ScriptThrow {
        ScriptThrow(ErrorKinds.runtimeError, "step budget exhausted")
    }

    /// Drops every value from `newTop` up to `sp`.
    func unwindStack(to newTop: UnsafeMutablePointer<Word>) {
        if sp > newTop { newTop.deinitialize(count: sp - newTop) }
        sp = newTop
    }

    // MARK: - Frames

    /// Pushes a frame for `closure` with `argc` positional arguments at `args`
    /// (and keyword values after them). `calleePos` receives the result.
    /// The closure is kept alive by the stack slot at `calleePos` (or, for methods,
    /// by the receiver's class), so nothing here touches reference counts.
    @inline(__always)
    func pushFrame(_ closure: Closure, calleePos: UnsafeMutablePointer<Word>, base: UnsafeMutablePointer<Word>,
                   argc: Int, kw: KeywordNames?, isConstructor: Bool = false) throws {
        unowned(unsafe) let proto = closure.proto
        if thread.attention.load(ordering: .relaxed) {
            // A safepoint: the callee and its arguments are on the stack below `sp`.
            try safepoint()
        }
        let steps = stepsLeft.pointee &- 1
        stepsLeft.pointee = steps
        if frameCount >= maxDepth || base + proto.frameWords >= stackLimit || steps < 0 {
            if steps < 0 { try refillSteps() }
            if frameCount >= maxDepth || base + proto.frameWords >= stackLimit {
                throw ScriptThrow(ErrorKinds.recursionError, "maximum call depth exceeded")
            }
        }
        let hasSelf = proto.isMethod && base == calleePos
        let n = proto.plainArity
        if kw == nil && argc <= n && argc >= proto.defaultsFrom && (hasSelf || !proto.isMethod) {
            // Positional arguments only, and every parameter left out has a default:
            // its slot gets the `missing` marker, which the prologue replaces.
            var p = base + (hasSelf ? 1 : 0) + argc
            let paramsEnd = p + (n - argc)
            while p < paramsEnd { p.initialize(to: .missing); p += 1 }
            let end = base + proto.slotCount
            while p < end { p.initialize(to: .nil); p += 1 }
            sp = p
        } else {
            try bindArguments(proto, base: base, hasSelf: hasSelf, argc: argc, kw: kw)
        }
        frames[frameCount] = Frame(closureRef: Ref(closure), base: base, ret: calleePos,
                                   isConstructor: isConstructor, rootMark: allocations.rootCount)
        frameCount += 1
    }

    /// General argument binding: defaults, keywords, rest parameters, and methods
    /// called through their class with an explicit receiver.
    func bindArguments(_ proto: FuncProto, base: UnsafeMutablePointer<Word>, hasSelf: Bool,
                       argc: Int, kw: KeywordNames?) throws {
        let firstParam = base + (hasSelf ? 1 : 0)
        var positional = Array(UnsafeBufferPointer(start: firstParam, count: argc))
        let kwCount = kw?.ids.count ?? 0
        let kwValues = Array(UnsafeBufferPointer(start: firstParam + argc, count: kwCount))
        firstParam.deinitialize(count: argc + kwCount)
        sp = firstParam
        func fail(_ message: String) -> ScriptThrow { ScriptThrow.typeError("\(proto.name)() \(message)") }

        var selfValue: Word?
        if proto.isMethod && !hasSelf {
            // `Class.method(obj, ...)`: the first argument is the receiver.
            guard !positional.isEmpty else { throw fail("is a method and needs a receiver") }
            selfValue = positional.removeFirst()
        }
        let n = proto.paramCount
        var slots = [Word](repeating: .missing, count: n)
        var rest: [Word] = []
        let fixed = proto.restIndex ?? n
        for (i, v) in positional.enumerated() {
            if i < fixed { slots[i] = v }
            else if proto.restIndex != nil { rest.append(v) }
            else { throw fail("takes \(n) argument\(n == 1 ? "" : "s") (\(positional.count) given)") }
        }
        if let kw = kw {
            for (j, id) in kw.ids.enumerated() {
                guard let i = proto.paramIds.firstIndex(of: id), i != proto.restIndex else {
                    throw fail("got an unexpected keyword argument '\(kw.names[j])'")
                }
                if !slots[i].isMissing { throw fail("got multiple values for argument '\(kw.names[j])'") }
                slots[i] = kwValues[j]
            }
        }
        if let r = proto.restIndex { slots[r] = .list(ListObj(rest)) }
        for i in 0..<n where slots[i].isMissing && !proto.hasDefault[i] {
            throw fail("missing required argument '\(proto.paramNames[i])'")
        }
        var p = firstParam
        if let s = selfValue { p.initialize(to: s); p += 1 }
        for v in slots { p.initialize(to: v); p += 1 }
        let end = base + proto.slotCount
        if end > p { p.initialize(repeating: .nil, count: end - p) }
        sp = max(p, end)
    }
}

extension UnsafeMutablePointer where Pointee == Word {
    /// The heap object of the value in this slot, borrowed (no retain). Only for
    /// slots known to hold an object of class `T` (checked by the caller).
    @inline(__always) func unretained<T: AnyObject>(_ type: T.Type) -> T {
        pointee.unchecked(T.self)
    }

    /// Runs `body` with the slot's object borrowed (no retain/release).
    @inline(__always) func withUnretained<T: AnyObject, R>(_ type: T.Type, _ body: (T) throws -> R) rethrows -> R {
        try pointee.withObject(T.self, body)
    }
}
