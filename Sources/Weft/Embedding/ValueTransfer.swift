// A `Value` belongs to the interpreter it came from (issue 10, item 8). Handed to
// another interpreter (as an argument of a call, a global, a native function's
// result), plain data is copied — nil, bool, int, float, str and bytes are immutable
// and shared as they are; lists and maps are copied deeply, so the two interpreters
// never share a mutable container — and anything else (functions, script objects,
// host objects, threads, queues...) raises a TypeError naming the type.
//
// A list or map the host built belongs to the interpreter its items came from. One
// built from values of several interpreters is `mixed`: every interpreter it is
// handed to gets a deep copy, so it may hold plain data only.

extension Value {
    /// The deepest list/map nesting a transfer copies.
    static let maxTransferDepth = 512

    /// This value as a word for a script of `vm`'s interpreter (see above). The
    /// common case, a value of that interpreter or one the host built, is a
    /// comparison.
    @inline(__always)
    func word(in vm: VM) throws -> Word {
        guard needsTransfer(to: vm.core) else { return word }
        return try Value.transfer(word, vm: vm, depth: 0)
    }

    /// Whether handing this value to `target` copies it (or fails).
    func needsTransfer(to target: InterpreterCore) -> Bool {
        if mixed { return true }
        guard let from = core else { return false }
        return from !== target
    }

    private static func transfer(_ w: Word, vm: VM, depth: Int) throws -> Word {
        if w.isNil || w.isBool || w.isInt || w.isFloat || w.isStr { return w }
        if depth > maxTransferDepth {
            throw ScriptThrow.valueError("a value from another interpreter is nested too deeply to copy")
        }
        if w.isList {
            let items = w.listUnchecked.copyItems
            Heap.keep(items)
            return .list(ListObj(try items.map { try transfer($0, vm: vm, depth: depth + 1) }))
        }
        if w.isMap {
            let entries = w.mapUnchecked.entries
            Heap.keep(entries.flatMap { [$0.key, $0.value] })
            let m = MapObj()
            let result = Word.map(m)
            Heap.keep([result])
            for (k, v) in entries {
                try vm.mapSet(m, try transfer(k, vm: vm, depth: depth + 1), try transfer(v, vm: vm, depth: depth + 1))
            }
            return result
        }
        if w.isObjectTag, w.objectUnchecked is BytesObj { return w }
        throw ScriptThrow.typeError(
            "a '\(w.typeName)' value belongs to another interpreter and cannot be passed to this one " +
            "(only nil, bool, int, float, str, bytes, list and map values are copied between interpreters)")
    }
}
