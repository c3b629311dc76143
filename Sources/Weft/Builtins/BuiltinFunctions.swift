// The builtin functions of §8 (the concurrency builtins of §7 live with the
// runtime): the global table the VM installs, and the small functions — I/O,
// `len`, `type`/`isinstance`, `hash`/`id`, `chr`/`ord`, `assert`, `exit`. The
// others are grouped by concern: Conversions.swift (the type objects' calls),
// Sequences.swift (iteration helpers, sorting, min/max/sum), Numbers.swift
// (abs, round), Copying.swift (copy, deepcopy, freeze).
//
// Every builtin checks its arity and argument types and raises a TypeError naming
// itself; none traps on user data (overflow raises OverflowError).

enum Builtins {
    /// Every builtin function of §8 by global name: NativeFns, and the builtin type
    /// objects (`int`, `str`, `list`, ...) whose constructors do the conversions.
    static let functions: [String: Word] = {
        var t: [String: Word] = [:]
        for cls in TypeObjects.globals { t[cls.name] = .object(cls) }
        let fns: [NativeEntry] = [
            NativeEntry("print", print), NativeEntry("input", input), NativeEntry("len", len), NativeEntry("repr", repr),
            NativeEntry("type", type), NativeEntry("isinstance", isinstance), NativeEntry("hash", hash), NativeEntry("id", id),
            NativeEntry("chr", chr), NativeEntry("ord", ord), NativeEntry("assert", assertFn), NativeEntry("exit", exit),
            NativeEntry("enumerate", Sequences.enumerate), NativeEntry("zip", Sequences.zip),
            NativeEntry("sorted", Sequences.sorted), NativeEntry("reversed", Sequences.reversed),
            NativeEntry("min", Sequences.min), NativeEntry("max", Sequences.max), NativeEntry("sum", Sequences.sum),
            NativeEntry("any", Sequences.any), NativeEntry("all", Sequences.all),
            NativeEntry("abs", Numbers.abs), NativeEntry("round", Numbers.round),
            NativeEntry("copy", Copying.copy), NativeEntry("deepcopy", Copying.deepcopy),
            NativeEntry("freeze", Copying.freeze), NativeEntry("is_frozen", Copying.isFrozen),
        ]
        for e in fns { t[e.name] = .object(NativeFn(e.name, e.body)) }
        return t
    }()

    // MARK: - I/O

    /// `print(...v, sep: " ", end: "\n")`: the whole line is one write, so lines
    /// printed by different threads never mix.
    static func print(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: Int.max, keywords: ["sep", "end"])
        let sep = try optionalStr(args.kw("sep"), "print", "sep") ?? " "
        let end = try optionalStr(args.kw("end"), "print", "end") ?? "\n"
        var text = ""
        for i in 0..<args.count {
            if i > 0 { text += sep }
            if case .str(let s) = args[i].unpacked { text += s.value } else { text += try vm.str(args[i]) }
        }
        text += end
        vm.write(text)
        return .nil
    }

    /// `input(prompt)`: a line without its newline, or nil at end of input.
    static func input(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1, keywords: ["prompt"])
        var prompt = ""
        if let p = try args.arg(0, "prompt"), !Conversions.isNil(p) {
            if case .str(let s) = p.unpacked { prompt = s.value } else { prompt = try vm.str(p) }
        }
        let line = vm.readLine(prompt: prompt)
        try vm.thread.checkPending()        // Ctrl-C while reading raises Interrupted
        guard let text = line else { return .nil }
        return .string(text)
    }

    // MARK: - Introspection

    static func len(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        guard args.count == 1, args.keywordCount == 0 else {
            throw ScriptThrow.typeError("len() takes exactly one argument (\(args.count + args.keywordCount) given)")
        }
        let x = args[0]
        // The common kinds borrowed: `unpacked` makes a reference, retained and released.
        if x.isList { return .int(x.withObject(ListObj.self) { $0.count }) }
        if x.isStr { return .int(x.withObject(StrObj.self) { $0.count }) }
        if x.isMap { return .int(x.withObject(MapObj.self) { $0.count }) }
        switch x.unpacked {
        case .object(let o as BytesObj): return .int(o.bytes.count)
        case .object(let o as RangeObj): return .int(o.count)
        default:
            throw ScriptThrow.typeError("object of type '\(x.typeName)' has no len()")
        }
    }

    static func repr(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return .string(try vm.repr(args[0]))
    }

    static func type(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return .object(TypeObjects.of(args[0]))
    }

    /// `isinstance(x, T)`: T is a type object or class, or a list of them. Builtin
    /// types match by kind (bool is not int); classes match with inheritance.
    static func isinstance(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 2, max: 2)
        let x = args[0], spec = args[1]
        if x.isInstance && spec.isObjectTag && spec.classPointer == ClassPointers.classObj {
            // An instance and a class, borrowed (no reference made, so none retained).
            return .bool(x.withObject(Instance.self) { inst in
                inst.withClass { c in spec.withObject(ClassObj.self) { c.isSubclass(of: $0) } }
            })
        }
        let t = TypeObjects.of(x)
        func matches(_ spec: Word) throws -> Bool {
            switch spec.unpacked {
            case .object(let c as ClassObj): return t.isSubclass(of: c)
            case .list(let l):
                for s in l.snapshot {
                    guard case .object(let c as ClassObj) = s.unpacked else {
                        throw ScriptThrow.typeError(
                            "isinstance() arg 2 must be a type or a list of types, not a list containing \(s.typeName)")
                    }
                    if t.isSubclass(of: c) { return true }
                }
                return false
            default:
                throw ScriptThrow.typeError(
                    "isinstance() arg 2 must be a type or a list of types, not \(spec.typeName)")
            }
        }
        return .bool(try matches(args[1]))
    }

    static func hash(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return .int(try vm.hash(args[0]))
    }

    /// `id(x)`: a heap object's address, stable for its lifetime; for immediates a
    /// value-derived int (equal immediates have equal ids, as they are identical).
    static func id(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        return .int(identity(args[0]))
    }

    static func identity(_ v: Word) -> Int {
        if let o = v.heapObject { return Int(bitPattern: ObjectIdentifier(o)) }
        switch v.unpacked {
        case .nil: return 0x6E696C                     // distinct small tags for nil/bool;
        case .bool(let b): return b ? 0x74727565 : 0x66616C73
        case .int(let i): return i
        case .float(let d): return Int(bitPattern: UInt(d.bitPattern)) ^ 0x5F3759DF
        default: return 0
        }
    }

    // MARK: - Characters

    static func chr(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        guard case .int(let i) = args[0].unpacked else {
            throw ScriptThrow.typeError("chr() argument must be int, not \(args[0].typeName)")
        }
        guard i >= 0 && i <= 0x10FFFF else {
            throw ScriptThrow.valueError("chr() arg not in range(0x110000)")
        }
        guard let u = Unicode.Scalar(UInt32(i)) else {
            throw ScriptThrow.valueError("chr() arg is a surrogate code point (\(i))")
        }
        return StrObj.char(u)
    }

    static func ord(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1)
        switch args[0].unpacked {
        case .str(let s):
            guard s.count == 1, let u = s.value.unicodeScalars.first else {
                throw ScriptThrow.typeError("ord() expected a character, but string of length \(s.count) found")
            }
            return .int(Int(u.value))
        case .object(let o as BytesObj):
            guard o.bytes.count == 1 else {
                throw ScriptThrow.typeError("ord() expected a character, but bytes of length \(o.bytes.count) found")
            }
            return .int(Int(o.bytes[0]))
        default:
            throw ScriptThrow.typeError("ord() expected a str of length 1, but \(args[0].typeName) found")
        }
    }

    // MARK: - Control

    /// `assert(cond, message: nil)`: AssertionError when `cond` is falsy.
    static func assertFn(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 2, keywords: ["message"])
        if args[0].isTruthy { return .nil }
        var message = "assertion failed"
        if let m = try args.arg(1, "message"), !Conversions.isNil(m) {
            if case .str(let s) = m.unpacked { message = s.value } else { message = try vm.str(m) }
        }
        throw ScriptThrow(ErrorKinds.assertionError, message)
    }

    /// `exit(code: 0)`: ends the process (the VM flushes output first).
    static func exit(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1, keywords: ["code"])
        var code: Int32 = 0
        if let c = try args.arg(0, "code") {
            switch c.unpacked {
            case .nil: code = 0
            case .int(let i): code = Int32(truncatingIfNeeded: i)
            case .bool(let b): code = b ? 1 : 0
            default: throw ScriptThrow.typeError("exit() code must be int, not \(c.typeName)")
            }
        }
        throw ExitRequest(code: code)
    }

    // MARK: - Helpers

    /// A str keyword argument that may be omitted or nil.
    static func optionalStr(_ v: Word?, _ fn: String, _ param: String) throws -> String? {
        guard let v = v else { return nil }
        switch v.unpacked {
        case .nil: return nil
        case .str(let s): return s.value
        default: throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be str or nil, not \(v.typeName)")
        }
    }
}
