// The insertion-ordered hash map behind `{k: v}` (the compact-dict layout CPython
// uses): entries (hash, key, value) in insertion order, and an open-addressed index
// table of Int32 pointing into them, all in one collector-owned block (Heap/
// WordBlock.swift). Deleted entries become tombstones (key `Word.missing`) that are
// squeezed out when the block is rebuilt.
//
// Writers hold the map's lock. A rebuild fills a new block, publishes it and retires
// the old one, so script threads look keys up without the lock (`lookup`): an entry
// is written before the table slot that points to it is published (release), and a
// reader loads the slot with acquire ordering, so a slot it finds leads to a whole
// entry of the block it loaded. A removed entry keeps its value word: a racing reader
// that matched the key just before returns the old value (alive until the next
// collection, which cannot start while the reader is between safepoints).
//
// Hashing and equality are supplied by the caller (the VM), because a key's `eq`
// and `hash` may be script methods. The methods marked "locked" assume the caller
// holds the map's lock when several threads exist; none of them runs script code (a
// key whose comparison needs script code is handed back to the caller by `probe`,
// which calls it with the map unlocked: VM/MapAccess.swift).
import Synchronization
import CWeftSupport

/// A map block's layout: word 0 the entry capacity C, word 1 the table size T (a
/// power of two, at least 8, or 0 for the empty block), then C entries of three words
/// (hash, key, value), then T Int32 slots (-1 empty, else an entry index).
struct MapBlock {
    let block: WordBlock

    static let empty = MapBlock(block: {
        let b = WordBlock.allocate(capacity: 2)
        b.words[0] = Word(bits: 0); b.words[1] = Word(bits: 0)
        return b
    }())

    init(block: WordBlock) { self.block = block }
    init(address: Int) { block = WordBlock(address: address) }

    /// A block for `capacity` entries with a table of `tableSize` slots, all empty.
    init(capacity: Int, tableSize: Int) {
        block = WordBlock.allocate(capacity: 2 + 3 * capacity + tableSize / 2)
        block.words[0] = Word(bits: UInt64(capacity))
        block.words[1] = Word(bits: UInt64(tableSize))
        (block.words + 2).initialize(repeating: .nil, count: 3 * capacity)
        slots.initialize(repeating: -1, count: tableSize)
    }

    var address: Int { block.address }
    var isEmpty: Bool { tableSize == 0 }
    @inline(__always) var capacity: Int { Int(truncatingIfNeeded: block.words[0].bits) }
    @inline(__always) var tableSize: Int { Int(truncatingIfNeeded: block.words[1].bits) }
    @inline(__always) private var slots: UnsafeMutablePointer<Int32> {
        UnsafeMutableRawPointer(block.words + 2 + 3 * capacity).assumingMemoryBound(to: Int32.self)
    }

    @inline(__always) func slot(_ i: Int) -> Int { Int(weft_load_slot(slots + i)) }
    @inline(__always) func setSlot(_ i: Int, _ e: Int) { weft_store_slot(slots + i, Int32(e)) }
    @inline(__always) func hash(_ e: Int) -> Int { Int(bitPattern: UInt(block.load(2 + 3 * e).bits)) }
    @inline(__always) func key(_ e: Int) -> Word { block.load(3 + 3 * e) }
    @inline(__always) func value(_ e: Int) -> Word { block.load(4 + 3 * e) }
    @inline(__always) func setHash(_ e: Int, _ h: Int) { block.store(2 + 3 * e, Word(bits: UInt64(bitPattern: Int64(h)))) }
    @inline(__always) func setKey(_ e: Int, _ k: Word) { block.store(3 + 3 * e, k) }
    @inline(__always) func setValue(_ e: Int, _ v: Word) { block.store(4 + 3 * e, v) }
}

final class MapObj: Obj {
    private let blockAddress = Atomic<Int>(MapBlock.empty.address)
    /// Entries in use in the current block, tombstones included (written under the lock).
    @exclusivity(unchecked) private(set) var used = 0
    private let liveCount = Atomic<Int>(0)
    @exclusivity(unchecked) var frozen = false
    /// Bumped whenever entries move or disappear (remove, rebuild, clear), not by an
    /// insert that fits: an entry index or probe position found before unlocking is
    /// still valid if this is unchanged (as in CPython's dict lookup).
    @exclusivity(unchecked) var version = 0

    init() { super.init() }

    /// Runs in the collector's release of a dead map: no reader remains.
    deinit { _ = releaseOwnedStorage() }
    override func releaseOwnedStorage() -> Bool {
        if !storage.isEmpty { storage.block.free() }
        return true
    }

    override var typeName: String { "map" }
    override var rescannedWhenOld: Bool { false }
    override func trace(_ m: inout Marker) {
        let b = storage
        if !b.isEmpty { m.countBytes(b.block.capacity &* 8) }
        for e in 0..<min(used, b.capacity) {
            let k = b.key(e)
            if !k.isMissing { m.mark(k); m.mark(b.value(e)) }
        }
    }

    @inline(__always) var storage: MapBlock { MapBlock(address: blockAddress.load(ordering: .acquiring)) }

    /// Live entry count.
    var count: Int { liveCount.load(ordering: .relaxed) }

    // MARK: Lock-free lookup (script threads; rule C4)

    enum Lookup { case found(Word), absent, needsLock }

    /// Looks `key` up without the lock, comparing with `simpleEq`; `.needsLock` when
    /// an entry with the same hash has a key whose comparison may run script code.
    @inline(__always)
    func lookup(_ key: Word, hash: Int, simpleEq: (Word, Word) -> Bool) -> Lookup {
        let b = storage
        if b.isEmpty { return .absent }
        let mask = b.tableSize - 1
        var i = hash & mask
        while true {
            let e = b.slot(i)
            if e < 0 { return .absent }
            if b.hash(e) == hash {
                let k = b.key(e)
                if k.isIdentical(to: key) { return .found(b.value(e)) }
                if !k.isMissing {
                    guard k.comparesWithoutScript else { return .needsLock }
                    if simpleEq(k, key) { return .found(b.value(e)) }
                }
            }
            i = (i + 1) & mask
        }
    }

    // MARK: Locked operations

    /// Index of the entry holding `key`, or nil (locked).
    @inline(__always)
    func find(_ key: Word, hash: Int, eq: (Word, Word) throws -> Bool) rethrows -> Int? {
        let b = storage
        if b.isEmpty { return nil }
        let mask = b.tableSize - 1
        var i = hash & mask
        while true {
            let e = b.slot(i)
            if e < 0 { return nil }
            if b.hash(e) == hash {
                let k = b.key(e)
                if !k.isMissing, try eq(k, key) { return e }
            }
            i = (i + 1) & mask
        }
    }

    /// What `probe` found.
    enum Probe {
        case found(entry: Int)
        case absent
        /// Entry `entry`, at table slot `slot`, has the same hash and a key whose
        /// comparison may run script code: the caller decides, unlocked.
        case compare(slot: Int, entry: Int, key: Word)
    }

    /// Looks for `key` from the home slot of `hash` (or from the slot after `after`),
    /// comparing keys with `simpleEq` when neither needs script code (locked).
    @inline(__always)
    func probe(_ key: Word, hash: Int, after: Int?, simpleEq: (Word, Word) -> Bool) -> Probe {
        let b = storage
        if b.isEmpty { return .absent }
        let mask = b.tableSize - 1
        var i = after.map { ($0 + 1) & mask } ?? (hash & mask)
        let simpleKey = key.comparesWithoutScript
        while true {
            let e = b.slot(i)
            if e < 0 { return .absent }
            if b.hash(e) == hash {
                let k = b.key(e)
                if !k.isMissing {
                    if k.isIdentical(to: key) { return .found(entry: e) }
                    if simpleKey && k.comparesWithoutScript {
                        if simpleEq(k, key) { return .found(entry: e) }
                    } else {
                        return .compare(slot: i, entry: e, key: k)
                    }
                }
            }
            i = (i + 1) & mask
        }
    }

    /// The value of entry `e` (locked, or `e` from a lookup of this block).
    @inline(__always) func value(at e: Int) -> Word { storage.value(e) }

    /// Replaces the value of entry `e` (locked).
    @inline(__always) func setValue(at e: Int, _ v: Word) {
        storage.setValue(e, v)
        Heap.noteStore(into: self, v)
    }

    /// Appends a new entry for a key known to be absent (locked).
    func insertNew(_ key: Word, hash: Int, value: Word) {
        var b = storage
        if used == b.capacity || (used + 1) * 3 >= b.tableSize * 2 {
            rebuild(minCapacity: count + 1)
            b = storage
        }
        let e = used
        b.setHash(e, hash); b.setKey(e, key); b.setValue(e, value)
        used = e + 1
        let mask = b.tableSize - 1
        var i = hash & mask
        while b.slot(i) >= 0 { i = (i + 1) & mask }
        b.setSlot(i, e)
        liveCount.store(count + 1, ordering: .relaxed)
        Heap.noteStore(into: self, key)
        Heap.noteStore(into: self, value)
    }

    /// Removes entry `e`, returning its value (locked). The value word stays (see
    /// the header comment); the collector no longer traces it.
    func removeEntry(_ e: Int) -> Word {
        let b = storage
        let v = b.value(e)
        b.setKey(e, .missing)
        liveCount.store(count - 1, ordering: .relaxed)
        version &+= 1
        if count == 0 { removeAll() }
        return v
    }

    /// Stores `value` under `key`, keeping the original position of an existing key
    /// (for maps no other thread can see yet, whose keys compare without script code).
    func set(_ key: Word, hash: Int, value: Word, eq: (Word, Word) throws -> Bool) rethrows {
        if let e = try find(key, hash: hash, eq: eq) {
            setValue(at: e, value)
            return
        }
        insertNew(key, hash: hash, value: value)
    }

    /// Empties the map (locked).
    func removeAll() {
        publish(MapBlock.empty, used: 0)
        liveCount.store(0, ordering: .relaxed)
        version &+= 1
    }

    /// Copies the live entries into a block sized for `minCapacity`, dropping
    /// tombstones, and publishes it (locked).
    private func rebuild(minCapacity: Int) {
        version &+= 1
        fill(from: storage, used: used, minCapacity: minCapacity)
    }

    /// Publishes a new block holding the live entries among the first `oldUsed` of
    /// `old` (this map's block or another's), with room for `minCapacity`.
    private func fill(from old: MapBlock, used oldUsed: Int, minCapacity: Int) {
        var size = 8
        while size * 2 < minCapacity * 3 + 3 { size <<= 1 }
        let new = MapBlock(capacity: size * 2 / 3, tableSize: size)
        let mask = size - 1
        var n = 0
        for e in 0..<oldUsed {
            let k = old.key(e)
            if k.isMissing { continue }
            let h = old.hash(e)
            new.setHash(n, h); new.setKey(n, k); new.setValue(n, old.value(e))
            var i = h & mask
            while new.slot(i) >= 0 { i = (i + 1) & mask }
            new.setSlot(i, n)
            n += 1
        }
        publish(new, used: n)
    }

    private func publish(_ new: MapBlock, used n: Int) {
        let old = storage
        used = n
        blockAddress.store(new.address, ordering: .releasing)
        if !old.isEmpty { Heap.retire(old.block) }
        Heap.noteGrowth(of: self, bytes: new.block.capacity * 8)
    }

    /// Calls `body` with each live entry's index, in insertion order (locked).
    func forEachEntry(_ body: (Int) throws -> Void) rethrows {
        let b = storage
        for e in 0..<used where !b.key(e).isMissing { try body(e) }
    }

    /// Live entries in insertion order (a consistent copy).
    var entries: [(key: Word, value: Word)] {
        locked {
            let b = storage
            var out: [(key: Word, value: Word)] = []
            out.reserveCapacity(count)
            forEachEntry { out.append((b.key($0), b.value($0))) }
            return out
        }
    }

    var keyList: [Word] {
        locked {
            let b = storage
            var out: [Word] = []
            out.reserveCapacity(count)
            forEachEntry { out.append(b.key($0)) }
            return out
        }
    }

    /// A mutable copy with the same entries, order and hashes (no rehashing, so no
    /// script `hash` methods run).
    func entriesCopy() -> MapObj {
        let n = MapObj()
        n.copyEntries(from: self)
        return n
    }

    /// Replaces this map's entries (it is new, seen by no other thread) with `src`'s,
    /// compacted, with their hashes (no script `hash` runs).
    func copyEntries(from src: MapObj) {
        let live = src.locked {
            if src.count > 0 { fill(from: src.storage, used: src.used, minCapacity: src.count) }
            return src.count
        }
        liveCount.store(live, ordering: .relaxed)
        Heap.noteBulkStore(into: self)
    }

    /// Replaces every live value with `transform(value)` (a map no other thread
    /// can see yet: deep copies).
    func transformValues(_ transform: (Word) throws -> Word) rethrows {
        let b = storage
        try forEachEntry { e in setValue(at: e, try transform(b.value(e))) }
    }
}
