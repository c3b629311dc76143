// str() and repr() of values (§2): lists and maps show their elements with repr,
// floats print like Python's repr, instances use `to_str()` when their class has it.

extension Double {
    /// Python-style repr: shortest round-trip digits, always a point or exponent,
    /// exponent form when the decimal exponent is < -4 or >= 16; `nan`, `inf`, `-0.0`.
    /// Swift's `description` gives the shortest digits but picks its own layout,
    /// so the digits are re-laid-out here.
    var weftDescription: String {
        if isNaN { return "nan" }
        if isInfinite { return self < 0 ? "-inf" : "inf" }
        if self == 0 { return sign == .minus ? "-0.0" : "0.0" }
        var text = Swift.abs(self).description
        var exp = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        // text is now "ddd.ddd" (or "ddd"); collect digits and the point position.
        let intPart: Substring, fracPart: Substring
        if let dot = text.firstIndex(of: ".") {
            intPart = text[..<dot]; fracPart = text[text.index(after: dot)...]
        } else {
            intPart = Substring(text); fracPart = ""
        }
        var digits = Array(intPart + fracPart)
        var pointPos = intPart.count + exp          // digits before the decimal point
        while digits.count > 1 && digits.first == "0" { digits.removeFirst(); pointPos -= 1 }
        while digits.count > 1 && digits.last == "0" { digits.removeLast() }
        let sci = pointPos - 1                       // scientific exponent
        let sign = self < 0 ? "-" : ""
        if sci < -4 || sci >= 16 {
            var m = String(digits[0])
            if digits.count > 1 { m += "." + String(digits[1...]) }
            let e = Swift.abs(sci)
            return sign + m + "e" + (sci < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
        }
        if pointPos <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPos) + String(digits)
        }
        if pointPos >= digits.count {
            return sign + String(digits) + String(repeating: "0", count: pointPos - digits.count) + ".0"
        }
        return sign + String(digits[..<pointPos]) + "." + String(digits[pointPos...])
    }
}

/// Escapes a string for repr, with double quotes as the spec's examples show.
func quoteString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\0": out += "\\0"
        default:
            if u.value < 0x20 || u.value == 0x7f {
                out += "\\u{\(String(u.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

extension Word: CustomStringConvertible {
    /// str() without calling script code (instances print as `<Name>`); the VM's
    /// `str(_:)` is the full version that honours `to_str()`.
    var description: String {
        // The host may call this from any thread (LockingSwitch.swift).
        Runtime.enter(nil); defer { Runtime.leave() }
        return (try? format(repr: false, vm: nil)) ?? "<\(typeName)>"
    }

    /// Formats for str() (`repr: false`) or repr(). With a VM, instances' `to_str()`
    /// methods are called; cycles print as `[...]` / `{...}`.
    func format(repr: Bool, vm: VM?) throws -> String {
        var seen: [ObjectIdentifier] = []
        var out = ""
        try formatInto(&out, repr: repr, vm: vm, seen: &seen)
        return out
    }

    private func formatInto(_ out: inout String, repr: Bool, vm: VM?, seen: inout [ObjectIdentifier]) throws {
        switch self.unpacked {
        case .nil: out += "nil"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += StrObj.decimalString(i)
        case .float(let d): out += d.weftDescription
        case .str(let s): out += repr ? quoteString(s.value) : s.value
        case .list(let l):
            let id = ObjectIdentifier(l)
            if seen.contains(id) { out += "[...]"; return }
            if seen.count > 2_000 { throw ScriptThrow(ErrorKinds.recursionError, "maximum nesting depth exceeded while printing") }
            seen.append(id); defer { seen.removeLast() }
            out += "["
            for (i, v) in l.snapshot.enumerated() {
                if i > 0 { out += ", " }
                try v.formatInto(&out, repr: true, vm: vm, seen: &seen)
            }
            out += "]"
        case .map(let m):
            let id = ObjectIdentifier(m)
            if seen.contains(id) { out += "{...}"; return }
            if seen.count > 2_000 { throw ScriptThrow(ErrorKinds.recursionError, "maximum nesting depth exceeded while printing") }
            seen.append(id); defer { seen.removeLast() }
            out += "{"
            for (i, e) in m.entries.enumerated() {
                if i > 0 { out += ", " }
                try e.key.formatInto(&out, repr: true, vm: vm, seen: &seen)
                out += ": "
                try e.value.formatInto(&out, repr: true, vm: vm, seen: &seen)
            }
            out += "}"
        case .function(let c): out += "<fn \(c.proto.name)>"
        case .instance(let inst):
            if let vm = vm, inst.cls.methods[Symbols.toStr] != nil {
                let r = try vm.invokeMethod(self, Symbols.toStr, [])
                if case .str(let s) = r.unpacked { out += s.value } else {
                    throw ScriptThrow.typeError("to_str() must return a str, not \(r.typeName)")
                }
            } else if inst.cls.isSubclass(of: ErrorKinds.base) {
                let m = ScriptThrow(self).message
                out += m.isEmpty ? inst.cls.name : "\(inst.cls.name): \(m)"
            } else {
                out += "<\(inst.cls.name)>"
            }
        case .object(let o):
            out += o.formatted(repr: repr)
        }
    }
}

extension Obj {
    /// How non-container heap objects print.
    func formatted(repr: Bool) -> String {
        switch self {
        case let c as ClassObj: return c.name
        case let r as RangeObj:
            if r.step != 1 { return "range(\(r.start), \(r.end), \(r.step))" }
            return r.inclusive ? "\(r.start)...\(r.end - 1)" : "\(r.start)..<\(r.end)"
        case let f as NativeFn: return "<fn \(f.name)>"
        case let b as BoundMethod:
            switch b.method.unpacked {
            case .function(let c): return "<bound method \(c.proto.name)>"
            case .object(let n as NativeFn): return "<bound method \(n.name)>"
            default: return "<bound method>"
            }
        case let m as ModuleObj: return "<module \(m.name)>"
        case let h as HostObj: return h.text
        case let b as BytesObj:
            var s = "b\""
            for byte in b.bytes {
                switch byte {
                case 0x22: s += "\\\""
                case 0x5c: s += "\\\\"
                case 0x0a: s += "\\n"
                case 0x09: s += "\\t"
                case 0x0d: s += "\\r"
                case 0x20..<0x7f: s.unicodeScalars.append(Unicode.Scalar(byte))
                default: s += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
                }
            }
            return s + "\""
        default: return "<\(typeName)>"
        }
    }
}
