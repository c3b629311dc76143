// Iteration protocol behind `for x in it`, comprehensions and natives that walk
// iterables. An iterator belongs to the thread running the loop; the container it
// walks may be shared, so list iterators read one element at a time under the
// list's lock (a list mutated while iterated behaves like Python's).

class IteratorObj: Obj {
    /// The next element, or nil when exhausted.
    func next(_ vm: VM) throws -> Word? { nil }
    override var typeName: String { "iterator" }
    override func makeIterator(_ vm: VM) throws -> IteratorObj? { self }
}

final class RangeIterator: IteratorObj {
    var current: Int
    /// Elements still to yield: counting them (rather than comparing with the
    /// end) stops exactly at the last element, even when one more step would
    /// pass Int.max or Int.min (the wrapped value is never used).
    var remaining: Int
    let step: Int
    init(_ r: RangeObj) { current = r.start; remaining = r.count; step = r.step }
    /// The elements of `r`, last first (`for x in reversed(r)`). Wrapping arithmetic
    /// is exact here: every element yielded is in range.
    init(reversing r: RangeObj) {
        remaining = r.count
        current = r.element(remaining &- 1)
        step = 0 &- r.step
    }

    override func next(_ vm: VM) throws -> Word? {
        guard remaining > 0 else { return nil }
        defer { current &+= step; remaining -= 1 }
        return .int(current)
    }
}

/// The two loop variables of `for a, b in ...` without a pair list per step:
/// `enumerate(xs)` (`first` nil: the index), `zip(xs, ys)`, a map's entries. The
/// items are gathered before the loop starts, exactly as the builtins gather them.
final class PairIterator: IteratorObj {
    let first: [Word]?
    let second: [Word]
    var index = 0
    init(first: [Word]?, second: [Word]) {
        self.first = first; self.second = second
        super.init()
        // The arrays live until the iterator is collected: count them, so loops that
        // make many iterators trigger collections.
        Heap.account(((first?.count ?? 0) + second.count) * MemoryLayout<Word>.stride)
    }

    override func trace(_ m: inout Marker) {
        if let f = first { m.mark(all: f) }
        m.mark(all: second)
    }

    /// The next pair, or nil when done.
    @inline(__always) func nextPair() -> (Word, Word)? {
        let n = first.map { Swift.min($0.count, second.count) } ?? second.count
        guard index < n else { return nil }
        defer { index += 1 }
        return (first?[index] ?? .int(index), second[index])
    }

    override func next(_ vm: VM) throws -> Word? {
        nextPair().map { .list(ListObj([$0.0, $0.1])) }
    }
}

final class ListIterator: IteratorObj {
    /// A traced word, not a strong reference: a strong one would make the list a
    /// root until this iterator is swept, so a loop's list would outlive it by a
    /// whole collection (docs/vm.md §3, Swift-held objects).
    private let listRef: Ref<ListObj>
    private var list: ListObj { listRef.object }
    var index = 0
    init(_ l: ListObj) { listRef = Ref(l) }

    override func trace(_ m: inout Marker) { m.mark(address: listRef.address) }

    override func next(_ vm: VM) throws -> Word? {
        let v = listRef.with { $0.get(index) }
        index += 1
        return v
    }
}

/// Iterates a fixed array (a string's characters, a map's keys at loop start).
final class ArrayIterator: IteratorObj {
    let items: [Word]
    var index = 0
    init(_ items: [Word]) {
        self.items = items
        super.init()
        Heap.account(items.count * MemoryLayout<Word>.stride)
    }
    override func trace(_ m: inout Marker) { m.mark(all: items) }

    override func next(_ vm: VM) throws -> Word? {
        guard index < items.count else { return nil }
        defer { index += 1 }
        return items[index]
    }
}

extension VM {
    /// An iterator for `x`; with `pairs`, maps yield `[key, value]` lists.
    func makeIterator(_ x: Word, pairs: Bool = false) throws -> IteratorObj {
        // A list borrowed: `unpacked` makes a reference, retained and released.
        if x.isList { return x.withObject(ListObj.self) { ListIterator($0) } }
        switch x.unpacked {
        case .str(let s): return ArrayIterator(s.value.unicodeScalars.map(StrObj.char))
        case .map(let m):
            if pairs {
                let entries = m.entries
                return PairIterator(first: entries.map(\.key), second: entries.map(\.value))
            }
            return ArrayIterator(m.keyList)
        case .object(let o):
            if let r = o as? RangeObj { return RangeIterator(r) }
            if let b = o as? BytesObj { return ArrayIterator(b.bytes.map { .int(Int($0)) }) }
            if let it = try o.makeIterator(self) { return it }
        default: break
        }
        throw ScriptThrow.typeError("'\(x.typeName)' object is not iterable")
    }

    /// Calls `body` with each element of an iterable.
    func iterate(_ x: Word, _ body: (Word) throws -> Void) throws {
        if case .list(let l) = x.unpacked {
            for v in l.snapshot { try body(v) }
            return
        }
        let it = try makeIterator(x)
        while let v = try it.next(self) { try body(v) }
    }

    /// A new list of a range's elements, last first when `reversed` (`list(r)`,
    /// `reversed(r)`), made from its bounds: no iterator and no array in between,
    /// which cost more than the list (`for i in reversed(0..<n)` was 12% of
    /// nqueens).
    func list(of r: RangeObj, reversed: Bool) throws -> Word {
        let n = r.count
        try AllocationLimit.check(n, stride: MemoryLayout<Word>.stride, "list of range")
        try checkSize(n, .list)
        return .handedOff(ListObj(count: n, handingOff: true) { p in
            for i in 0..<n { (p + i).initialize(to: .int(r.element(reversed ? n &- 1 &- i : i))) }
        }, tag: Word.listTag)
    }

    /// The elements of an iterable as an array.
    func collect(_ x: Word) throws -> [Word] {
        if case .list(let l) = x.unpacked { return l.snapshot }
        var capacity = 0
        if case .object(let r as RangeObj) = x.unpacked {
            // A range may be lazily huge: refuse at once what could never be held.
            let n = r.count
            try AllocationLimit.check(n, stride: MemoryLayout<Word>.stride, "list of range")
            try checkSize(n, .list)
            capacity = n
        }
        // The items may be new objects that nothing else refers to (a string's
        // characters, what a script iterator makes), and a script `next` may reach a
        // safepoint: gather them in a list this Swift reference keeps alive (rule C3),
        // and root the result until the native or frame that asked is done.
        let held = ListObj(capacity: capacity)
        let limits = core.limits
        try iterate(x) {
            if held.count >= limits.bound(.list) { throw limits.error(.list, held.count &+ 1) }
            held.appendUnlocked($0)
        }
        let out = held.copyItems
        Heap.keep(out)
        return out
    }

    // MARK: - Text

    /// str(x), honouring `to_str()`.
    func str(_ v: Word) throws -> String {
        if case .str(let s) = v.unpacked { return s.value }
        return try v.format(repr: false, vm: self)
    }

    /// repr(x): strings quoted.
    func repr(_ v: Word) throws -> String {
        try v.format(repr: true, vm: self)
    }

    /// Writes one print call's text.
    func write(_ text: String) { core.output(text) }

    /// Reads a line for `input()`; nil at end of input.
    func readLine(prompt: String) -> String? { core.input(prompt) }
}
