// Iterative destruction. Releasing the last reference to a list nested a million
// deep (or a chain of a million instances, cells or closures) would otherwise run a
// million nested Swift `deinit`s and overflow the native stack. Every object that
// holds values calls `Reclaim.release` from its deinit: children that are about to
// die with it (uniquely referenced objects that hold values themselves) are moved
// onto a local worklist and dismantled one at a time, so the nesting of deinits
// stays bounded whatever the shape of the data. Children that others still
// reference, and leaves (ints, strings, bytes...), are released as before; a dying
// object with no dying holders among its children costs one scan of its tags and
// no allocation. The same on every thread: no thread-local state is needed.

enum Reclaim {
    /// Called by a dying object with its child values.
    @inline(__always) static func release(_ items: inout [Value]) {
        if items.isEmpty { return }
        releaseSlow(&items)
    }

    /// Called by a dying object that holds a single value.
    @inline(__always) static func release(_ item: inout Value) {
        guard let v = takeIfDying(&item) else { return }
        var work = [v]
        drain(&work)
    }

    @inline(never) static func releaseSlow(_ items: inout [Value]) {
        var work: [Value] = []
        steal(&items, into: &work)
        if !work.isEmpty { drain(&work) }
    }

    /// Dismantles the objects on `work`: each gives up its dying children to the
    /// worklist and is then released, its deinit finding nothing left to recurse into.
    static func drain(_ work: inout [Value]) {
        while let v = work.popLast() {
            switch v {
            case .list(let l): steal(&l.items, into: &work)
            case .map(let m):
                steal(&m.keys, into: &work)
                steal(&m.vals, into: &work)
            case .instance(let i): steal(&i.values, into: &work)
            case .function(let c): steal(&c.captures, into: &work)
            case .object(let o):
                if let c = o as? Cell {
                    if let x = takeIfDying(&c.stored) { work.append(x) }
                } else if let b = o as? BoundMethod {
                    if let x = takeIfDying(&b.receiver) { work.append(x) }
                    if let x = takeIfDying(&b.method) { work.append(x) }
                }
            default: break
            }
        }
    }

    @inline(__always) static func steal(_ items: inout [Value], into work: inout [Value]) {
        let n = items.count
        if n == 0 { return }
        items.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            for i in 0..<n {
                if let v = takeIfDying(&base[i]) { work.append(v) }
            }
        }
    }

    /// If `slot` holds an object that holds values (list, map, instance, function,
    /// cell, bound method), moves it out, leaving nil: returns it when this was the
    /// last reference (it is about to die: the caller dismantles it), else releases
    /// it at once. Releasing shared children one by one, before looking at the next
    /// slot, means a child referenced twice by one dying object (`x = [x, x]`) is
    /// seen as dying at its last slot, and so is dismantled here too.
    @inline(__always) static func takeIfDying(_ slot: inout Value) -> Value? {
        switch slot {
        case .list, .map, .instance, .function: break
        case .object:
            let holder = withUnsafeMutablePointer(to: &slot) { p in
                p.withUnretained(Obj.self) { o in type(of: o) == Cell.self || type(of: o) == BoundMethod.self }
            }
            if !holder { return nil }
        default: return nil
        }
        var v = Value.nil
        swap(&v, &slot)                 // a move: no reference counting
        // Every reference case keeps its object pointer at offset 0 (see
        // `unretained` in VM.swift): check that object's reference count in place.
        let unique = withUnsafeMutablePointer(to: &v) { p in
            isKnownUniquelyReferenced(&UnsafeMutableRawPointer(p).assumingMemoryBound(to: Obj.self).pointee)
        }
        return unique ? v : nil
    }
}
