// `import json` (§8): `parse(s)` and `stringify(v, indent: nil)`.
//
// parse: objects become maps (in document order; a repeated key keeps its first
// position and its last value, as in Python), arrays lists, numbers without
// fraction or exponent ints (floats when too large for 64 bits), other numbers
// floats, true/false/null bool/nil. Errors are ValueErrors naming line and column
// (1-based; columns count Unicode scalars). The parser is iterative, so deep input
// cannot exhaust the stack; nesting is still capped (`maxDepth`) because deeply
// nested values are expensive for everything else (printing, releasing).
//
// stringify: compact (`{"a":1,"b":[1,2.5]}`) without `indent`; with it, one item per
// line like Python's `json.dumps(indent=n)`. Floats print like `repr` (nan and inf
// are not JSON: ValueError); map keys that are ints, floats, bools or nil become
// strings as in Python; other keys and non-JSON values (functions, instances,
// bytes...) are TypeErrors; a container that contains itself is a ValueError.
// Non-ASCII text is written as-is.

enum JSON {
    static let maxDepth = 1000

    // MARK: - Parsing

    /// Parses JSON text. With a VM, maps are built through `vm.mapSet`; without one
    /// (unit tests, hosts) keys are hashed as the VM hashes strings (`hashValue32`),
    /// so the maps are ordinary maps either way.
    static func parse(_ text: String, vm: VM? = nil) throws -> Word {
        var p = Parser(bytes: Array(text.utf8), vm: vm)
        return try p.parseDocument()
    }

    private struct Parser {
        let bytes: [UInt8]
        let vm: VM?
        var pos = 0

        init(bytes: [UInt8], vm: VM?) { self.bytes = bytes; self.vm = vm }

        private enum Frame {
            case list([Word])
            case map(MapObj, key: Word)
        }

        mutating func parseDocument() throws -> Word {
            var stack: [Frame] = []
            while true {
                // Parse one value, or open a container and loop to parse its first item.
                skipWhitespace()
                guard pos < bytes.count else { throw endError() }
                var value: Word
                switch bytes[pos] {
                case UInt8(ascii: "["):
                    // Counted before the empty case: `[]` opens a level too.
                    if stack.count >= JSON.maxDepth { throw depthError() }
                    pos += 1
                    skipWhitespace()
                    if peek == UInt8(ascii: "]") { pos += 1; value = .list(ListObj()); break }
                    stack.append(.list([]))
                    continue
                case UInt8(ascii: "{"):
                    if stack.count >= JSON.maxDepth { throw depthError() }
                    pos += 1
                    skipWhitespace()
                    if peek == UInt8(ascii: "}") { pos += 1; value = .map(MapObj()); break }
                    let key = try parseKey()
                    stack.append(.map(MapObj(), key: key))
                    continue
                case UInt8(ascii: "\""):
                    value = try parseString()
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    value = try parseNumber()
                case UInt8(ascii: "t"): try expectWord("true"); value = .bool(true)
                case UInt8(ascii: "f"): try expectWord("false"); value = .bool(false)
                case UInt8(ascii: "n"): try expectWord("null"); value = .nil
                default:
                    throw unexpected()
                }
                // A value is complete: add it to the enclosing containers, closing them
                // as their closing brackets arrive.
                while true {
                    guard let top = stack.popLast() else {
                        skipWhitespace()
                        if pos < bytes.count { throw unexpected() }
                        return value
                    }
                    skipWhitespace()
                    switch top {
                    case .list(var items):
                        items.append(value)
                        guard pos < bytes.count else { throw endError() }
                        if bytes[pos] == UInt8(ascii: ",") {
                            pos += 1
                            stack.append(.list(items))
                        } else if bytes[pos] == UInt8(ascii: "]") {
                            pos += 1
                            value = .list(ListObj(items))
                            continue
                        } else {
                            throw unexpected()
                        }
                    case .map(let m, let key):
                        try store(m, key, value)
                        guard pos < bytes.count else { throw endError() }
                        if bytes[pos] == UInt8(ascii: ",") {
                            pos += 1
                            skipWhitespace()
                            stack.append(.map(m, key: try parseKey()))
                        } else if bytes[pos] == UInt8(ascii: "}") {
                            pos += 1
                            value = .map(m)
                            continue
                        } else {
                            throw unexpected()
                        }
                    }
                    break
                }
            }
        }

        private func store(_ m: MapObj, _ key: Word, _ value: Word) throws {
            if let vm = vm { try vm.mapSet(m, key, value); return }
            guard case .str(let k) = key.unpacked else { return }
            m.set(key, hash: k.hashValue32, value: value) { a, b in
                if case .str(let x) = a.unpacked, case .str(let y) = b.unpacked { return strEqual(x, y) }
                return false
            }
        }

        private var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

        private mutating func skipWhitespace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x20, 0x09, 0x0a, 0x0d: pos += 1
                default: return
                }
            }
        }

        /// `"key"` then `:` (whitespace already skipped before the key).
        private mutating func parseKey() throws -> Word {
            guard pos < bytes.count else { throw endError() }
            guard bytes[pos] == UInt8(ascii: "\"") else { throw unexpected() }
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count else { throw endError() }
            guard bytes[pos] == UInt8(ascii: ":") else { throw unexpected() }
            pos += 1
            return key
        }

        private mutating func expectWord(_ word: StaticString) throws {
            let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            for b in w {
                guard pos < bytes.count else { throw endError() }
                guard bytes[pos] == b else { throw unexpected() }
                pos += 1
            }
        }

        private mutating func parseString() throws -> Word {
            pos += 1                                     // opening quote
            var buf: [UInt8] = []
            var runStart = pos
            while true {
                guard pos < bytes.count else { throw endError() }
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    buf += bytes[runStart..<pos]
                    pos += 1
                    return .string(String(decoding: buf, as: UTF8.self))
                }
                if b < 0x20 {
                    throw error("invalid control character in string")
                }
                if b != UInt8(ascii: "\\") { pos += 1; continue }
                buf += bytes[runStart..<pos]
                let escapeStart = pos
                pos += 1
                guard pos < bytes.count else { throw endError() }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): buf.append(0x22)
                case UInt8(ascii: "\\"): buf.append(0x5c)
                case UInt8(ascii: "/"): buf.append(0x2f)
                case UInt8(ascii: "b"): buf.append(0x08)
                case UInt8(ascii: "f"): buf.append(0x0c)
                case UInt8(ascii: "n"): buf.append(0x0a)
                case UInt8(ascii: "r"): buf.append(0x0d)
                case UInt8(ascii: "t"): buf.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4(escapeStart)
                    if (0xD800...0xDBFF).contains(code), pos + 1 < bytes.count,
                       bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                        let save = pos
                        pos += 2
                        let low = try hex4(save)
                        if (0xDC00...0xDFFF).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save                   // not a pair: the high one stands alone
                        }
                    }
                    // A lone surrogate cannot be a Swift string: it becomes U+FFFD.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    buf += Array(String(scalar).utf8)
                default:
                    pos = escapeStart
                    throw error("invalid escape")
                }
                runStart = pos
            }
        }

        /// Four hex digits after `\u`; `escapeStart` is the backslash (for errors).
        private mutating func hex4(_ escapeStart: Int) throws -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard pos < bytes.count else { throw endError() }
                let b = bytes[pos]
                let d: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
                default:
                    pos = escapeStart
                    throw error("invalid \\u escape")
                }
                v = v << 4 | UInt32(d)
                pos += 1
            }
            return v
        }

        private mutating func parseNumber() throws -> Word {
            let start = pos
            var isFloat = false
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count else { throw endError() }
            if bytes[pos] == UInt8(ascii: "0") {
                pos += 1
            } else if isDigit(bytes[pos]) {
                while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
            } else {
                throw unexpected()
            }
            if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
                isFloat = true
                pos += 1
                try digits()
            }
            if pos < bytes.count && (bytes[pos] | 0x20) == UInt8(ascii: "e") {
                isFloat = true
                pos += 1
                if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) { pos += 1 }
                try digits()
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if !isFloat, let i = Int(text) { return .int(i) }
            return .float(Double(text) ?? .nan)
        }

        /// One or more digits.
        private mutating func digits() throws {
            guard pos < bytes.count else { throw endError() }
            guard isDigit(bytes[pos]) else { throw unexpected() }
            while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
        }

        @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        // MARK: Errors

        /// Line and column (1-based, columns in scalars) of byte offset `offset`.
        private func location(_ offset: Int) -> (line: Int, column: Int) {
            var line = 1, lineStart = 0
            let end = min(offset, bytes.count)
            for i in 0..<end where bytes[i] == 0x0a { line += 1; lineStart = i + 1 }
            var col = 1
            for i in lineStart..<end where bytes[i] & 0xC0 != 0x80 { col += 1 }
            return (line, col)
        }

        private func error(_ what: String, at offset: Int? = nil) -> ScriptThrow {
            let (line, col) = location(offset ?? pos)
            return ScriptThrow.valueError("json: \(what) at line \(line), column \(col)")
        }

        private func endError() -> ScriptThrow { error("unexpected end of input", at: bytes.count) }

        private func depthError() -> ScriptThrow {
            error("nesting deeper than \(JSON.maxDepth) levels")
        }

        /// "unexpected character 'x'" for the scalar at `pos`.
        private func unexpected() -> ScriptThrow {
            guard pos < bytes.count else { return endError() }
            // Decode the scalar starting here (the input is valid UTF-8).
            var len = 1
            let b = bytes[pos]
            if b >= 0xF0 { len = 4 } else if b >= 0xE0 { len = 3 } else if b >= 0xC0 { len = 2 }
            let s = String(decoding: bytes[pos..<min(pos + len, bytes.count)], as: UTF8.self)
            let shown: String
            if let u = s.unicodeScalars.first, u.value < 0x20 || u.value == 0x7f {
                shown = "\\u{\(String(u.value, radix: 16))}"
            } else {
                shown = s
            }
            return error("unexpected character '\(shown)'")
        }
    }

    // MARK: - Stringifying

    /// Serialises `v`; `indent` nil for compact output, else spaces per level.
    static func stringify(_ v: Word, indent: Int?) throws -> String {
        let indent = indent.map { max(0, min($0, 1000)) }
        var out = JSONOutput()
        var stack: [Frame] = []
        var active = Set<ObjectIdentifier>()

        func newline(_ depth: Int) {
            guard let n = indent else { return }
            out.write(UInt8(ascii: "\n"))
            out.write(UInt8(ascii: " "), times: n * depth)
        }
        func key(_ k: Word) throws {
            switch k.unpacked {
            case .str(let s): out.writeString(s)
            case .int(let i): out.write("\"\(i)\"")
            case .float(let d):
                guard d.isFinite else { throw ScriptThrow.valueError("json: \(d.weftDescription) is not valid JSON") }
                out.write("\"\(d.weftDescription)\"")
            case .bool(let b): out.write(b ? "\"true\"" : "\"false\"")
            case .nil: out.write("\"null\"")
            default:
                throw ScriptThrow.typeError("json: map keys must be str, int, float, bool or nil, not \(k.typeName)")
            }
            out.write(indent == nil ? ":" : ": ")
        }
        func checkDepth() throws {
            if stack.count >= JSON.maxDepth {
                throw ScriptThrow.valueError("json: nesting deeper than \(JSON.maxDepth) levels")
            }
        }
        func enter(_ obj: AnyObject) throws {
            if !active.insert(ObjectIdentifier(obj)).inserted {
                throw ScriptThrow.valueError("json: circular reference")
            }
        }

        var current: Word? = v
        while true {
            if let value = current {
                current = nil
                switch value.unpacked {
                case .nil: out.write("null")
                case .bool(let b): out.write(b ? "true" : "false")
                case .int(let i): out.write(String(i))
                case .float(let d):
                    guard d.isFinite else { throw ScriptThrow.valueError("json: \(d.weftDescription) is not valid JSON") }
                    out.write(d.weftDescription)
                case .str(let s): out.writeString(s)
                case .list(let l):
                    try checkDepth()
                    let items = l.snapshot
                    if items.isEmpty { out.write("[]"); break }
                    try enter(l)
                    out.write(UInt8(ascii: "["))
                    stack.append(.list(items, 0, ObjectIdentifier(l)))
                    newline(stack.count)
                    current = items[0]
                    continue
                case .map(let m):
                    try checkDepth()
                    let entries = m.entries
                    if entries.isEmpty { out.write("{}"); break }
                    try enter(m)
                    out.write(UInt8(ascii: "{"))
                    stack.append(.map(entries, 0, ObjectIdentifier(m)))
                    newline(stack.count)
                    try key(entries[0].key)
                    current = entries[0].value
                    continue
                default:
                    throw ScriptThrow.typeError("json: a value of type \(value.typeName) is not JSON serializable")
                }
            }
            // The value just written completes an item of the innermost container.
            guard let top = stack.popLast() else { return out.string }
            switch top {
            case .list(let items, let i, let id):
                if i + 1 < items.count {
                    out.write(UInt8(ascii: ","))
                    stack.append(.list(items, i + 1, id))
                    newline(stack.count)
                    current = items[i + 1]
                } else {
                    newline(stack.count)
                    out.write(UInt8(ascii: "]"))
                    active.remove(id)
                }
            case .map(let entries, let i, let id):
                if i + 1 < entries.count {
                    out.write(UInt8(ascii: ","))
                    stack.append(.map(entries, i + 1, id))
                    newline(stack.count)
                    try key(entries[i + 1].key)
                    current = entries[i + 1].value
                } else {
                    newline(stack.count)
                    out.write(UInt8(ascii: "}"))
                    active.remove(id)
                }
            }
        }
    }

    private enum Frame {
        case list([Word], Int, ObjectIdentifier)
        case map([(key: Word, value: Word)], Int, ObjectIdentifier)
    }

    // MARK: - Module

    static func make() -> ModuleObj {
        let g = GlobalTable()
        g.set("parse", .object(NativeFn("parse") { vm, _, args in
            try args.check(min: 0, max: 1, keywords: ["s"])
            let s = try MethodSupport.required(args, 0, "s")
            switch s.unpacked {
            case .str(let str): return try parse(str.value, vm: vm)
            case .object(let b as BytesObj):
                guard let text = String(validating: b.bytes, as: UTF8.self) else {
                    throw ScriptThrow.valueError("json: input bytes are not valid UTF-8")
                }
                return try parse(text, vm: vm)
            default:
                throw ScriptThrow.typeError("parse() argument 's' must be str or bytes, not \(s.typeName)")
            }
        }))
        g.set("stringify", .object(NativeFn("stringify") { _, _, args in
            try args.check(min: 0, max: 2, keywords: ["v", "indent"])
            let v = try MethodSupport.required(args, 0, "v")
            var indent: Int? = nil
            if let iv = try args.arg(1, "indent") {
                switch iv.unpacked {
                case .nil: indent = nil
                case .int(let n): indent = n
                default:
                    throw ScriptThrow.typeError("stringify() argument 'indent' must be int or nil, not \(iv.typeName)")
                }
            }
            return .string(try stringify(v, indent: indent))
        }))
        return ModuleObj(name: "json", globals: g)
    }
}
