// Methods of `str` (§8). Strings are immutable sequences of Unicode scalars; every
// index these methods take or return counts scalars. Searching works on the UTF-8
// bytes: UTF-8 is self-synchronising, so a byte match of a valid needle always
// starts and ends on scalar boundaries, and matches are the same as scalar matches.

enum StrMethods {
    static let methods: [NativeEntry] = [
        NativeEntry("upper", { _, r, args in
            try args.check(min: 0, max: 0)
            let s = try MethodSupport.strReceiver(r, "upper")
            return s.isASCII && !s.withUTF8Bytes({ $0.contains(where: { $0 >= 0x61 && $0 <= 0x7a }) })
                ? r : .string(s.value.uppercased())
        }),
        NativeEntry("lower", { _, r, args in
            try args.check(min: 0, max: 0)
            let s = try MethodSupport.strReceiver(r, "lower")
            return s.isASCII && !s.withUTF8Bytes({ $0.contains(where: { $0 >= 0x41 && $0 <= 0x5a }) })
                ? r : .string(s.value.lowercased())
        }),
        NativeEntry("strip", { _, r, args in try strip(r, args, "strip", left: true, right: true) }),
        NativeEntry("lstrip", { _, r, args in try strip(r, args, "lstrip", left: true, right: false) }),
        NativeEntry("rstrip", { _, r, args in try strip(r, args, "rstrip", left: false, right: true) }),
        NativeEntry("split", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["sep"])
            let s = try MethodSupport.strReceiver(r, "split")
            let sepV = try args.arg(0, "sep") ?? .nil
            if case .nil = sepV.unpacked { return .list(ListObj(splitWhitespace(s.value).map { .string($0) })) }
            let sep = try MethodSupport.str(sepV, "split", "sep")
            if sep.count == 0 { throw ScriptThrow.valueError("split() separator is empty") }
            let out = s.withUTF8Bytes { hay in
                sep.withUTF8Bytes { needle in
                    var out: [Word] = []
                    var start = 0
                    while let i = byteFind(hay, needle, from: start) {
                        out.append(piece(hay, start, i, ascii: s.isASCII))
                        start = i + needle.count
                    }
                    out.append(piece(hay, start, hay.count, ascii: s.isASCII))
                    return out
                }
            }
            return .list(ListObj(out))
        }),
        NativeEntry("join", { vm, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "join")
            let items: [Word]
            if case .list(let l) = args[0].unpacked { items = l.snapshot } else { items = try vm.collect(args[0]) }
            for (i, v) in items.enumerated() where !v.isStr {
                throw ScriptThrow.typeError("join() item \(i) must be str, not \(v.typeName)")
            }
            return .str(try StrObj.joining(items.count, separator: s, check: { try vm.checkSize($0, .string) }) {
                items[$0].unchecked(StrObj.self)
            })
        }),
        NativeEntry("replace", { vm, r, args in
            try args.check(min: 2, max: 2)
            let s = try MethodSupport.strReceiver(r, "replace")
            let old = try MethodSupport.str(args[0], "replace", "old")
            let new = try MethodSupport.str(args[1], "replace", "new")
            let rep = new.withUTF8Bytes { Array($0) }
            var out: [UInt8] = []
            out.reserveCapacity(s.utf8Count)
            if old.utf8Count == 0 {
                // Python: the replacement goes before every scalar and at the end.
                out += rep
                for u in s.value.unicodeScalars { out += Array(String(u).utf8); out += rep }
                return .string(utf8String(out[...]))
            }
            let found = try s.withUTF8Bytes { hay in
                try old.withUTF8Bytes { needle in
                    var start = 0
                    var found = false
                    while let i = byteFind(hay, needle, from: start) {
                        found = true
                        out += hay[start..<i]; out += rep
                        start = i + needle.count
                        try vm.checkSize(out.count, .string)
                    }
                    out += hay[start...]
                    return found
                }
            }
            return found ? .string(utf8String(out[...])) : r
        }),
        NativeEntry("find", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "find")
            let sub = try MethodSupport.str(args[0], "find", "sub")
            return .int(s.withUTF8Bytes { hay in
                sub.withUTF8Bytes { byteFind(hay, $0, from: 0) }.map { scalarIndex(hay, $0, ascii: s.isASCII) } ?? -1
            })
        }),
        NativeEntry("index", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "index")
            let sub = try MethodSupport.str(args[0], "index", "sub")
            let at = s.withUTF8Bytes { hay in
                sub.withUTF8Bytes { byteFind(hay, $0, from: 0) }.map { scalarIndex(hay, $0, ascii: s.isASCII) }
            }
            guard let i = at else { throw ScriptThrow.valueError("substring not found") }
            return .int(i)
        }),
        NativeEntry("count", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "count")
            let sub = try MethodSupport.str(args[0], "count", "sub")
            if sub.count == 0 { return .int(s.count + 1) }
            return .int(s.withUTF8Bytes { hay in
                sub.withUTF8Bytes { needle in
                    var n = 0, start = 0
                    while let i = byteFind(hay, needle, from: start) { n += 1; start = i + needle.count }
                    return n
                }
            })
        }),
        NativeEntry("starts_with", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "starts_with")
            let p = try MethodSupport.str(args[0], "starts_with", "prefix")
            return .bool(s.withUTF8Bytes { a in p.withUTF8Bytes { a.starts(with: $0) } })
        }),
        NativeEntry("ends_with", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "ends_with")
            let p = try MethodSupport.str(args[0], "ends_with", "suffix")
            return .bool(s.withUTF8Bytes { a in p.withUTF8Bytes { b in b.count <= a.count && a[(a.count - b.count)...].elementsEqual(b) } })
        }),
        NativeEntry("encode", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["encoding"])
            let s = try MethodSupport.strReceiver(r, "encode")
            if let e = try args.arg(0, "encoding") {
                let name = try MethodSupport.str(e, "encode", "encoding").value.lowercased()
                guard name == "utf-8" || name == "utf8" else {
                    throw ScriptThrow.valueError("encode(): unsupported encoding \(quoteString(name)) (only utf-8)")
                }
            }
            try vm.checkSize(s.utf8Count, .bytes)
            return .object(BytesObj(s.withUTF8Bytes { Array($0) }))
        }),
        NativeEntry("chars", { _, r, args in
            try args.check(min: 0, max: 0)
            let s = try MethodSupport.strReceiver(r, "chars")
            var out: [Word] = []
            out.reserveCapacity(s.count)
            for u in s.value.unicodeScalars { out.append(StrObj.char(u)) }
            return .list(ListObj(out))
        }),
    ]

    // MARK: - Helpers

    /// Python's `str.isspace` for one scalar.
    @inline(__always) static func isSpace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09...0x0d, 0x1c...0x20: return true
        case 0..<0x80: return false
        default: return u.properties.isWhitespace
        }
    }

    /// `split()` with no separator: runs of whitespace separate, empty pieces dropped.
    static func splitWhitespace(_ s: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isSpace(u) {
                if !cur.isEmpty { out.append(String(cur)); cur = String.UnicodeScalarView() }
            } else {
                cur.append(u)
            }
        }
        if !cur.isEmpty { out.append(String(cur)) }
        return out
    }

    static func strip(_ r: Word, _ args: Args, _ name: String, left: Bool, right: Bool) throws -> Word {
        try args.check(min: 0, max: 1, keywords: ["chars"])
        let s = try MethodSupport.strReceiver(r, name)
        var set: Set<UInt32>? = nil
        if let c = try args.arg(0, "chars"), !isNil(c) {
            set = Set(try MethodSupport.str(c, name, "chars").value.unicodeScalars.map { $0.value })
        }
        let strip: (Unicode.Scalar) -> Bool = { u in set.map { $0.contains(u.value) } ?? isSpace(u) }
        let scalars = s.value.unicodeScalars
        var lo = scalars.startIndex, hi = scalars.endIndex
        var removed = 0
        if left { while lo < hi && strip(scalars[lo]) { lo = scalars.index(after: lo); removed += 1 } }
        if right {
            while hi > lo {
                let p = scalars.index(before: hi)
                if !strip(scalars[p]) { break }
                hi = p; removed += 1
            }
        }
        if removed == 0 { return r }
        return .str(StrObj(String(String.UnicodeScalarView(scalars[lo..<hi])), count: s.count - removed))
    }

    @inline(__always) static func isNil(_ v: Word) -> Bool {
        if case .nil = v.unpacked { return true }
        return false
    }

    /// First byte offset >= `from` where `needle` occurs in `hay` (an empty needle matches at `from`).
    static func byteFind(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let n = hay.count, m = needle.count
        if m == 0 { return from <= n ? from : nil }
        if from + m > n { return nil }
        let first = needle[0]
        var i = from
        let last = n - m
        while i <= last {
            if hay[i] == first {
                var k = 1
                while k < m && hay[i + k] == needle[k] { k += 1 }
                if k == m { return i }
            }
            i += 1
        }
        return nil
    }

    /// The scalar index of byte offset `i` (a scalar boundary) in UTF-8 `bytes`.
    static func scalarIndex(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int, ascii: Bool) -> Int {
        if ascii { return i }
        var n = 0
        for k in 0..<i where bytes[k] & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// A new string of `bytes[lo..<hi]` (scalar boundaries of valid UTF-8), made
    /// from the bytes in place (`StrObj.of(utf8:)`).
    static func piece(_ bytes: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, ascii: Bool) -> Word {
        let part = UnsafeBufferPointer(rebasing: bytes[lo..<hi])
        let count = ascii ? part.count : part.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
        return .str(StrObj.of(utf8: part, count: count))
    }

    /// A string from UTF-8 bytes known to be valid.
    @inline(__always) static func utf8String(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
