// Methods of `str` (§8). Strings are immutable sequences of Unicode scalars; every
// index these methods take or return counts scalars. Searching works on the UTF-8
// bytes: UTF-8 is self-synchronising, so a byte match of a valid needle always
// starts and ends on scalar boundaries, and matches are the same as scalar matches.

enum StrMethods {
    static let methods: [NativeEntry] = [
        NativeEntry("upper", { _, r, args in
            try args.check(min: 0, max: 0)
            let s = try MethodSupport.strReceiver(r, "upper")
            return s.isASCII && !s.value.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7a })
                ? r : .string(s.value.uppercased())
        }),
        NativeEntry("lower", { _, r, args in
            try args.check(min: 0, max: 0)
            let s = try MethodSupport.strReceiver(r, "lower")
            return s.isASCII && !s.value.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5a })
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
            let hay = Array(s.value.utf8), needle = Array(sep.value.utf8)
            var out: [Word] = []
            var start = 0
            while let i = byteFind(hay, needle, from: start) {
                out.append(.string(utf8String(hay[start..<i])))
                start = i + needle.count
            }
            out.append(.string(utf8String(hay[start...])))
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
            let hay = Array(s.value.utf8), needle = Array(old.value.utf8), rep = Array(new.value.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(hay.count)
            if needle.isEmpty {
                // Python: the replacement goes before every scalar and at the end.
                out += rep
                for u in s.value.unicodeScalars { out += Array(String(u).utf8); out += rep }
                return .string(utf8String(out[...]))
            }
            var start = 0
            var found = false
            while let i = byteFind(hay, needle, from: start) {
                found = true
                out += hay[start..<i]; out += rep
                start = i + needle.count
                try vm.checkSize(out.count, .string)
            }
            if !found { return r }
            out += hay[start...]
            return .string(utf8String(out[...]))
        }),
        NativeEntry("find", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "find")
            let sub = try MethodSupport.str(args[0], "find", "sub")
            let hay = Array(s.value.utf8)
            guard let i = byteFind(hay, Array(sub.value.utf8), from: 0) else { return .int(-1) }
            return .int(scalarIndex(hay, i, ascii: s.isASCII))
        }),
        NativeEntry("index", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "index")
            let sub = try MethodSupport.str(args[0], "index", "sub")
            let hay = Array(s.value.utf8)
            guard let i = byteFind(hay, Array(sub.value.utf8), from: 0) else {
                throw ScriptThrow.valueError("substring not found")
            }
            return .int(scalarIndex(hay, i, ascii: s.isASCII))
        }),
        NativeEntry("count", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "count")
            let sub = try MethodSupport.str(args[0], "count", "sub")
            if sub.count == 0 { return .int(s.count + 1) }
            let hay = Array(s.value.utf8), needle = Array(sub.value.utf8)
            var n = 0, start = 0
            while let i = byteFind(hay, needle, from: start) { n += 1; start = i + needle.count }
            return .int(n)
        }),
        NativeEntry("starts_with", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "starts_with")
            let p = try MethodSupport.str(args[0], "starts_with", "prefix")
            return .bool(s.value.utf8.starts(with: p.value.utf8))
        }),
        NativeEntry("ends_with", { _, r, args in
            try args.check(min: 1, max: 1)
            let s = try MethodSupport.strReceiver(r, "ends_with")
            let p = try MethodSupport.str(args[0], "ends_with", "suffix")
            return .bool(s.value.utf8.reversed().starts(with: p.value.utf8.reversed()))
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
            return .object(BytesObj(Array(s.value.utf8)))
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
    static func byteFind(_ hay: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        let n = hay.count, m = needle.count
        if m == 0 { return from <= n ? from : nil }
        if from + m > n { return nil }
        let first = needle[0]
        return hay.withUnsafeBufferPointer { h -> Int? in
            needle.withUnsafeBufferPointer { nd -> Int? in
                var i = from
                let last = n - m
                while i <= last {
                    if h[i] == first {
                        var k = 1
                        while k < m && h[i + k] == nd[k] { k += 1 }
                        if k == m { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// The scalar index of byte offset `i` (a scalar boundary) in UTF-8 `bytes`.
    static func scalarIndex(_ bytes: [UInt8], _ i: Int, ascii: Bool) -> Int {
        if ascii { return i }
        var n = 0
        for k in 0..<i where bytes[k] & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// A string from UTF-8 bytes known to be valid.
    @inline(__always) static func utf8String(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
