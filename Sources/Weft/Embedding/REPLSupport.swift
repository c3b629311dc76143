// What an interactive front end (the `weft` REPL, §10) needs from the library
// besides `eval`: the `repr` of a result, Tab-completion candidates drawn from the
// interpreter's live state, and a hook for the reports of threads that die.
//
// Completion never runs script code: it reads globals, module globals, instance
// fields, class attributes and the method tables of builtin and runtime types.

extension Interpreter {
    /// `repr(value)` as a script would compute it: strings quoted, instances through
    /// their `to_str()` (which runs on a script thread, like any script code).
    public func repr(_ value: Value) throws -> String {
        let r = try runOnScriptThread { vm in .string(try vm.repr(value.word)) }
        return r.stringContents ?? r.description
    }

    /// Where reports of errors that end a script thread go (`error in thread "t": ...`
    /// with its trace). Default: standard error. The REPL routes them above its prompt.
    public var threadErrorOutput: (String) -> Void {
        get { core.threadError }
        set { core.threadError = newValue }
    }

    /// Tab-completion candidates for the name ending at `cursor` in `line`.
    ///
    /// `cursor` is an offset in UTF-8 bytes (as GNU readline's `rl_point`), clamped
    /// to the line. The completed word is the dotted name that ends at the cursor
    /// (`xs.app` in `print(xs.app`), and each candidate is that whole word completed
    /// (`xs.append`), sorted and without duplicates:
    /// - a plain name completes to keywords, builtins and globals;
    /// - `a.b.` completes to the members of the value `a.b` (module globals,
    ///   instance fields, class methods and attributes, the methods of str, list,
    ///   map, bytes and range, and those of runtime objects such as queues and
    ///   threads), where `a` is a global and each step is a plain attribute read —
    ///   no script code runs;
    /// - after `import `, the standard modules.
    public func completions(for line: String, cursor: Int) -> [String] {
        // Reads live objects from the REPL's thread (LockingSwitch.swift).
        Runtime.enter(nil); defer { Runtime.leave() }
        let bytes = Array(line.utf8)
        let end = max(0, min(cursor, bytes.count))
        var start = end
        func isNameByte(_ b: UInt8) -> Bool {
            b >= 0x80 || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
                || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
                || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
        }
        while start > 0 && isNameByte(bytes[start - 1]) { start -= 1 }
        let word = String(decoding: bytes[start..<end], as: UTF8.self)
        if let first = word.utf8.first, first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
            return []      // a number (`1.5`), not a name
        }
        let before = String(decoding: bytes[0..<start], as: UTF8.self)

        // `import js` -> `import json`
        if !word.contains("."),
           before.trimmingWhitespace() == "import" {
            return StdModules.names.filter { $0.hasPrefix(word) }.sorted()
        }

        var pool: [String]
        let prefix: String
        let head: String
        if let dot = word.lastIndex(of: ".") {
            head = String(word[...dot])                    // "a.b."
            prefix = String(word[word.index(after: dot)...])
            let path = word[..<dot].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard let value = resolve(path) else { return [] }
            pool = REPLCompletion.members(of: value)
        } else {
            head = ""
            prefix = word
            pool = Array(TokenKind.keywords.keys)
            pool += core.builtins.keys
            pool += REPLCompletion.names(of: core.globals)
        }
        var seen = Set<String>()
        var out: [String] = []
        for name in pool where name.hasPrefix(prefix) && !name.isEmpty {
            if seen.insert(name).inserted { out.append(head + name) }
        }
        return out.sorted { strLess($0, $1) }
    }

    /// The value of a dotted path of plain reads (`a`, `a.b`), or nil.
    private func resolve(_ path: [String]) -> Word? {
        guard let first = path.first, !first.isEmpty,
              TokenKind.keywords[first] == nil else { return nil }
        guard var value = core.globals.lookup(first) ?? core.builtins[first] else { return nil }
        for name in path.dropFirst() {
            guard !name.isEmpty, let next = REPLCompletion.member(value, name) else { return nil }
            value = next
        }
        return value
    }
}

/// Read-only introspection for completion.
enum REPLCompletion {
    /// The names of a global table that are set.
    static func names(of table: GlobalTable) -> [String] {
        table.locked {
            var out: [String] = []
            for (i, n) in table.names.enumerated() where !table.get(i).isMissing { out.append(n) }
            return out
        }
    }

    /// `value.name` when it is a plain stored attribute (no code runs), else nil.
    static func member(_ value: Word, _ name: String) -> Word? {
        switch value.unpacked {
        case .instance(let inst):
            let sym = Symbols.intern(name)
            return inst.field(sym) ?? inst.cls.attr(sym)
        case .object(let m as ModuleObj):
            return m.globals.lookup(name)
        case .object(let c as ClassObj):
            return c.attr(Symbols.intern(name))
        default:
            return nil
        }
    }

    /// Attribute and method names of a value.
    static func members(of value: Word) -> [String] {
        switch value.unpacked {
        case .str: return MethodTables.names(ofType: "str")
        case .list: return MethodTables.names(ofType: "list")
        case .map: return MethodTables.names(ofType: "map")
        case .instance(let inst):
            var out = inst.fieldSymbols.map(Symbols.name)
            out += classMembers(inst.cls)
            if let native = inst.native as? Obj { out += native.methodNames() }
            return out
        case .object(let o):
            switch o {
            case is BytesObj: return MethodTables.names(ofType: "bytes")
            case is RangeObj: return MethodTables.names(ofType: "range")
            case let m as ModuleObj: return names(of: m.globals)
            case let c as ClassObj: return classMembers(c)
            default: return o.methodNames()
            }
        default:
            return []
        }
    }

    /// A class's methods (own and inherited) and class attributes.
    private static func classMembers(_ c: ClassObj) -> [String] {
        var out = c.methods.keys.map(Symbols.name)
        var k: ClassObj? = c
        while let cls = k {
            out += cls.locked { Array(cls.attrs.keys) }.map(Symbols.name)
            k = cls.superclass
        }
        return out
    }
}
