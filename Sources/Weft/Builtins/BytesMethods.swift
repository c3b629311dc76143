// Methods of `bytes` (§2, §8): `decode` (UTF-8), `hex`, `find`, `split`, and the
// type's own `bytes.from_hex(s)`.

enum BytesMethods {
    static let methods: [NativeEntry] = [
        NativeEntry("decode", { _, r, args in
            try args.check(min: 0, max: 2, keywords: ["encoding", "errors"])
            let b = try MethodSupport.bytesReceiver(r, "decode")
            if let e = try args.arg(0, "encoding"), !e.isNil {
                let name = try MethodSupport.str(e, "decode", "encoding").value.lowercased()
                guard name == "utf-8" || name == "utf8" else {
                    throw ScriptThrow.valueError("decode(): unsupported encoding \(quoteString(name)) (only utf-8)")
                }
            }
            var mode = "strict"
            if let e = try args.arg(1, "errors"), !e.isNil { mode = try MethodSupport.str(e, "decode", "errors").value }
            switch mode {
            case "strict":
                guard let s = String(validating: b.bytes, as: UTF8.self) else {
                    throw ScriptThrow.valueError("decode(): invalid UTF-8 at byte \(invalidUTF8Offset(b.bytes))")
                }
                return .string(s)
            case "replace":
                return .string(String(decoding: b.bytes, as: UTF8.self))
            case "ignore":
                var out = String.UnicodeScalarView()
                var it = b.bytes.makeIterator()
                var decoder = UTF8()
                loop: while true {
                    switch decoder.decode(&it) {
                    case .scalarValue(let u): out.append(u)
                    case .emptyInput: break loop
                    case .error: continue
                    }
                }
                return .string(String(out))
            default:
                throw ScriptThrow.valueError("decode(): errors must be \"strict\", \"replace\" or \"ignore\", not \(quoteString(mode))")
            }
        }),
        NativeEntry("find", { _, r, args in
            try args.check(min: 0, max: 2, keywords: ["sub", "start"])
            let b = try MethodSupport.bytesReceiver(r, "find").bytes
            let sub = try needle(try MethodSupport.required(args, 0, "sub"), "find")
            var start = try args.arg(1, "start").map { try MethodSupport.int($0, "find", "start") } ?? 0
            if start < 0 { start = max(0, b.count + start) }
            return .int(find(sub, in: b, from: start) ?? -1)
        }),
        NativeEntry("split", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["sep"])
            let b = try MethodSupport.bytesReceiver(r, "split").bytes
            guard let sepValue = try args.arg(0, "sep"), !sepValue.isNil else {
                // No separator: runs of ASCII whitespace separate, none at the ends.
                let ws: Set<UInt8> = [9, 10, 11, 12, 13, 32]
                return .list(ListObj(b.split(whereSeparator: { ws.contains($0) }).map { .object(BytesObj(Array($0))) }))
            }
            let sep = try needle(sepValue, "split")
            if sep.isEmpty { throw ScriptThrow.valueError("split(): empty separator") }
            var parts: [Word] = []
            var from = 0
            while let i = find(sep, in: b, from: from) {
                parts.append(.object(BytesObj(Array(b[from..<i]))))
                from = i + sep.count
            }
            parts.append(.object(BytesObj(Array(b[from...]))))
            return .list(ListObj(parts))
        }),
        NativeEntry("hex", { _, r, args in
            try args.check(min: 0, max: 0)
            let b = try MethodSupport.bytesReceiver(r, "hex")
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(b.bytes.count * 2)
            for byte in b.bytes {
                out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)])
            }
            return .str(StrObj(String(decoding: out, as: UTF8.self), count: out.count))
        }),
    ]

    /// Functions of the `bytes` type object itself.
    static let typeFunctions: [NativeEntry] = [
        NativeEntry("from_hex", { _, _, args in
            try args.check(min: 0, max: 1, keywords: ["s"])
            let s = try MethodSupport.str(try MethodSupport.required(args, 0, "s"), "from_hex", "s")
            var out: [UInt8] = []
            var high: UInt8?
            for (i, c) in s.value.unicodeScalars.enumerated() {
                if c == " " || c == "\t" || c == "\n" || c == "\r" {
                    if high != nil { throw ScriptThrow.valueError("from_hex(): whitespace inside a byte at position \(i)") }
                    continue
                }
                guard c.isASCII, let d = UInt8(String(c), radix: 16) else {
                    throw ScriptThrow.valueError("from_hex(): non-hexadecimal digit \(quoteString(String(c))) at position \(i)")
                }
                if let h = high { out.append(h << 4 | d); high = nil } else { high = d }
            }
            if high != nil { throw ScriptThrow.valueError("from_hex(): odd number of hexadecimal digits") }
            return .object(BytesObj(out))
        }),
    ]

    /// A sub-bytes argument: bytes, or an int 0-255 for a single byte.
    static func needle(_ v: Word, _ fn: String) throws -> [UInt8] {
        switch v.unpacked {
        case .object(let o as BytesObj): return o.bytes
        case .int(let i):
            guard i >= 0 && i <= 255 else { throw ScriptThrow.valueError("\(fn)(): byte must be in range(0, 256), got \(i)") }
            return [UInt8(i)]
        default:
            throw ScriptThrow.typeError("\(fn)() argument must be bytes or int, not \(v.typeName)")
        }
    }

    /// The first index at or after `from` where `sub` occurs in `b`.
    static func find(_ sub: [UInt8], in b: [UInt8], from: Int) -> Int? {
        if sub.count > b.count { return nil }
        var i = from
        while i + sub.count <= b.count {
            if b[i..<(i + sub.count)].elementsEqual(sub) { return i }
            i += 1
        }
        return nil
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence.
    static func invalidUTF8Offset(_ bytes: [UInt8]) -> Int {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u): offset += UTF8.width(u)
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }
}
