// The script-facing thread API (§7.1): the subclassable `Thread` class, `spawn`,
// `join`, `current_thread`, `main_thread`, `active_threads`, `cpu_count`, `sleep`,
// `cancelled`, `check_cancelled`.
import FoundationEssentials

/// Something `join(x)` can wait for: a Thread or a Future.
protocol Joinable: AnyObject {
    /// Waits until finished; false when the timeout passes first.
    func waitDone(_ vm: VM, timeout: Double?) throws -> Bool
    /// The result, or throws the error (once finished).
    func outcome() throws -> Word
    /// How deadlock reports and timeouts describe the wait ("thread \"t\"").
    var joinDescription: String { get }
}

extension ThreadObj: Joinable {
    func waitDone(_ vm: VM, timeout: Double?) throws -> Bool {
        if vm.thread === self { throw ScriptThrow.runtimeError("cannot join the current thread") }
        if !isStarted { throw ScriptThrow.runtimeError("cannot join thread \"\(name)\" before it is started") }
        done.lock()
        defer { done.unlock() }
        return try vm.blockingWait(done, timeout: timeout, on: "join of thread \"\(name)\"") { isFinished }
    }

    func outcome() throws -> Word {
        if let e = error { throw ScriptThrow(e) }
        return result
    }

    var joinDescription: String { "thread \"\(name)\"" }

    func threadAttribute(_ sym: Int32) -> Word? {
        switch Symbols.name(sym) {
        case "name": return .string(name)
        case "ident": return ident.map { .int($0) } ?? .nil
        case "daemon": return .bool(daemon)
        case "cancelled": return .bool(cancelled.load(ordering: .relaxed))
        default: return nil
        }
    }

    func setThreadAttribute(_ sym: Int32, _ value: Word) throws -> Bool {
        switch Symbols.name(sym) {
        case "name":
            guard case .str(let s) = value.unpacked else { throw ScriptThrow.typeError("thread name must be a str") }
            name = s.value
            return true
        case "daemon":
            guard case .bool(let b) = value.unpacked else { throw ScriptThrow.typeError("daemon must be a bool") }
            try setDaemon(b)
            return true
        case "ident", "cancelled":
            throw ScriptThrow(ErrorKinds.attributeError, "Thread.\(Symbols.name(sym)) is read-only")
        default:
            return false
        }
    }
}

enum ThreadBuiltins {
    /// The builtin `Thread` class. Scripts may subclass it and override `run`.
    static let threadClass: ClassObj = {
        let methods: [NativeEntry] = [
            NativeEntry("init", initThread), NativeEntry("start", start), NativeEntry("run", run), NativeEntry("join", joinMethod),
            NativeEntry("is_alive", isAlive), NativeEntry("cancel", cancel),
        ]
        var table: [Int32: Word] = [:]
        for e in methods { table[Symbols.intern(e.name)] = .object(NativeFn(e.name, e.body)) }
        let cls = ClassObj(name: "Thread", superclass: nil, methods: table, isBuiltin: true)
        cls.isSubclassable = true
        cls.makeNative = { inst, vm in
            let t = ThreadObj(core: vm.core, name: vm.core.threads.allocateName(), daemon: false, parent: vm.thread)
            t.instance = inst
            return t
        }
        return cls
    }()

    /// The ThreadObj behind a Thread instance (created on first use when a
    /// subclass's init did not call super.init).
    static func state(_ receiver: Word, _ vm: VM, _ fn: String) throws -> ThreadObj {
        guard case .instance(let inst) = receiver.unpacked, let t = try inst.nativeObject(vm) as? ThreadObj else {
            throw ScriptThrow.typeError("Thread.\(fn)() needs a Thread, not '\(receiver.typeName)'")
        }
        return t
    }

    static func initThread(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 4, keywords: ["target", "args", "name", "daemon", "capabilities"])
        guard case .instance(let inst) = receiver.unpacked else { return .nil }
        let caps = try narrowedCapabilities(args.kw("capabilities"), vm, "Thread")
        let name = try args.arg(2, "name") ?? .nil
        let t = ThreadObj(core: vm.core, name: try nameArg(name, vm), daemon: try boolArg(args.arg(3, "daemon"), "daemon"),
                          parent: vm.thread)
        if let caps { t.capabilities = caps }
        t.target = try args.arg(0, "target") ?? .nil
        if let a = try args.arg(1, "args"), !(a.isNil) {
            t.args = try vm.collect(a)
        }
        t.instance = inst
        inst.locked { inst.native = t }
        return .nil
    }

    static func nameArg(_ v: Word, _ vm: VM) throws -> String {
        switch v.unpacked {
        case .nil: return vm.core.threads.allocateName()
        case .str(let s): return s.value
        default: throw ScriptThrow.typeError("thread name must be a str, not '\(v.typeName)'")
        }
    }

    static func boolArg(_ v: Word?, _ what: String) throws -> Bool {
        switch v?.unpacked {
        case nil, .nil?: return false
        case .bool(let b)?: return b
        case let other?: throw ScriptThrow.typeError("\(what) must be a bool, not '\(other.typeName)'")
        }
    }

    /// The `capabilities:` argument of `spawn` and `pool`: a list of names
    /// (`["fileRead", "threads"]`), nil when absent. It may only narrow: naming one
    /// the calling thread lacks raises PermissionError.
    static func narrowedCapabilities(_ arg: Word?, _ vm: VM, _ fn: String) throws -> Interpreter.Capabilities? {
        guard let arg, !arg.isNil else { return nil }
        guard case .list = arg.unpacked else {
            throw ScriptThrow.typeError("\(fn)(): capabilities must be a list of str, not '\(arg.typeName)'")
        }
        var caps: Interpreter.Capabilities = []
        for item in try vm.collect(arg) {
            guard case .str(let s) = item.unpacked else {
                throw ScriptThrow.typeError("\(fn)(): capabilities must be a list of str, not containing '\(item.typeName)'")
            }
            guard let c = Interpreter.Capabilities.names.first(where: { $0.1 == s.value })?.0 else {
                let known = Interpreter.Capabilities.names.map(\.1).joined(separator: ", ")
                throw ScriptThrow.valueError("\(fn)(): unknown capability '\(s.value)' (known: \(known))")
            }
            caps.insert(c)
        }
        let have = vm.thread?.capabilities ?? vm.core.capabilities
        let extra = caps.subtracting(have)
        if !extra.isEmpty {
            throw ScriptThrow(ErrorKinds.permissionError,
                              "\(fn)(): cannot grant \(extra) (this thread does not have it)")
        }
        return caps
    }

    static func start(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        try vm.require(.threads, "Thread.start")
        let t = try state(receiver, vm, "start")
        try t.start { threadVM in try threadVM.invokeMethod(receiver, Symbols.run, []) }
        return .nil
    }

    static func run(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        let t = try state(receiver, vm, "run")
        if t.target.isNil { return .nil }
        return try vm.call(t.target, t.args)
    }

    static func joinMethod(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 1, keywords: ["timeout"])
        let t = try state(receiver, vm, "join")
        return try join([t], vm: vm, timeout: vm.timeoutArg(args.arg(0, "timeout"), "join"))[0]
    }

    static func isAlive(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        return .bool(try state(receiver, vm, "is_alive").isAlive)
    }

    static func cancel(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        try state(receiver, vm, "cancel").cancel()
        return .nil
    }

    /// Waits for all (sharing one deadline), then returns their results in order
    /// or raises the first error in list order.
    static func join(_ items: [Joinable], vm: VM, timeout: Double?) throws -> [Word] {
        let deadline = Deadline.after(timeout)
        for j in items {
            let left = deadline?.left
            if !(try j.waitDone(vm, timeout: left)) {
                throw ScriptThrow(ErrorKinds.timeout, "\(j.joinDescription) did not finish within \(timeout ?? 0) seconds")
            }
        }
        return try items.map { try $0.outcome() }
    }

    static func joinable(_ v: Word, _ vm: VM) throws -> Joinable {
        switch v.unpacked {
        case .instance(let inst):
            if let j = try inst.nativeObject(vm) as? Joinable { return j }
        case .object(let o):
            if let j = o as? Joinable { return j }
        default: break
        }
        throw ScriptThrow.typeError("join() needs a Thread, a Future or a list of them, not '\(v.typeName)'")
    }

    static let functions: [String: Word] = {
        var t: [String: Word] = ["Thread": .object(threadClass)]
        let fns: [NativeEntry] = [
            NativeEntry("spawn", spawn), NativeEntry("join", joinFn), NativeEntry("current_thread", currentThread),
            NativeEntry("main_thread", mainThread), NativeEntry("active_threads", activeThreads),
            NativeEntry("cpu_count", cpuCount), NativeEntry("sleep", sleep), NativeEntry("cancelled", cancelledFn),
            NativeEntry("check_cancelled", checkCancelled),
        ]
        for e in fns { t[e.name] = .object(NativeFn(e.name, e.body)) }
        return t
    }()

    /// `spawn(f, ...args, name: nil, daemon: false)`: create and start a Thread.
    static func spawn(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: Int.max, keywords: ["name", "daemon", "capabilities"])
        try vm.require(.threads, "spawn")
        let caps = try narrowedCapabilities(args.kw("capabilities"), vm, "spawn")
        let inst = Instance(cls: threadClass)
        let t = ThreadObj(core: vm.core, name: try nameArg(args.kw("name") ?? .nil, vm),
                          daemon: try boolArg(args.kw("daemon"), "daemon"), parent: vm.thread)
        if let caps { t.capabilities = caps }
        t.target = args[0]
        t.args = Array(args.positional.dropFirst())
        t.instance = inst
        inst.native = t
        let value = Word.instance(inst)
        try t.start { threadVM in try threadVM.invokeMethod(value, Symbols.run, []) }
        return value
    }

    /// `join(x, timeout:)` on a Thread, a Future, or a list of them.
    static func joinFn(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 2, keywords: ["timeout"])
        let timeout = try vm.timeoutArg(args.arg(1, "timeout"), "join")
        if case .list(let l) = args[0].unpacked {
            let items = try l.snapshot.map { try joinable($0, vm) }
            return .list(ListObj(try join(items, vm: vm, timeout: timeout)))
        }
        return try join([joinable(args[0], vm)], vm: vm, timeout: timeout)[0]
    }

    static func currentThread(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        return vm.thread.instance.map { .instance($0) } ?? .nil
    }

    static func mainThread(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        return .instance(vm.core.mainInstance)
    }

    static func activeThreads(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        var out: [Word] = [.instance(vm.core.mainInstance)]
        for t in vm.core.threads.live where !t.isMain {
            if let i = t.instance { out.append(.instance(i)) }
        }
        return .list(ListObj(out))
    }

    static func cpuCount(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        return .int(ProcessInfo.processInfo.activeProcessorCount)
    }

    static func sleep(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 1, max: 1, keywords: ["seconds"])
        let s: Double
        switch try args.arg(0, "seconds")?.unpacked {
        case .int(let i)?: s = Double(i)
        case .float(let d)?: s = d
        case let other: throw ScriptThrow.typeError("sleep() needs a number, not '\(other?.typeName ?? "nothing")'")
        }
        if s.isNaN || s < 0 { throw ScriptThrow.valueError("sleep length must be non-negative") }
        if s > VM.maxTimeout { throw ScriptThrow(ErrorKinds.overflowError, "sleep length is too large") }
        try vm.sleep(s)
        return .nil
    }

    static func cancelledFn(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        return .bool(vm.thread.cancelled.load(ordering: .relaxed))
    }

    static func checkCancelled(_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word {
        try args.check(min: 0, max: 0)
        if vm.thread.cancelled.load(ordering: .relaxed) {
            throw ScriptThrow(ErrorKinds.cancelled, "thread \"\(vm.thread.name)\" was cancelled")
        }
        return .nil
    }
}

extension Word {
}

extension Instance {
    /// The native state of a builtin base class (Thread), created on first use.
    func nativeObject(_ vm: VM) throws -> Obj? {
        if let n = locked({ native as? Obj }) { return n }
        var c: ClassObj? = cls
        while let k = c {
            if let make = k.makeNative {
                let obj = make(self, vm)
                return locked {
                    if let n = native as? Obj { return n }
                    native = obj
                    return obj
                }
            }
            c = k.superclass
        }
        return nil
    }
}
