// Map get, set and remove. No script code runs while a map's lock is held: a key's
// script `hash` runs before locking, and when a probe meets a stored key whose
// comparison needs a script `eq` (an instance whose class defines `eq`, or a frozen
// list or map that may hold one), the map is unlocked, `eq` runs, and the search
// resumes under the lock only if the map's `version` shows that no entry moved in
// between; otherwise it starts over. So `eq` may read, mutate or block on the map,
// or start the first thread, and no other thread ever spins on a lock held by script
// code (docs/concurrency-model.md, "No script code under an object lock").

extension Word {
    /// Whether comparing this value as a map key can never run script code.
    @inline(__always) var comparesWithoutScript: Bool {
        if !isHeap || isStr || isFunction { return true }
        if isList || isMap { return false }
        return withObject(Obj.self) { o in
            guard o is Instance else { return true }
            return unsafeDowncast(o, to: Instance.self).cls.findMethodSlot(Symbols.eq) == nil
        }
    }
}

extension VM {
    /// A map that keeps changing while its keys' `eq` methods run makes lookups
    /// start over; after this many restarts the operation gives up.
    static let maxMapRestarts = 1_000

    /// Runs `body` with `m` locked and the entry index of `k` (nil when absent).
    @inline(__always)
    func withMapEntry<R>(_ m: MapObj, _ k: Word, hash h: Int, _ body: (Int?) throws -> R) throws -> R {
        var resumeAfter: Int?        // slot whose key a script `eq` found unequal
        var confirmed: Int?          // entry whose key a script `eq` found equal
        var version = 0
        var restarts = 0
        while true {
            var result: R?
            var pending: (slot: Int, entry: Int, key: Word)?
            try m.locked {
                if resumeAfter != nil || confirmed != nil, m.version != version {
                    resumeAfter = nil; confirmed = nil
                    restarts += 1
                    if restarts > VM.maxMapRestarts {
                        throw ScriptThrow.runtimeError("map changed while its keys were being compared")
                    }
                }
                if let e = confirmed { result = try body(e); return }
                switch m.probe(k, hash: h, after: resumeAfter, simpleEq: simpleKeysEqual) {
                case .found(let e): result = try body(e)
                case .absent: result = try body(nil)
                case .compare(let slot, let entry, let key):
                    pending = (slot, entry, key)
                    version = m.version
                }
            }
            if let r = result { return r }
            guard let p = pending else { continue }
            // Unlocked: the stored key's (or the looked-up key's) script `eq`.
            if try equals(p.key, k) { confirmed = p.entry } else { resumeAfter = p.slot }
        }
    }

    /// Equality of two keys that compare without script code.
    @inline(__always) private func simpleKeysEqual(_ a: Word, _ b: Word) -> Bool {
        if a.isStr && b.isStr { return strEqual(a, b) }
        if a.isSmallInt && b.isSmallInt { return a.bits == b.bits }
        return (try? equals(a, b)) ?? false
    }

    /// `m[k]`: without the map's lock when `k` and the keys it meets compare
    /// without script code (MapObj.lookup), else through `withMapEntry`.
    func mapGet(_ m: MapObj, _ k: Word) throws -> Word? {
        let h = try hash(k)
        if k.comparesWithoutScript {
            switch m.lookup(k, hash: h, simpleEq: simpleKeysEqual) {
            case .found(let v): return v
            case .absent: return nil
            case .needsLock: break
            }
        }
        return try withMapEntry(m, k, hash: h) { e in e.map { m.value(at: $0) } }
    }

    func mapSet(_ m: MapObj, _ k: Word, _ v: Word) throws {
        let h = try hash(k)
        // The bound as a plain integer, so the closure does not capture the VM.
        let bound = core.limits.bound(.map)
        if k.comparesWithoutScript {
            // The common case in one locked probe, with nothing retained: the closures
            // capture the map and the VM without counting (both outlive the call).
            let vm = Unmanaged.passUnretained(self)
            let outcome = try m.locked { () throws -> SetOutcome in
                if m.frozen { throw ScriptThrow.frozen("map") }
                let found = m.probe(k, hash: h, after: nil) { a, b in
                    vm._withUnsafeGuaranteedRef { $0.simpleKeysEqual(a, b) }
                }
                switch found {
                case .found(let e):
                    m.setValue(at: e, v)
                    return .stored
                case .absent:
                    if m.count >= bound { return .full }
                    m.insertNew(k, hash: h, value: v)
                    return .stored
                case .compare:
                    return .needsScriptEq
                }
            }
            switch outcome {
            case .stored: return
            case .full: throw sizeExceeded(bound &+ 1, .map)
            case .needsScriptEq: break
            }
        }
        let full = try withMapEntry(m, k, hash: h) { e -> Bool in
            if m.frozen { throw ScriptThrow.frozen("map") }
            if let e = e {
                m.setValue(at: e, v)
            } else {
                if m.count >= bound { return true }
                m.insertNew(k, hash: h, value: v)
            }
            return false
        }
        if full { throw sizeExceeded(bound &+ 1, .map) }
    }

    /// How `mapSet`'s locked fast path ended.
    private enum SetOutcome { case stored, full, needsScriptEq }

    func mapRemove(_ m: MapObj, _ k: Word) throws -> Word? {
        let h = try hash(k)
        return try withMapEntry(m, k, hash: h) { e in
            if m.frozen { throw ScriptThrow.frozen("map") }
            return e.map { m.removeEntry($0) }
        }
    }
}
