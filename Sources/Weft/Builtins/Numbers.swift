// Numeric builtins (§8): `abs(x)` and `round(x, digits: nil)`. `round(x)` returns an
// int and `round(x, digits: n)` a float, both rounding half to even on the exact
// binary value, as Python does (`round(2.675, digits: 2) == 2.67`).

enum Numbers {
    static func abs(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        switch args[0].unpacked {
        case .int(let i):
            if i == Int.min { throw ScriptThrow.overflow("integer overflow in abs()") }
            return .int(i < 0 ? -i : i)
        case .float(let d): return .float(Swift.abs(d))
        default:
            throw ScriptThrow.typeError("bad operand type for abs(): '\(args[0].typeName)'")
        }
    }

    static func round(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 2, keywords: ["digits"])
        var digits: Int? = nil
        if let d = try args.arg(1, "digits") {
            switch d.unpacked {
            case .nil: break
            case .int(let n): digits = n
            default:
                throw ScriptThrow.typeError("round() argument 'digits' must be int, not \(d.typeName)")
            }
        }
        let x = args[0]
        switch x.unpacked {
        case .int(let i):
            guard let n = digits else { return x }
            return .float(roundDouble(Double(i), digits: n))
        case .float(let d):
            guard let n = digits else {
                return .int(try Conversions.floatToInt(d.rounded(.toNearestOrEven)))
            }
            return .float(roundDouble(d, digits: n))
        default:
            throw ScriptThrow.typeError("round() argument must be int or float, not \(x.typeName)")
        }
    }

    /// `x` rounded to `digits` decimal places (negative: to tens, hundreds, ...),
    /// half to even on the exact binary value, like CPython's float.__round__.
    static func roundDouble(_ x: Double, digits n: Int) -> Double {
        if !x.isFinite || x == 0 { return x }
        // Beyond these bounds the result is x itself, or a zero of x's sign.
        if n > 323 { return x }
        if n < -308 { return 0.0 * x }
        if n >= 0 {
            // printf rounds the exact binary value correctly, ties to even.
            let s = PrintfFormat.double("%.\(n)f", x)
            return Double(s) ?? x
        }
        // Round the exact integer part's digits at position k = -n, with the
        // fraction as a sticky bit that breaks ties upwards.
        let k = -n
        let t = x.rounded(.towardZero)
        let hasFraction = t != x
        var digits = Array(PrintfFormat.double("%.0f", Swift.abs(t)).utf8).map { Int($0) - 48 }
        if digits.count < k + 1 {
            digits = [Int](repeating: 0, count: k + 1 - digits.count) + digits
        }
        let headCount = digits.count - k
        var head = Array(digits[0..<headCount])
        let tail = digits[headCount...]
        let first = tail.first ?? 0
        let restNonZero = tail.dropFirst().contains { $0 != 0 } || hasFraction
        let up: Bool
        if first > 5 { up = true }
        else if first < 5 { up = false }
        else if restNonZero { up = true }
        else { up = (head.last ?? 0) % 2 == 1 }
        if up {
            var i = head.count - 1
            while i >= 0 {
                if head[i] == 9 { head[i] = 0; i -= 1 } else { head[i] += 1; break }
            }
            if i < 0 { head.insert(1, at: 0) }
        }
        var s = x.sign == .minus ? "-" : ""
        s += String(head.map { Character(Unicode.Scalar(UInt8($0 + 48))) })
        s += String(repeating: "0", count: k)
        return Double(s) ?? x
    }
}
