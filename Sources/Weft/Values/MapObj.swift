// The insertion-ordered hash map behind `{k: v}` (the compact-dict layout CPython
// uses): entries live in insertion order in parallel arrays, and an open-addressed
// index table of Int32 points into them. Deleted entries become tombstones that are
// squeezed out when the table is rebuilt.
//
// Hashing and equality are supplied by the caller (the VM), because a key's `eq`
// and `hash` may be script methods. All methods here assume the caller holds the
// map's lock when several threads exist; none of them runs script code (a key whose
// comparison needs script code is handed back to the caller by `probe`, which calls
// it with the map unlocked: VM/MapAccess.swift).

final class MapObj: Obj {
    @exclusivity(unchecked) var keys: [Word] = []     // tombstone: Word.missing
    @exclusivity(unchecked) var vals: [Word] = []
    @exclusivity(unchecked) var hashes: [Int] = []
    @exclusivity(unchecked) var table: [Int32] = []     // -1 empty; else entry index
    @exclusivity(unchecked) var live = 0
    @exclusivity(unchecked) var frozen = false
    /// Bumped whenever entries move or disappear (remove, rebuild, clear), not by an
    /// insert that fits: an entry index or probe position found before unlocking is
    /// still valid if this is unchanged (as in CPython's dict lookup).
    @exclusivity(unchecked) var version = 0

    override init() { super.init() }


    override var typeName: String { "map" }
    override func trace(_ m: inout Marker) { m.mark(all: keys); m.mark(all: vals) }

    /// Live entry count (locked read).
    var count: Int { locked { live } }

    @inline(__always) private var mask: Int { table.count - 1 }

    /// Index of the entry holding `key`, or nil.
    @inline(__always)
    func find(_ key: Word, hash: Int, eq: (Word, Word) throws -> Bool) rethrows -> Int? {
        if table.isEmpty { return nil }
        var i = hash & mask
        while true {
            let e = Int(table[i])
            if e < 0 { return nil }
            if hashes[e] == hash {
                let k = keys[e]
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
    /// comparing keys with `simpleEq` when neither needs script code.
    @inline(__always)
    func probe(_ key: Word, hash: Int, after: Int?, simpleEq: (Word, Word) -> Bool) -> Probe {
        if table.isEmpty { return .absent }
        var i = after.map { ($0 + 1) & mask } ?? (hash & mask)
        let simpleKey = key.comparesWithoutScript
        while true {
            let e = Int(table[i])
            if e < 0 { return .absent }
            if hashes[e] == hash {
                let k = keys[e]
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

    /// Appends a new entry for a key known to be absent.
    func insertNew(_ key: Word, hash: Int, value: Word) {
        if (keys.count + 1) * 3 >= table.count * 2 { rebuild(minCapacity: live + 1) }
        let e = keys.count
        keys.append(key); vals.append(value); hashes.append(hash)
        live += 1
        var i = hash & mask
        while table[i] >= 0 { i = (i + 1) & mask }
        table[i] = Int32(e)
    }

    /// Removes entry `e`, returning its value.
    func removeEntry(_ e: Int) -> Word {
        let v = vals[e]
        keys[e] = .missing
        vals[e] = .nil
        live -= 1
        version &+= 1
        if live == 0 { removeAll() }
        return v
    }

    /// Stores `value` under `key`, keeping the original position of an existing key
    /// (for maps no other thread can see yet, whose keys compare without script code).
    func set(_ key: Word, hash: Int, value: Word, eq: (Word, Word) throws -> Bool) rethrows {
        if let e = try find(key, hash: hash, eq: eq) {
            vals[e] = value
            return
        }
        insertNew(key, hash: hash, value: value)
    }

    func removeAll() {
        keys = []; vals = []; hashes = []; table = []; live = 0
        version &+= 1
    }

    /// Rehashes into a table sized for `minCapacity`, dropping tombstones.
    private func rebuild(minCapacity: Int) {
        version &+= 1
        if live != keys.count {
            var nk: [Word] = [], nv: [Word] = [], nh: [Int] = []
            nk.reserveCapacity(live); nv.reserveCapacity(live); nh.reserveCapacity(live)
            for i in 0..<keys.count where !keys[i].isMissing {
                nk.append(keys[i]); nv.append(vals[i]); nh.append(hashes[i])
            }
            keys = nk; vals = nv; hashes = nh
        }
        var size = 8
        while size * 2 < minCapacity * 3 + 3 { size <<= 1 }
        table = [Int32](repeating: -1, count: size)
        let m = size - 1
        for e in 0..<keys.count {
            var i = hashes[e] & m
            while table[i] >= 0 { i = (i + 1) & m }
            table[i] = Int32(e)
        }
    }

    /// Live entries in insertion order (a consistent copy).
    var entries: [(key: Word, value: Word)] {
        locked {
            var out: [(key: Word, value: Word)] = []
            out.reserveCapacity(live)
            for i in 0..<keys.count where !keys[i].isMissing { out.append((keys[i], vals[i])) }
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

    /// Replaces this map's entries (it is new, seen by no other thread) with `src`'s.
    func copyEntries(from src: MapObj) {
        src.locked {
            keys = unsharedUnderTSan(src.keys); vals = unsharedUnderTSan(src.vals)
            hashes = unsharedUnderTSan(src.hashes); table = unsharedUnderTSan(src.table)
            live = src.live
        }
    }

    var keyList: [Word] {
        locked { keys.filter { !$0.isMissing } }
    }
}
