// Calling values: script closures push a frame; natives run at once; classes
// construct instances; bound methods put their receiver in slot 0.

extension VM {
    /// Calls the value at `calleePos` with `argc` positionals (and keyword values)
    /// above it. Returns true when a script frame was pushed (the loop continues in
    /// it); otherwise the result is already at `calleePos` and `sp == calleePos + 1`.
    func setupCall(_ calleePos: UnsafeMutablePointer<Word>, argc: Int, kw: KeywordNames?) throws -> Bool {
        let callee = calleePos.pointee
        if callee.isFunction {
            // Borrowed without a retain (a bit-cast reference passed on is retained).
            try Unmanaged<Closure>.fromOpaque(callee.heapAddress)._withUnsafeGuaranteedRef {
                try pushFrame($0, calleePos: calleePos, base: calleePos + 1, argc: argc, kw: kw)
            }
            return true
        }
        // Classes are told apart by their class pointers and borrowed: nothing is retained.
        if callee.isObjectTag {
            let c = callee.classPointer
            if c == ClassPointers.nativeFn {
                try callee.withObject(NativeFn.self) { try callNative($0, receiver: .nil, calleePos, argc: argc, kw: kw) }
                return false
            }
            if c == ClassPointers.boundMethod {
                let (method, receiver) = callee.withObject(BoundMethod.self) { ($0.method, $0.receiver) }
                return try callMethodValue(method, receiver: receiver, calleePos, argc: argc, kw: kw)
            }
            if c == ClassPointers.classObj {
                return try callee.withObject(ClassObj.self) { try instantiate($0, calleePos, argc: argc, kw: kw) }
            }
        }
        throw ScriptThrow.typeError("'\(callee.typeName)' object is not callable")
    }

    /// Runs a method (Closure or NativeFn) with `receiver` as self, in place of the
    /// value at `calleePos`.
    func callMethodValue(_ method: Word, receiver: Word, _ calleePos: UnsafeMutablePointer<Word>,
                         argc: Int, kw: KeywordNames?) throws -> Bool {
        if method.isFunction && method.closureUnchecked.proto.isMethod {
            calleePos.pointee = receiver
            try pushFrame(method.closureUnchecked, calleePos: calleePos, base: calleePos, argc: argc, kw: kw)
            return true
        }
        if method.isObjectTag && method.classPointer == ClassPointers.nativeFn {
            // Borrowed: a reference made from the word was retained and released.
            try method.withObject(NativeFn.self) { try callNative($0, receiver: receiver, calleePos, argc: argc, kw: kw) }
            return false
        }
        calleePos.pointee = method
        return try setupCall(calleePos, argc: argc, kw: kw)
    }

    @inline(__always)
    func callNative(_ n: NativeFn, receiver: Word, _ calleePos: UnsafeMutablePointer<Word>,
                    argc: Int, kw: KeywordNames?) throws {
        let total = argc + (kw?.ids.count ?? 0)
        sp = calleePos + 1 + total
        let rootMark = allocations.rootCount
        defer { allocations.truncateRoots(to: rootMark) }
        let result = try n.body(self, receiver, Args(base: calleePos + 1, count: argc, keywords: kw, function: n))
        var p = calleePos + 1
        while p < sp { drop(p); p += 1 }
        drop(calleePos)
        calleePos.initialize(to: result)
        sp = calleePos + 1
    }

    /// `Class(args)`: a new instance initialised by `init`, or a builtin type's constructor.
    func instantiate(_ cls: ClassObj, _ calleePos: UnsafeMutablePointer<Word>, argc: Int, kw: KeywordNames?) throws -> Bool {
        if let ctor = cls.constructor {
            try callNative(ctor, receiver: .object(cls), calleePos, argc: argc, kw: kw)
            return false
        }
        let inst = Instance(cls: cls)
        if cls.isSubclass(of: ErrorKinds.base) {
            inst.setFieldUnlocked(Symbols.message, .string(""))
            inst.setFieldUnlocked(Symbols.trace, .list(ListObj()))
            inst.native = ErrorState()
        }
        let selfValue = Word.instance(inst)
        guard let initMethod = cls.findMethod(Symbols.initSym) else {
            if argc > 0 || kw != nil { throw ScriptThrow.typeError("\(cls.name)() takes no arguments") }
            calleePos.pointee = selfValue
            return false
        }
        if initMethod.isFunction {
            calleePos.pointee = selfValue
            try initMethod.withObject(Closure.self) {
                try pushFrame($0, calleePos: calleePos, base: calleePos, argc: argc, kw: kw, isConstructor: true)
            }
            return true
        }
        switch initMethod.unpacked {
        case .function(let c):
            calleePos.pointee = selfValue
            try pushFrame(c, calleePos: calleePos, base: calleePos, argc: argc, kw: kw, isConstructor: true)
            return true
        case .object(let n as NativeFn):
            try callNative(n, receiver: selfValue, calleePos, argc: argc, kw: kw)
            calleePos.pointee = selfValue
            return false
        default:
            throw ScriptThrow.typeError("\(cls.name).init is not a function")
        }
    }

    /// The script function `sym` names in the class of the instance at `recvPos`, if
    /// no field of the instance shadows it: what `recv.sym(args)` runs.
    @inline(__always)
    func scriptMethod(ofInstanceAt recvPos: UnsafeMutablePointer<Word>, _ sym: Int32) -> Word? {
        recvPos.withUnretained(Instance.self) { inst in
            guard let (slot, check) = inst.withClass({ c in c.findMethodSlot(sym).map { ($0, c.mayHaveFieldNamedLikeMethod) } }),
                  slot.pointee.isFunction, !(check && inst.hasField(sym)) else { return nil }
            return slot.pointee
        }
    }

    /// `recv.name(args)`: methods run with the receiver in slot 0 (no bound-method
    /// object is created); callable fields and attributes are called plainly.
    func setupInvoke(_ recvPos: UnsafeMutablePointer<Word>, sym: Int32, argc: Int, kw: KeywordNames?) throws -> Bool {
        if recvPos.pointee.isInstance {
            if let m = scriptMethod(ofInstanceAt: recvPos, sym) {
                let pushed = try m.withObject(Closure.self) { c in
                    guard c.proto.isMethod else { return false }
                    try pushFrame(c, calleePos: recvPos, base: recvPos, argc: argc, kw: kw)
                    return true
                }
                if pushed { return true }
            }
        } else if let methods = MethodTables.index(of: recvPos.pointee) {
            // Fast path: a method of str, list or map.
            let recv = recvPos.pointee
            if try methods.withMethod(sym, { try callNative($0, receiver: recv, recvPos, argc: argc, kw: kw) }) != nil {
                return false
            }
        } else if recvPos.pointee.isObjectTag && recvPos.pointee.classPointer == ClassPointers.module {
            // Fast path: `module.function(args)`.
            if let f = recvPos.pointee.withObject(ModuleObj.self, { $0.globals.lookup(symbol: sym) }) {
                recvPos.pointee = f
                return try setupCall(recvPos, argc: argc, kw: kw)
            }
        } else if recvPos.pointee.isObjectTag, let n = recvPos.pointee.objectUnchecked.method(sym) {
            // Fast path: a native method of a runtime object.
            try callNative(n, receiver: recvPos.pointee, recvPos, argc: argc, kw: kw)
            return false
        }
        let recv = recvPos.pointee
        switch recv.unpacked {
        case .instance(let inst):
            if let f = inst.field(sym) {
                recvPos.pointee = f
                return try setupCall(recvPos, argc: argc, kw: kw)
            }
            if let m = inst.cls.findMethod(sym) {
                if case .function(let c) = m.unpacked, c.proto.isMethod {
                    // The receiver is already in slot 0.
                    try pushFrame(c, calleePos: recvPos, base: recvPos, argc: argc, kw: kw)
                    return true
                }
                return try callMethodValue(m, receiver: recv, recvPos, argc: argc, kw: kw)
            }
            if let v = inst.cls.attr(sym) {
                recvPos.pointee = v
                return try setupCall(recvPos, argc: argc, kw: kw)
            }
        case .object(let o):
            if let n = o.method(sym) ?? MethodTables.lookup(recv, sym) {
                try callNative(n, receiver: recv, recvPos, argc: argc, kw: kw)
                return false
            }
            if let v = try attribute(of: o, sym) {
                recvPos.pointee = v
                return try setupCall(recvPos, argc: argc, kw: kw)
            }
        default:
            if let n = MethodTables.lookup(recv, sym) {
                try callNative(n, receiver: recv, recvPos, argc: argc, kw: kw)
                return false
            }
        }
        throw attributeError(recv, sym)
    }

    /// `f(...xs, k: v)`: the stack holds [callee, positional list, keyword map or nil].
    func setupSpreadCall(_ calleePos: UnsafeMutablePointer<Word>) throws -> Bool {
        let kwValue = (calleePos + 2).move()
        let listValue = (calleePos + 1).move()
        sp = calleePos + 1
        guard case .list(let l) = listValue.unpacked else {
            throw ScriptThrow.typeError("can only spread a list, not '\(listValue.typeName)'")
        }
        var p = calleePos + 1
        // Unrooted: the items go onto the stack before the next safepoint.
        let items = l.copyItems
        var kw: KeywordNames?
        var kwValues: [Word] = []
        if case .map(let m) = kwValue.unpacked {
            var names: [String] = []
            for (k, v) in m.entries {
                guard case .str(let s) = k.unpacked else { throw ScriptThrow.typeError("keyword names must be strings") }
                names.append(s.value); kwValues.append(v)
            }
            kw = KeywordNames(names)
        }
        guard p + items.count + kwValues.count < stackLimit else {
            throw ScriptThrow(ErrorKinds.recursionError, "maximum call depth exceeded")
        }
        for v in items { p.initialize(to: v); p += 1 }
        for v in kwValues { p.initialize(to: v); p += 1 }
        sp = p
        return try setupCall(calleePos, argc: items.count, kw: kw)
    }

    func makeClosure(_ proto: FuncProto, frame: Frame) -> Closure {
        let specs = proto.captures
        if specs.isEmpty { return Closure(proto: proto) }
        return Closure(proto: proto, captureCount: specs.count) { caps in
            for (i, spec) in specs.enumerated() {
                let v: Word
                if spec.fromParentSlot {
                    let slot = frame.base + spec.index
                    if spec.isCell {
                        if slot.pointee.isObjectTag && slot.pointee.objectUnchecked is Cell {
                            v = slot.pointee
                        } else {
                            v = .object(Cell(slot.pointee))
                            slot.pointee = v
                        }
                    } else {
                        v = slot.pointee
                    }
                } else {
                    v = frame.closure.capture(spec.index)
                }
                (caps + i).initialize(to: v)
            }
        }
    }

    func makeClass(_ t: ClassTemplate, superclass: Word, values: [Word]) throws -> Word {
        var sup: ClassObj?
        switch superclass.unpacked {
        case .nil: sup = nil
        case .object(let c as ClassObj):
            if c.isBuiltin && !c.isSubclass(of: ErrorKinds.base) && !c.isSubclassable {
                throw ScriptThrow.typeError("cannot subclass builtin type '\(c.name)'")
            }
            sup = c
        default:
            throw ScriptThrow.typeError("superclass of '\(t.name)' must be a class, not '\(superclass.typeName)'")
        }
        var methods: [Int32: Word] = [:]
        for (i, n) in t.methodNames.enumerated() { methods[Symbols.intern(n)] = values[i] }
        var attrs: [Int32: Word] = [:]
        for (i, n) in t.attrNames.enumerated() { attrs[Symbols.intern(n)] = values[t.methodNames.count + i] }
        let cls = ClassObj(name: t.name, superclass: sup, methods: methods, attrs: attrs)
        for i in 0..<t.methodNames.count {
            if case .function(let c) = values[i].unpacked { c.homeClass = cls }
        }
        return .object(cls)
    }

    /// `super.name` inside a method: the superclass's method bound to `self`.
    func superMethod(_ closure: Closure, _ selfValue: Word, _ sym: Int32) throws -> Word {
        guard let home = closure.homeClass else {
            throw ScriptThrow.runtimeError("'super' used outside a class method")
        }
        if let sup = home.superclass, let m = sup.methods[sym] {
            return .object(BoundMethod(receiver: selfValue, method: m))
        }
        if sym == Symbols.initSym {
            // A root class's implicit init takes no arguments.
            return .object(NativeFn("init") { _, _, args in
                try args.check(min: 0, max: 0)
                return .nil
            })
        }
        throw ScriptThrow(ErrorKinds.attributeError, "'super' object has no attribute '\(Symbols.name(sym))'")
    }

    /// What `throw x` raises: an error instance, or a new instance of an error class.
    func makeThrowable(_ e: Word) throws -> ScriptThrow {
        if e.isError { return ScriptThrow(e) }
        if case .object(let c as ClassObj) = e.unpacked, c.isSubclass(of: ErrorKinds.base) {
            return ScriptThrow(try call(e, []))
        }
        throw ScriptThrow.typeError("can only throw Error instances, not '\(e.typeName)'")
    }

    /// Whether error `e` is caught by a `catch e: kind` clause.
    func errorMatches(_ e: Word, _ kind: Word) throws -> Bool {
        guard case .object(let c as ClassObj) = kind.unpacked else {
            throw ScriptThrow.typeError("catch needs an error class, not '\(kind.typeName)'")
        }
        if case .instance(let i) = e.unpacked { return i.cls.isSubclass(of: c) }
        return false
    }
}
