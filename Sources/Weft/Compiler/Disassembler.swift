// A readable listing of compiled bytecode (`weft --dis FILE`), so the code the
// compiler emits is always visible.

enum Disassembler {
    static func listing(_ proto: FuncProto) -> String {
        var out = ""
        var pending = [proto]
        var seen = Set<ObjectIdentifier>()
        while let p = pending.popLast() {
            guard seen.insert(ObjectIdentifier(p)).inserted else { continue }
            out += "== \(p.name) (params: \(p.paramNames.joined(separator: ", ")), slots: \(p.slotCount), stack: \(p.maxStack))\n"
            var pc = 0
            while pc < p.codeCount {
                let word = p.code[pc]
                let op = decodeOp(word)
                let a = Int(word >> 8)
                var line = String(repeat: " ", count: 0)
                line += pad(String(pc), 5) + " " + pad(String(p.position(at: pc).line), 4) + "  " + pad("\(op)", 18)
                switch op {
                case .constant, .closure, .makeClass, .importModule:
                    let v = p.constants[a]
                    if case .object(let b as ProtoBox) = v.unpacked { pending.append(b.proto); line += "\(a) <fn \(b.proto.name)>" }
                    else if case .object(let t as ClassTemplate) = v.unpacked { line += "\(a) <class \(t.name)>" }
                    else { line += "\(a) \(v.description)" }
                case .pushInt, .addImm, .subImm, .indexImm: line += String(a - (1 << 23))
                case .getAttr, .setAttr, .getSuper: line += Symbols.name(Int32(a))
                case .invoke, .invokeKw: line += "\(Symbols.name(Int32(a))) argc=\(p.code[pc + 1])"
                case .loadLocal2, .storeLocal2, .storeLoadLocal: line += "\(a & 0xFFF) \(a >> 12)"
                case .localIndexImm: line += "\(a) \(Int(p.code[pc + 1]) - (1 << 23))"
                case .getLocalAttr: line += "\(a) \(Symbols.name(Int32(bitPattern: p.code[pc + 1])))"
                default:
                    if op != .pop && op != .ret { line += String(a) }
                    if extraWords(op) > 0 && op != .invoke { line += " " + String(p.code[pc + 1]) }
                }
                out += line + "\n"
                pc += 1 + extraWords(op)
            }
            for i in 0..<p.constantCount {
                if case .object(let b as ProtoBox) = p.constants[i].unpacked { pending.append(b.proto) }
            }
        }
        return out
    }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }
}

extension String {
    fileprivate init(repeat s: String, count: Int) { self = String(repeating: s, count: count) }
}

extension Interpreter {
    /// The bytecode listing of `source` (every function), for `weft --dis`.
    public func disassemble(_ source: String, file: String = "<dis>") throws -> String {
        let proto = try compileSource(source, file: file, globals: GlobalTable(), builtins: core.builtins)
        return Disassembler.listing(proto)
    }
}
