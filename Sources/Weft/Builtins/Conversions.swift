// What calling a builtin type does (§2, §8): `int(x, base: 10)`, `float(x)`,
// `str(x)`, `bool(x)`, `list(iterable)`, `map(...)`, `bytes(...)`,
// `range(a, b, step)`. These are the `constructor`s of the type objects in
// TypeObjects.swift. Conversions follow Python: `int(3.9)` truncates, `int("x")`
// raises ValueError, and a 64-bit result that does not fit raises OverflowError.

enum Conversions {
    // MARK: - int

    static func int(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 2, keywords: ["base"])
        let baseArg = try args.arg(1, "base")
        guard args.count > 0 else {
            if baseArg != nil { throw ScriptThrow.typeError("int() missing string argument") }
            return .int(0)
        }
        let x = args[0]
        if let b = baseArg, !isNil(b) {
            guard case .int(let base) = b.unpacked else {
                throw ScriptThrow.typeError("int() base must be int, not \(b.typeName)")
            }
            guard base == 0 || (2...36).contains(base) else {
                throw ScriptThrow.valueError("int() base must be >= 2 and <= 36, or 0")
            }
            switch x.unpacked {
            case .str(let s): return .int(try parseInt(s.value, base: base))
            case .object(let o as BytesObj):
                return .int(try parseInt(String(decoding: o.bytes, as: UTF8.self), base: base))
            default:
                throw ScriptThrow.typeError("int() can't convert non-string with explicit base")
            }
        }
        switch x.unpacked {
        case .int: return x
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d): return .int(try floatToInt(d))
        case .str(let s): return .int(try parseInt(s.value, base: 10))
        case .object(let o as BytesObj):
            return .int(try parseInt(String(decoding: o.bytes, as: UTF8.self), base: 10))
        default:
            throw ScriptThrow.typeError("int() argument must be a str, bytes or a number, not '\(x.typeName)'")
        }
    }

    /// Truncates toward zero; NaN is a ValueError, out of 64-bit range an OverflowError.
    static func floatToInt(_ d: Double) throws -> Int {
        if d.isNaN { throw ScriptThrow.valueError("cannot convert float NaN to integer") }
        if d.isInfinite { throw ScriptThrow.overflow("cannot convert float infinity to integer") }
        let t = d.rounded(.towardZero)
        guard t >= -9223372036854775808.0 && t < 9223372036854775808.0 else {
            throw ScriptThrow.overflow("float \(d.weftDescription) is too large to convert to int")
        }
        return Int(t)
    }

    /// Python's int(str, base): surrounding whitespace, a sign, an optional prefix
    /// (`0x`, `0o`, `0b`; required to choose the base when base is 0), and digits
    /// with single underscores between them.
    static func parseInt(_ text: String, base: Int) throws -> Int {
        func invalid() -> ScriptThrow {
            ScriptThrow.valueError("invalid literal for int() with base \(base): \(quoteString(text))")
        }
        var s = Array(text.unicodeScalars)
        while let f = s.first, isSpace(f) { s.removeFirst() }
        while let l = s.last, isSpace(l) { s.removeLast() }
        var i = 0
        var negative = false
        if i < s.count, s[i] == "+" || s[i] == "-" { negative = s[i] == "-"; i += 1 }
        var b = base
        var prefixed = false
        if i + 1 < s.count, s[i] == "0" {
            let p = Character(s[i + 1]).lowercased()
            let pb = p == "x" ? 16 : p == "o" ? 8 : p == "b" ? 2 : 0
            if pb != 0 && (b == 0 || b == pb) { b = pb; i += 2; prefixed = true }
        }
        let bareZeroBase = b == 0
        if b == 0 { b = 10 }
        var value = 0
        var digits = 0
        var lastUnderscore = false
        var sawNonZero = false
        while i < s.count {
            let c = s[i]
            if c == "_" {
                // Between digits, or once right after a prefix (`0x_ff`), as in Python.
                if lastUnderscore || (digits == 0 && !prefixed) { throw invalid() }
                lastUnderscore = true
                i += 1
                continue
            }
            guard let d = digitValue(c), d < b else { throw invalid() }
            if d != 0 { sawNonZero = true }
            let (m, o1) = value.multipliedReportingOverflow(by: b)
            let (n, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 {
                throw ScriptThrow.overflow("int() literal too large for a 64-bit int: \(quoteString(text))")
            }
            value = n
            digits += 1
            lastUnderscore = false
            i += 1
        }
        if digits == 0 || lastUnderscore { throw invalid() }
        // Base 0 rejects leading zeros in a decimal literal ("010"), as Python does.
        if bareZeroBase && !prefixed && sawNonZero && s.count > 0 {
            let first = negative || s[0] == "+" ? 1 : 0
            if first < s.count && s[first] == "0" { throw invalid() }
        }
        return value
    }

    private static func digitValue(_ c: Unicode.Scalar) -> Int? {
        switch c.value {
        case 0x30...0x39: return Int(c.value - 0x30)
        case 0x61...0x7a: return Int(c.value - 0x61 + 10)
        case 0x41...0x5a: return Int(c.value - 0x41 + 10)
        default: return nil
        }
    }

    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u == " " || u == "\t" || u == "\n" || u == "\r" || u == "\u{0B}" || u == "\u{0C}"
            || u.properties.isWhitespace
    }

    // MARK: - float

    static func float(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1)
        guard args.count > 0 else { return .float(0) }
        let x = args[0]
        switch x.unpacked {
        case .float: return x
        case .int(let i): return .float(Double(i))
        case .bool(let b): return .float(b ? 1 : 0)
        case .str(let s): return .float(try parseFloat(s.value))
        case .object(let o as BytesObj):
            return .float(try parseFloat(String(decoding: o.bytes, as: UTF8.self)))
        default:
            throw ScriptThrow.typeError("float() argument must be a str or a number, not '\(x.typeName)'")
        }
    }

    /// Python's float(str): whitespace, sign, `digits[.digits][e[sign]digits]` (either
    /// side of the point may be empty, not both), underscores between digits,
    /// `inf`/`infinity`/`nan` in any case. Too large a literal gives inf.
    static func parseFloat(_ text: String) throws -> Double {
        func invalid() -> ScriptThrow {
            ScriptThrow.valueError("could not convert string to float: \(quoteString(text))")
        }
        var s = Array(text.unicodeScalars)
        while let f = s.first, isSpace(f) { s.removeFirst() }
        while let l = s.last, isSpace(l) { s.removeLast() }
        var i = 0
        var sign = ""
        if i < s.count, s[i] == "+" || s[i] == "-" { sign = s[i] == "-" ? "-" : ""; i += 1 }
        let rest = String(String.UnicodeScalarView(s[i...])).lowercased()
        switch rest {
        case "inf", "infinity": return sign == "-" ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        var clean = sign
        // Digits with single underscores between them; returns how many digits.
        func digitRun() throws -> Int {
            var n = 0
            var lastUnderscore = false
            while i < s.count {
                let c = s[i]
                if c == "_" {
                    if n == 0 || lastUnderscore { throw invalid() }
                    lastUnderscore = true
                } else if c.value >= 0x30 && c.value <= 0x39 {
                    clean.unicodeScalars.append(c)
                    n += 1
                    lastUnderscore = false
                } else {
                    break
                }
                i += 1
            }
            if lastUnderscore { throw invalid() }
            return n
        }
        var mantissa = try digitRun()
        if i < s.count, s[i] == "." {
            clean += "."
            i += 1
            mantissa += try digitRun()
        }
        if mantissa == 0 { throw invalid() }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            clean += "e"
            i += 1
            if i < s.count, s[i] == "+" || s[i] == "-" { clean.unicodeScalars.append(s[i]); i += 1 }
            if try digitRun() == 0 { throw invalid() }
        }
        if i != s.count { throw invalid() }
        if clean.hasSuffix(".") { clean += "0" }
        if clean.hasPrefix(".") { clean = "0" + clean }
        if clean.hasPrefix("-.") { clean = "-0" + clean.dropFirst() }
        guard let d = Double(clean) else { throw invalid() }
        return d
    }

    // MARK: - str, bool

    static func str(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1)
        guard args.count > 0 else { return .string("") }
        switch args[0].unpacked {
        case .str: return args[0]
        case .int(let i): return .str(StrObj.decimal(i))
        default: return .string(try vm.str(args[0]))
        }
    }

    static func bool(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1)
        guard args.count > 0 else { return .bool(false) }
        return .bool(args[0].isTruthy)
    }

    // MARK: - list, map

    static func list(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1)
        guard args.count > 0 else { return .list(ListObj()) }
        switch args[0].unpacked {
        case .list(let l): return .list(ListObj(l.copyItems))
        case .object(let r as RangeObj): return try vm.list(of: r, reversed: false)
        default: return .list(ListObj(try vm.collect(args[0])))
        }
    }

    /// `map()`, `map(other)` (a copy), `map(pairs)` (an iterable of [key, value]),
    /// and keyword arguments as str keys (`map(a: 1)`), applied last.
    static func map(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1, keywords: (0..<args.keywordCount).map { args.keyword(at: $0).0 })
        let m = MapObj()
        if args.count > 0 {
            switch args[0].unpacked {
            case .map(let src):
                for e in src.entries { try vm.mapSet(m, e.key, e.value) }
            case .nil:
                break
            default:
                for (n, item) in try vm.collect(args[0]).enumerated() {
                    let pair: [Word]
                    switch item.unpacked {
                    case .list(let l): pair = l.snapshot
                    case .str, .int, .float, .bool, .nil, .map, .function, .instance:
                        throw ScriptThrow.typeError(
                            "map() cannot convert element #\(n) of type '\(item.typeName)' to a [key, value] pair")
                    case .object:
                        pair = try vm.collect(item)
                    }
                    guard pair.count == 2 else {
                        throw ScriptThrow.valueError(
                            "map() element #\(n) has length \(pair.count); 2 is required")
                    }
                    try vm.mapSet(m, pair[0], pair[1])
                }
            }
        }
        for i in 0..<args.keywordCount {
            let (k, v) = args.keyword(at: i)
            try vm.mapSet(m, .string(k), v)
        }
        return .map(m)
    }

    // MARK: - bytes

    /// `bytes()`, `bytes(n)` (n zero bytes), `bytes(str)` (UTF-8), `bytes(bytes)`,
    /// and `bytes(iterable of ints 0-255)`.
    static func bytes(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1)
        guard args.count > 0 else { return .object(BytesObj([])) }
        let x = args[0]
        switch x.unpacked {
        case .object(let o) where o is BytesObj: return x
        case .str(let s):
            try vm.checkSize(s.utf8Count, .bytes)
            return .object(BytesObj(Array(s.value.utf8)))
        case .int(let n):
            guard n >= 0 else { throw ScriptThrow.valueError("bytes() count must not be negative") }
            try AllocationLimit.check(n, stride: 1, "bytes()")
            try vm.checkSize(n, .bytes)
            return .object(BytesObj([UInt8](repeating: 0, count: n)))
        case .bool, .float, .nil, .function, .instance:
            throw ScriptThrow.typeError("cannot convert '\(x.typeName)' object to bytes")
        default:
            let items: [Word]
            if case .list(let l) = x.unpacked { items = l.snapshot } else { items = try vm.collect(x) }
            try vm.checkSize(items.count, .bytes)
            var out: [UInt8] = []
            out.reserveCapacity(items.count)
            for v in items {
                guard case .int(let i) = v.unpacked else {
                    throw ScriptThrow.typeError("bytes() items must be int, not \(v.typeName)")
                }
                guard i >= 0 && i <= 255 else {
                    throw ScriptThrow.valueError("bytes must be in range(0, 256), got \(i)")
                }
                out.append(UInt8(i))
            }
            return .object(BytesObj(out))
        }
    }

    // MARK: - range

    /// `range(n)` is `0..<n`; `range(a, b)`, `range(a, b, step)`; step 0 is a ValueError.
    static func range(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 3, keywords: ["step"])
        func intArg(_ v: Word, _ what: String) throws -> Int {
            if case .int(let i) = v.unpacked { return i }
            throw ScriptThrow.typeError("range() \(what) must be int, not \(v.typeName)")
        }
        var start = 0, end: Int, step = 1
        if args.count == 1 {
            end = try intArg(args[0], "argument")
            if args.kw("step") != nil {
                throw ScriptThrow.typeError("range() with step needs start and end")
            }
        } else {
            start = try intArg(args[0], "start")
            end = try intArg(args[1], "end")
            if let s = try args.arg(2, "step"), !isNil(s) { step = try intArg(s, "step") }
        }
        return .object(try makeRange(start: start, end: end, step: step))
    }

    /// A range whose length and element arithmetic cannot overflow.
    static func makeRange(start: Int, end: Int, step: Int, inclusive: Bool = false) throws -> RangeObj {
        if step == 0 { throw ScriptThrow.valueError("range() step must not be zero") }
        if step == Int.min { throw ScriptThrow.overflow("range() step too large") }
        if RangeObj.count(start: start, end: end, step: step) > UInt(Int.max) {
            throw ScriptThrow.overflow("range has more than \(Int.max) elements")
        }
        return RangeObj(start: start, end: end, step: step, inclusive: inclusive)
    }

    @inline(__always) static func isNil(_ v: Word) -> Bool {
        if case .nil = v.unpacked { return true }
        return false
    }
}
