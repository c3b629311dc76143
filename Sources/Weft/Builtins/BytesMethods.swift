// Methods of `bytes` (§8): `decode` (UTF-8) and `hex`.

enum BytesMethods {
    static let methods: [(String, NativeBody)] = [
        ("decode", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["encoding"])
            let b = try MethodSupport.bytesReceiver(r, "decode")
            if let e = try args.arg(0, "encoding") {
                let name = try MethodSupport.str(e, "decode", "encoding").value.lowercased()
                guard name == "utf-8" || name == "utf8" else {
                    throw ScriptThrow.valueError("decode(): unsupported encoding \(quoteString(name)) (only utf-8)")
                }
            }
            guard let s = String(validating: b.bytes, as: UTF8.self) else {
                throw ScriptThrow.valueError("decode(): invalid UTF-8 at byte \(invalidUTF8Offset(b.bytes))")
            }
            return .string(s)
        }),
        ("hex", { _, r, args in
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
