// `import random` (§8): `int(a, b)` (inclusive), `float()` in [0, 1), `uniform(a, b)`,
// `choice(xs)`, `shuffle(xs)` (in place), `seed(n)`.
//
// Each module instance (one per interpreter) owns a xoshiro256** generator, seeded
// from system randomness, guarded by a PosixLock so that many threads may draw from it
// at once (PosixLock, not Synchronization.Mutex, so ThreadSanitizer sees the locking).
// `seed(n)` makes the sequence that follows deterministic (across runs, when one
// thread draws); `seed()` / `seed(nil)` reseeds from system randomness.

/// The generator of one `random` module: xoshiro256**, seeded through splitmix64.
final class RandomState: @unchecked Sendable {
    private let lock = PosixLock()
    private var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0

    init() { reseedFromSystem() }

    init(seed: UInt64) { self.seed(seed) }

    func seed(_ seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix()
        lock.lock(); defer { lock.unlock() }
        s0 = a; s1 = b; s2 = c; s3 = d
    }

    func reseedFromSystem() {
        var g = SystemRandomNumberGenerator()
        seed(g.next())
    }

    /// Runs `body` with the lock held; `body` draws with `nextUnlocked`.
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    /// The next 64 random bits. The caller holds the lock.
    func nextUnlocked() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in 0..<bound (bound > 0), without modulo bias (Lemire). The caller holds the lock.
    func belowUnlocked(_ bound: UInt64) -> UInt64 {
        var m = nextUnlocked().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = nextUnlocked().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    func next() -> UInt64 { withLock { nextUnlocked() } }
    func below(_ bound: UInt64) -> UInt64 { withLock { belowUnlocked(bound) } }

    /// Uniform in [0, 1) with 53 random bits.
    func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

enum RandomModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        let rng = RandomState()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        def("int") { _, _, args in
            try args.check(min: 0, max: 2, keywords: ["a", "b"])
            let a = try MethodSupport.int(try MethodSupport.required(args, 0, "a"), "int", "a")
            let b = try MethodSupport.int(try MethodSupport.required(args, 1, "b"), "int", "b")
            if a > b { throw ScriptThrow.valueError("empty range for int(\(a), \(b))") }
            let width = UInt64(bitPattern: Int64(b &- a)) &+ 1      // 0: the whole 64-bit range
            let r = width == 0 ? rng.next() : rng.below(width)
            return .int(a &+ Int(Int64(bitPattern: r)))
        }
        def("float") { _, _, args in
            try args.check(min: 0, max: 0)
            return .float(rng.unit())
        }
        def("uniform") { _, _, args in
            try args.check(min: 0, max: 2, keywords: ["a", "b"])
            let a = try MethodSupport.number(try MethodSupport.required(args, 0, "a"), "uniform", "a")
            let b = try MethodSupport.number(try MethodSupport.required(args, 1, "b"), "uniform", "b")
            return .float(a + (b - a) * rng.unit())
        }
        def("choice") { vm, _, args in
            try args.check(min: 1, max: 1)
            let empty = ScriptThrow.indexError("cannot choose from an empty sequence")
            switch args[0].unpacked {
            case .list(let l):
                let v: Word? = l.locked {
                    let n = l.count
                    return n == 0 ? nil : l.get(Int(rng.below(UInt64(n))))
                }
                guard let v = v else { throw empty }
                return v
            case .str(let s):
                if s.count == 0 { throw empty }
                return StrObj.char(s.scalar(at: Int(rng.below(UInt64(s.count)))))
            case .object(let o as RangeObj):
                let n = o.count
                if n <= 0 { throw empty }
                return .int(o.start &+ Int(rng.below(UInt64(n))) &* o.step)
            case .object(let o as BytesObj):
                if o.bytes.isEmpty { throw empty }
                return .int(Int(o.bytes[Int(rng.below(UInt64(o.bytes.count)))]))
            default:
                let items = try vm.collect(args[0])
                if items.isEmpty { throw empty }
                return items[Int(rng.below(UInt64(items.count)))]
            }
        }
        def("shuffle") { _, _, args in
            try args.check(min: 1, max: 1)
            guard case .list(let l) = args[0].unpacked else {
                throw ScriptThrow.typeError("shuffle() argument must be a list, not \(args[0].typeName)")
            }
            try l.locked {
                if l.frozen { throw ScriptThrow.frozen("list") }
                let n = l.count
                if n < 2 { return }
                rng.withLock {
                    var i = n - 1
                    while i > 0 {
                        let j = Int(rng.belowUnlocked(UInt64(i + 1)))
                        l.swapUnlocked(i, j)
                        i -= 1
                    }
                }
            }
            return .nil
        }
        def("seed") { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["n"])
            let v = try args.arg(0, "n") ?? .nil
            switch v.unpacked {
            case .nil: rng.reseedFromSystem()
            case .int(let i): rng.seed(UInt64(bitPattern: Int64(i)))
            case .bool(let b): rng.seed(b ? 1 : 0)
            case .float(let d):
                // Integral floats seed like the equal int (1.0 like 1).
                if d.rounded() == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 {
                    rng.seed(UInt64(bitPattern: Int64(d)))
                } else {
                    rng.seed(d.bitPattern)
                }
            case .str(let s):
                var h: UInt64 = 0xcbf2_9ce4_8422_2325          // FNV-1a: stable across runs
                for b in s.value.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                rng.seed(h)
            default:
                throw ScriptThrow.typeError("seed() argument must be int, float, str or nil, not \(v.typeName)")
            }
            return .nil
        }
        return ModuleObj(name: "random", globals: g)
    }
}
