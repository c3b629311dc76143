// The text `json.stringify` builds, as UTF-8 bytes made into a String once at the
// end. Appending to a Swift String costs over a hundred instructions for each
// small piece (its storage checks and breadcrumbs): json_dumps spent half its
// time in `String +=`.

struct JSONOutput {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func write(_ b: UInt8) { bytes.append(b) }

    mutating func write(_ b: UInt8, times n: Int) {
        bytes.append(contentsOf: repeatElement(b, count: n))
    }

    mutating func write(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON string literal: `"`, `\` and control characters escaped, every other
    /// byte as it is (a multi-byte UTF-8 sequence has no byte below 0x80, so it
    /// passes through whole).
    mutating func writeString(_ s: StrObj) {
        s.withUTF8Bytes { text in
            bytes.append(UInt8(ascii: "\""))
            var start = 0
            for (i, b) in text.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<i]))
                writeEscape(b)
                start = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private mutating func writeEscape(_ b: UInt8) {
        switch b {
        case 0x22: write("\\\"")
        case 0x5C: write("\\\\")
        case 0x0A: write("\\n")
        case 0x0D: write("\\r")
        case 0x09: write("\\t")
        case 0x08: write("\\b")
        case 0x0C: write("\\f")
        default:   // another control character: \u00XX, lowercase hex
            write("\\u00")
            write(hexDigit(b >> 4))
            write(hexDigit(b & 0xF))
        }
    }

    private func hexDigit(_ d: UInt8) -> UInt8 { d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10 }
}
