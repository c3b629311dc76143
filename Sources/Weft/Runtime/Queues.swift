// Queues (§7.4): `queue`, `lifo_queue`, `priority_queue`, with task tracking
// (`task_done`/`join`) and `close()` for sentinel-free producer/consumer shutdown.
//
// Every item transfer and every wait outcome is decided under the queue's monitor:
// a `get` either takes an item (and returns it, whatever arrives at the same time)
// or takes nothing (timeout, cancellation, Closed). One PosixCondition serves putters
// and getters; waiter counts make a successful put or get signal only when somebody
// waits (no syscall per item otherwise), a single `signal` when only one kind of
// waiter exists, and a waiter that leaves without using its wake-up passes it on.
// Before parking, a thread spins briefly on atomic mirrors of the queue's state
// when the runnable threads fit on the cores (see `Spin.allowed`).
import Synchronization

// MARK: - Priority keys

/// A priority: int or float. Higher is served first.
struct QueuePriority {
    let int: Int
    let float: Double
    let isInt: Bool

    init(_ v: Word) throws {
        switch v.unpacked {
        case .int(let i): int = i; float = Double(i); isInt = true
        case .float(let d):
            if d.isNaN { throw ScriptThrow.valueError("put(): priority must not be nan") }
            int = 0; float = d; isInt = false
        default:
            throw ScriptThrow.typeError("put(): priority must be an int or a float, not '\(v.typeName)'")
        }
    }

    static func > (a: QueuePriority, b: QueuePriority) -> Bool {
        if a.isInt && b.isInt { return a.int > b.int }
        if a.isInt { return orderIntDouble(.gt, a.int, b.float) }    // exact when mixed
        if b.isInt { return orderDoubleInt(.gt, a.float, b.int) }
        return a.float > b.float
    }
}

struct PriorityEntry {
    let priority: QueuePriority
    let seq: Int
    let value: Word

    /// Served before `other`: higher priority, then earlier insertion.
    @inline(__always) func before(_ o: PriorityEntry) -> Bool {
        if priority > o.priority { return true }
        if o.priority > priority { return false }
        return seq < o.seq
    }
}

// MARK: - The queue object

final class QueueObj: Obj, @unchecked Sendable {
    enum Kind { case fifo, lifo, priority }
    let kind: Kind
    let maxsize: Int
    let id: Int
    let monitor = PosixCondition()

    // Guarded by `monitor`.
    private var ring: UnsafeMutablePointer<Word>
    private var ringCap: Int
    private var head = 0
    private var stack: [Word] = []
    private var heap: [PriorityEntry] = []
    private var seq = 0
    private var count = 0
    private var isClosed = false
    private var getWaiters = 0
    private var putWaiters = 0

    /// Mirrors of `count` and `isClosed` that spinners poll without the monitor.
    private let countMirror = Atomic<Int>(0)
    private let closedMirror = Atomic<Bool>(false)

    /// Items put and not yet marked done (`task_done`/`join`).
    private let unfinished = Atomic<Int>(0)
    private let joinCond = PosixCondition()

    init(kind: Kind, maxsize: Int) {
        self.kind = kind
        self.maxsize = maxsize
        self.id = LockGraph.nextId()
        ringCap = kind == .fifo ? 16 : 0
        ring = .allocate(capacity: max(ringCap, 1))
    }

    deinit {
        // Release the live items of the ring (they wrap around its end).
        for i in 0..<count where kind == .fifo {
            (ring + ((head + i) & (ringCap - 1))).deinitialize(count: 1)
        }
        ring.deallocate()
    }

    override var typeName: String {
        switch kind {
        case .fifo: return "Queue"
        case .lifo: return "LifoQueue"
        case .priority: return "PriorityQueue"
        }
    }

    var label: String { "\(typeName)#\(id)" }

    override func trace(_ m: inout Marker) {
        for i in 0..<(ringCap > 0 ? count : 0) { m.mark(ring[(head + i) & (ringCap - 1)]) }
        m.mark(all: stack)
        for e in heap { m.mark(e.value) }
    }

    override func method(_ sym: Int32) -> NativeFn? {
        kind == .priority ? QueueBuiltins.priorityMethods[sym] : QueueBuiltins.methods[sym]
    }

    override func methodNames() -> [String] { QueueBuiltins.names + ["closed", "maxsize"] }

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        if sym == QueueBuiltins.closedSym { return .bool(closed) }
        if sym == QueueBuiltins.maxsizeSym { return .int(maxsize) }
        return nil
    }

    override func makeIterator(_ vm: VM) throws -> IteratorObj? { QueueIterator(self) }

    // MARK: Storage (monitor held)

    private func push(_ v: Word, _ p: QueuePriority?) {
        switch kind {
        case .fifo:
            if count == ringCap { grow() }
            (ring + ((head + count) & (ringCap - 1))).initialize(to: v)
        case .lifo:
            stack.append(v)
        case .priority:
            heapPush(PriorityEntry(priority: p!, seq: seq, value: v))
            seq &+= 1
        }
        count += 1
        countMirror.store(count, ordering: .releasing)
    }

    private func pop() -> Word {
        let v: Word
        switch kind {
        case .fifo:
            v = (ring + head).move()
            head = (head + 1) & (ringCap - 1)
        case .lifo:
            v = stack.removeLast()
        case .priority:
            v = heapPop()
        }
        count -= 1
        countMirror.store(count, ordering: .releasing)
        return v
    }

    private func grow() {
        let newCap = ringCap * 2
        let n = UnsafeMutablePointer<Word>.allocate(capacity: newCap)
        for i in 0..<count {
            (n + i).moveInitialize(from: ring + ((head + i) & (ringCap - 1)), count: 1)
        }
        ring.deallocate()
        ring = n
        ringCap = newCap
        head = 0
    }

    private func heapPush(_ e: PriorityEntry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !heap[i].before(heap[parent]) { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func heapPop() -> Word {
        let top = heap[0].value
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < n && heap[l].before(heap[best]) { best = l }
                if r < n && heap[r].before(heap[best]) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        return top
    }

    @inline(__always) private var isFull: Bool { maxsize > 0 && count >= maxsize }

    /// After an item was added: wake a getter if one waits.
    @inline(__always) private func notifyGetters() {
        if getWaiters > 0 { putWaiters > 0 ? monitor.broadcast() : monitor.signal() }
    }

    /// After an item was removed: wake a putter if one waits.
    @inline(__always) private func notifyPutters() {
        if putWaiters > 0 { getWaiters > 0 ? monitor.broadcast() : monitor.signal() }
    }

    // MARK: Operations

    /// Puts `v`; raises Full when non-blocking or timed out, Closed when closed.
    func put(_ vm: VM, _ v: Word, priority: QueuePriority?, block: Bool, timeout: Double?) throws {
        if block { try vm.thread.checkPending() }
        monitor.lock()
        defer { monitor.unlock() }
        if isClosed { throw closedPut() }
        if !isFull {
            insert(v, priority)
            return
        }
        if !block || timeout == 0 { throw full() }
        if Spin.allowed(vm.core) {
            monitor.unlock()
            _ = Spin.spin { countMirror.load(ordering: .relaxed) < maxsize || closedMirror.load(ordering: .relaxed) }
            monitor.lock()
            if isClosed { throw closedPut() }
            if !isFull { insert(v, priority); return }
        }
        putWaiters += 1
        let ok: Bool
        do {
            ok = try vm.blockingWait(monitor, timeout: timeout, on: "put to \(label)") { !isFull || isClosed }
        } catch {
            putWaiters -= 1
            passOnPut()
            throw error
        }
        putWaiters -= 1
        if isClosed { throw closedPut() }
        guard ok else { passOnPut(); throw full() }
        insert(v, priority)
    }

    @inline(__always) private func insert(_ v: Word, _ p: QueuePriority?) {
        unfinished.add(1, ordering: .relaxed)
        push(v, p)
        notifyGetters()
    }

    /// A putter leaving without putting passes on a wake-up it may have consumed.
    private func passOnPut() {
        if !isFull && putWaiters > 0 { getWaiters > 0 ? monitor.broadcast() : monitor.signal() }
    }

    /// A getter leaving without an item passes on a wake-up it may have consumed.
    private func passOnGet() {
        if count > 0 && getWaiters > 0 { putWaiters > 0 ? monitor.broadcast() : monitor.signal() }
    }

    /// Takes an item; nil when the queue is closed and drained (only when
    /// `closedAsNil`, else Closed is raised). Raises Empty when non-blocking or
    /// timed out.
    func get(_ vm: VM, block: Bool, timeout: Double?, closedAsNil: Bool = false) throws -> Word? {
        if block { try vm.thread.checkPending() }
        monitor.lock()
        defer { monitor.unlock() }
        if count > 0 { return take() }
        if isClosed { if closedAsNil { return nil }; throw closedGet() }
        if !block || timeout == 0 { throw empty() }
        if Spin.allowed(vm.core) {
            monitor.unlock()
            _ = Spin.spin { countMirror.load(ordering: .relaxed) > 0 || closedMirror.load(ordering: .relaxed) }
            monitor.lock()
            if count > 0 { return take() }
            if isClosed { if closedAsNil { return nil }; throw closedGet() }
        }
        getWaiters += 1
        let ok: Bool
        do {
            ok = try vm.blockingWait(monitor, timeout: timeout, on: "get from \(label)") { count > 0 || isClosed }
        } catch {
            getWaiters -= 1
            passOnGet()
            throw error
        }
        getWaiters -= 1
        if count > 0 { return take() }
        if isClosed { if closedAsNil { return nil }; throw closedGet() }
        passOnGet()
        _ = ok
        throw empty()
    }

    @inline(__always) private func take() -> Word {
        let v = pop()
        notifyPutters()
        return v
    }

    func close() {
        monitor.lock()
        defer { monitor.unlock() }
        if isClosed { return }
        isClosed = true
        closedMirror.store(true, ordering: .releasing)
        if getWaiters + putWaiters > 0 { monitor.broadcast() }
    }

    var closed: Bool { monitor.lock(); defer { monitor.unlock() }; return isClosed }
    var size: Int { monitor.lock(); defer { monitor.unlock() }; return count }
    var full_: Bool { monitor.lock(); defer { monitor.unlock() }; return isFull }

    func taskDone() throws {
        while true {
            let u = unfinished.load(ordering: .acquiring)
            if u <= 0 { throw ScriptThrow.valueError("task_done() called too many times") }
            if unfinished.compareExchange(expected: u, desired: u - 1, ordering: .acquiringAndReleasing).exchanged {
                if u == 1 { joinCond.lock(); joinCond.broadcast(); joinCond.unlock() }
                return
            }
        }
    }

    /// Waits until every item put has been marked done; false on timeout.
    func join(_ vm: VM, timeout: Double?) throws -> Bool {
        joinCond.lock()
        defer { joinCond.unlock() }
        return try vm.blockingWait(joinCond, timeout: timeout, on: "join of \(label)") {
            unfinished.load(ordering: .acquiring) == 0
        }
    }

    private func full() -> ScriptThrow { ScriptThrow(ErrorKinds.full, "queue is full") }
    private func empty() -> ScriptThrow { ScriptThrow(ErrorKinds.empty, "queue is empty") }
    private func closedPut() -> ScriptThrow { ScriptThrow(ErrorKinds.closed, "put to a closed queue") }
    private func closedGet() -> ScriptThrow { ScriptThrow(ErrorKinds.closed, "get from a closed and empty queue") }
}

/// `for x in q`: gets until the queue is closed and drained.
final class QueueIterator: IteratorObj {
    let queue: QueueObj
    init(_ q: QueueObj) { queue = q }
    override func next(_ vm: VM) throws -> Word? {
        try queue.get(vm, block: true, timeout: nil, closedAsNil: true)
    }
}

// MARK: - Builtins

enum QueueBuiltins {
    static let closedSym = Symbols.intern("closed")
    static let maxsizeSym = Symbols.intern("maxsize")

    static let functions: [String: Word] = [
        "queue": .object(NativeFn("queue") { vm, _, args in try make(.fifo, args) }),
        "lifo_queue": .object(NativeFn("lifo_queue") { vm, _, args in try make(.lifo, args) }),
        "priority_queue": .object(NativeFn("priority_queue") { vm, _, args in try make(.priority, args) }),
    ]

    static func make(_ kind: QueueObj.Kind, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1, keywords: ["maxsize"])
        var maxsize = 0
        switch try args.arg(0, "maxsize")?.unpacked {
        case nil, .nil?: break
        case .int(let n)?: maxsize = max(0, n)
        case let other?: throw ScriptThrow.typeError("\(args.fnName)(): maxsize must be an int, not '\(other.typeName)'")
        }
        return .object(QueueObj(kind: kind, maxsize: maxsize))
    }

    @inline(__always) static func this(_ receiver: Word) -> QueueObj {
        guard case .object(let o) = receiver.unpacked else { fatalError("queue method on a non-queue") }
        return unsafeDowncast(o, to: QueueObj.self)
    }

    static func blockArg(_ v: Word?) throws -> Bool { try boolArg(v, "block", default: true) }

    static func boolArg(_ v: Word?, _ name: String, default d: Bool) throws -> Bool {
        switch v?.unpacked {
        case nil, .nil?: return d
        case .bool(let b)?: return b
        case let other?: throw ScriptThrow.typeError("\(name) must be a bool, not '\(other.typeName)'")
        }
    }

    static let common: [NativeEntry] = [
        NativeEntry("get", { vm, r, args in
            if args.count == 0 && args.keywordCount == 0 {
                return try this(r).get(vm, block: true, timeout: nil)!
            }
            try args.check(min: 0, max: 2, keywords: ["block", "timeout"])
            let block = try blockArg(args.arg(0, "block"))
            let timeout = try vm.timeoutArg(args.arg(1, "timeout"), "get")
            return try this(r).get(vm, block: block, timeout: timeout)!
        }),
        NativeEntry("get_nowait", { vm, r, args in
            try args.check(min: 0, max: 0)
            return try this(r).get(vm, block: false, timeout: nil)!
        }),
        NativeEntry("qsize", { _, r, args in
            try args.check(min: 0, max: 0)
            return .int(this(r).size)
        }),
        NativeEntry("empty", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).size == 0)
        }),
        NativeEntry("full", { _, r, args in
            try args.check(min: 0, max: 0)
            return .bool(this(r).full_)
        }),
        NativeEntry("task_done", { _, r, args in
            try args.check(min: 0, max: 0)
            try this(r).taskDone()
            return .nil
        }),
        NativeEntry("join", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            return .bool(try this(r).join(vm, timeout: vm.timeoutArg(args.arg(0, "timeout"), "join")))
        }),
        NativeEntry("close", { _, r, args in
            try args.check(min: 0, max: 0)
            this(r).close()
            return .nil
        }),
    ]

    static let names: [String] = (common.map(\.name) + ["put", "put_nowait"]).sorted()

    static let methods = LockBuiltins.table(common + [
        NativeEntry("put", { vm, r, args in
            if args.count == 1 && args.keywordCount == 0 {
                try this(r).put(vm, args[0], priority: nil, block: true, timeout: nil)
                return .nil
            }
            try args.check(min: 1, max: 3, keywords: ["block", "timeout"])
            let block = try blockArg(args.arg(1, "block"))
            let timeout = try vm.timeoutArg(args.arg(2, "timeout"), "put")
            try this(r).put(vm, args[0], priority: nil, block: block, timeout: timeout)
            return .nil
        }),
        NativeEntry("put_nowait", { vm, r, args in
            try args.check(min: 1, max: 1)
            try this(r).put(vm, args[0], priority: nil, block: false, timeout: nil)
            return .nil
        }),
    ])

    static let priorityMethods = LockBuiltins.table(common + [
        NativeEntry("put", { vm, r, args in
            try args.check(min: 1, max: 4, keywords: ["priority", "block", "timeout"])
            let p = try QueuePriority(args.arg(1, "priority") ?? .int(0))
            let block = try blockArg(args.arg(2, "block"))
            let timeout = try vm.timeoutArg(args.arg(3, "timeout"), "put")
            try this(r).put(vm, args[0], priority: p, block: block, timeout: timeout)
            return .nil
        }),
        NativeEntry("put_nowait", { vm, r, args in
            try args.check(min: 1, max: 2, keywords: ["priority"])
            let p = try QueuePriority(args.arg(1, "priority") ?? .int(0))
            try this(r).put(vm, args[0], priority: p, block: false, timeout: nil)
            return .nil
        }),
    ])
}
