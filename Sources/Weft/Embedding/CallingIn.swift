// Calling script code from Swift: functions by global name or by value, methods of
// script objects, attribute reads. Each call runs on a script thread (see
// `Interpreter.runOnScriptThread`); an uncaught script error throws `ScriptError`.

extension Interpreter {
    /// A global of the main module, or a `ScriptError` of kind `NameError` when it is
    /// not defined. Conversion errors on the result name the global
    /// (`config.retries: expected Int, got str`).
    public func global(_ name: String) throws -> Value {
        guard let v = self[name] else {
            throw ScriptError(ScriptThrow(ErrorKinds.nameError, "name '\(name)' is not defined"), core: core)
        }
        return v
    }

    /// Calls the global function `name` with Swift arguments:
    /// `try interp.call("handler", 1, "x")`.
    @discardableResult
    public func call(_ name: String, _ args: Value...) throws -> Value {
        try callValue(try global(name), args, keywords: [])
    }

    /// Calls the global function `name` with positional and keyword arguments.
    @discardableResult
    public func call(_ name: String, arguments: [Value], keywords: KeyValuePairs<String, Value>) throws -> Value {
        try callValue(try global(name), arguments, keywords: keywords.map { ($0.key, $0.value) })
    }

    /// `str(value)` as a script computes it, running a class's `to_str()`.
    public func str(_ value: Value) throws -> String {
        let r = try runOnScriptThread { vm in .string(try vm.str(value.word)) }
        return r.stringContents ?? r.description
    }

    /// The call behind every host call into script code.
    func callValue(_ callee: Value, _ args: [Value], keywords: [(String, Value)]) throws -> Value {
        // The Values (captured by the closure) keep callee and arguments alive until
        // the VM's stack holds them.
        try runOnScriptThread { vm in
            try vm.call(callee.word, args.map { try $0.word(in: vm) }, keywords: keywords.map { ($0.0, try $0.1.word(in: vm)) })
        }
    }

    /// `receiver.name(args)` on a script thread.
    func callMethod(_ receiver: Value, _ name: String, _ args: [Value]) throws -> Value {
        let sym = Symbols.intern(name)
        return try runOnScriptThread { vm in try vm.invokeMethod(receiver.word, sym, args.map { try $0.word(in: vm) }) }
    }
}

extension Value {
    /// The interpreter to run calls in, or an error for a value no script made.
    private func owningInterpreter(_ what: String) throws -> Interpreter {
        guard let i = interpreter else {
            throw ScriptError(ScriptThrow.typeError("\(what) needs a value that came from an interpreter"))
        }
        return i
    }

    /// Calls this function (script function, bound method, native function or
    /// class) with Swift arguments: `try handler.call(1, "x")`.
    @discardableResult
    public func call(_ args: Value...) throws -> Value {
        try owningInterpreter("call").callValue(self, args, keywords: [])
    }

    /// Calls this function with positional and keyword arguments.
    @discardableResult
    public func call(arguments: [Value], keywords: KeyValuePairs<String, Value> = [:]) throws -> Value {
        try owningInterpreter("call").callValue(self, arguments, keywords: keywords.map { ($0.key, $0.value) })
    }

    /// Calls method `name` of this value (a script object, host object, string,
    /// list...): `try account.callMethod("deposit", 10)`.
    @discardableResult
    public func callMethod(_ name: String, _ args: Value...) throws -> Value {
        try owningInterpreter("callMethod").callMethod(self, name, args)
    }

    /// Reads attribute `name` (`value.name` in a script): a field, a method (bound
    /// to this value), a module's global.
    public func attribute(_ name: String) throws -> Value {
        let me = self
        let r = try owningInterpreter("attribute").runOnScriptThread { vm in try vm.getAttr(me.word, name) }
        return r.labelled(pathAppending(origin, key: name))
    }
}
