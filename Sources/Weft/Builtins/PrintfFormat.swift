// printf-style formatting of one number, for `round(x, digits: n)` (Numbers.swift),
// which relies on printf's correctly rounded `%.Nf`. Foundation's `String(format:)`
// reached the same C formatter; this calls it directly, so the library needs no
// Foundation (the REPL's timings use it too). The C locale is in force (nothing calls setlocale for LC_NUMERIC),
// so the decimal point is always `.`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum PrintfFormat {
    /// `format` (one conversion taking a double, such as "%.2f") applied to `x`.
    package static func double(_ format: String, _ x: Double) -> String {
        // Measure first: "%.300f" of 1e308 is over 600 characters.
        let needed = withVaList([x]) { vsnprintf(nil, 0, format, $0) }
        guard needed >= 0 else { return "" }
        var buf = [CChar](repeating: 0, count: Int(needed) + 1)
        _ = buf.withUnsafeMutableBufferPointer { b in
            withVaList([x]) { vsnprintf(b.baseAddress, b.count, format, $0) }
        }
        return String(decoding: buf[0..<Int(needed)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
