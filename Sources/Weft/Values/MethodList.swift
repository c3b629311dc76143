// The native methods of one kind of runtime object, searched linearly by
// symbol: for the handful of methods each object has this beats hashing, and
// the raw buffers mean a lookup neither retains nor bounds-checks.

final class MethodList: @unchecked Sendable {
    let names: [String]
    private let count: Int
    private let syms: UnsafeMutablePointer<Int32>
    private let fns: UnsafeMutablePointer<NativeFn>

    init(_ entries: [NativeEntry]) {
        names = entries.map(\.name)
        count = entries.count
        syms = .allocate(capacity: max(count, 1))
        fns = .allocate(capacity: max(count, 1))
        for (i, e) in entries.enumerated() {
            (syms + i).initialize(to: Symbols.intern(e.name))
            (fns + i).initialize(to: NativeFn(e.name, e.body))
        }
    }

    deinit {
        syms.deallocate()
        fns.deinitialize(count: count)
        fns.deallocate()
    }

    @inline(__always) func find(_ sym: Int32) -> NativeFn? {
        var i = 0
        while i < count {
            if syms[i] == sym { return fns[i] }
            i += 1
        }
        return nil
    }

    @inline(__always) subscript(sym: Int32) -> NativeFn? { find(sym) }
}
