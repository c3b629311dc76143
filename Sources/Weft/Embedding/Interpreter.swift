// The public face of the library: an interpreter that runs source and files and
// returns values or throws errors with positions. The `weft` command-line tool is
// built only on this API.
import FoundationEssentials

/// An uncaught script error: its kind (`KeyError`), message, where it was raised
/// and the trace, innermost frame first.
public struct ScriptError: Error, CustomStringConvertible {
    /// The error class name, e.g. `"KeyError"`.
    public let kind: String
    /// The error's message (`str(e)` without the kind).
    public let message: String
    /// File of the innermost script frame (empty when the error was raised before
    /// any script code ran).
    public let file: String
    /// Line of the innermost script frame (1-based; 0 when none).
    public let line: Int
    /// Column of the innermost script frame (1-based; 0 when none).
    public let column: Int
    /// Where the error passed, innermost first: script frames, and the native
    /// functions it crossed (`fetch (<host>)`).
    public let trace: [TraceFrame]
    /// Name of the thread the error was raised in (nil for the main thread).
    public let thread: String?
    /// The script's error value (an instance of `Error` or a subclass).
    public let value: Value

    init(_ t: ScriptThrow, core: InterpreterCore? = nil) {
        kind = t.kindName
        message = t.message
        value = Value(t.value, core: core)
        var frames: [TraceFrame] = []
        var thread: String?
        if case .instance(let i) = t.value.unpacked, let s = i.native as? ErrorState {
            (frames, thread) = s.snapshot
        }
        trace = frames
        self.thread = thread
        // The position is the innermost script frame's (host frames have none).
        let scriptFrame = frames.first { $0.line > 0 }
        file = scriptFrame?.file ?? ""
        line = scriptFrame?.line ?? 0
        column = scriptFrame?.column ?? 0
    }

    /// `Kind: message`, like `str(e)` in a script.
    public var description: String { message.isEmpty ? kind : "\(kind): \(message)" }

    /// The report the CLI prints: `error: Kind: message` and `  at fn (file:line:col)` lines.
    public var report: String {
        var out = "error: \(description)\n"
        for (i, f) in trace.enumerated() {
            out += "  at \(f)"
            if i == 0, let t = thread { out += " in thread \"\(t)\"" }
            out += "\n"
        }
        return out
    }
}

/// A Weft interpreter. Independent interpreters share nothing but immutable
/// builtins; each may be used from any thread.
public final class Interpreter: @unchecked Sendable {
    /// Settings fixed when the interpreter is created.
    public struct Options: Sendable {
        /// Maximum script call depth; deeper calls raise RecursionError. Clamped to
        /// 16...`maxCallDepthLimit` when the interpreter is created.
        public var maxCallDepth: Int
        /// What the script may touch outside the interpreter (§11): none by
        /// default; the `weft` command grants `.all`.
        public var capabilities: Capabilities
        /// The largest call depth an interpreter accepts (`--max-depth` rejects more).
        public static let maxCallDepthLimit = 1_000_000
        /// Most script threads alive at once (besides the threads host calls run
        /// as); starting one more raises `LimitError: thread limit of N reached`.
        /// nil: only the process-wide limit.
        public var maxThreads: Int?
        /// Instructions (backward jumps and calls) each host call may run, counted
        /// across every thread it starts; past it the script gets
        /// `LimitError: instruction budget of N exceeded`. nil: unlimited.
        public var instructionBudget: Int?
        /// Seconds each host call may run, with the threads it starts; past it
        /// `LimitError: wall time limit of 2.5 s exceeded` (compute loops notice
        /// within a few thousand instructions, blocked waits at once). nil: none.
        public var wallTimeLimit: Double?
        /// Called about every `progressInterval` instructions of a host call (on
        /// the script thread running it); returning `.stop` ends the call with
        /// `LimitError: stopped by the host's progress callback`. It must not call
        /// into the interpreter (it runs in the middle of an instruction); reading
        /// state and calling `cancel()` are fine.
        public var onProgress: (@Sendable (Progress) -> ProgressAction)?
        /// Instructions between `onProgress` calls.
        public var progressInterval: Int
        /// Longest string a script may make, in UTF-8 bytes; a longer one raises
        /// `LimitError: string length limit of N bytes exceeded`. nil: none.
        public var maxStringLength: Int?
        /// Most elements a list may hold (`LimitError: list length limit of N
        /// exceeded`). nil: none.
        public var maxListLength: Int?
        /// Most keys a map may hold (`LimitError: map length limit of N exceeded`).
        /// nil: none.
        public var maxMapLength: Int?
        /// Longest `bytes` value a script may make (`LimitError: bytes length limit
        /// of N exceeded`). nil: none.
        public var maxBytesLength: Int?
        /// Heap bytes the interpreter's values may take, as the collector counts
        /// them (objects, string and bytes contents, list, map and field storage
        /// reachable from its globals and threads). A script thread that takes
        /// more makes a collection run; if the interpreter is still over budget
        /// after it, the thread gets `MemoryError: memory budget of N bytes
        /// exceeded` at its next safepoint (a single string, list, map or bytes
        /// value larger than the whole budget raises it at once). nil: none.
        public var memoryBudget: Int?
        /// Whether a host call may run on the calling thread when its stack has room
        /// (`Interpreter.callerStackMinimum`); false: always on a pool thread with a
        /// 512 MiB stack, where natives may nest as deeply as in spawned threads
        /// (the `weft` command does this). Default true.
        public var runsOnCallerThread = true
        /// Options with the given call depth limit and capabilities (none by default)
        /// and budgets (none by default).
        public init(maxCallDepth: Int = 10_000, capabilities: Capabilities = [],
                    maxThreads: Int? = nil, instructionBudget: Int? = nil, wallTimeLimit: Double? = nil,
                    progressInterval: Int = 100_000,
                    onProgress: (@Sendable (Progress) -> ProgressAction)? = nil,
                    maxStringLength: Int? = nil, maxListLength: Int? = nil, maxMapLength: Int? = nil,
                    maxBytesLength: Int? = nil, memoryBudget: Int? = nil) {
            self.maxCallDepth = maxCallDepth
            self.capabilities = capabilities
            self.maxThreads = maxThreads
            self.instructionBudget = instructionBudget
            self.wallTimeLimit = wallTimeLimit
            self.progressInterval = progressInterval
            self.onProgress = onProgress
            self.maxStringLength = maxStringLength
            self.maxListLength = maxListLength
            self.maxMapLength = maxMapLength
            self.maxBytesLength = maxBytesLength
            self.memoryBudget = memoryBudget
        }
    }

    /// What `Options.onProgress` is told.
    public struct Progress: Sendable {
        /// Instructions the host call (all its threads) has run so far (threads
        /// count in chunks of at most `progressInterval`, so with several threads
        /// this is approximate).
        public let instructions: Int
    }

    /// What `Options.onProgress` answers.
    public enum ProgressAction: Sendable {
        /// Go on.
        case `continue`
        /// End the host call with a LimitError.
        case stop
    }

    /// `2.5 s`, `1 s`, `0.001 s` (LimitError messages).
    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? "\(Int(s)) s" : "\(s) s"
    }

    /// Access to the world outside the interpreter. A function of `fs`, `os`
    /// (and later `net`, `http`) that needs one the host did not grant raises
    /// `PermissionError: fileRead is not granted (fs.read_text)` in the script.
    public struct Capabilities: OptionSet, Sendable, CustomStringConvertible {
        /// The capability bits.
        public let rawValue: Int
        /// Capabilities from their bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Reading files and folders (`fs.read_text`, `fs.list_dir`, `fs.open(p, "r")`...).
        public static let fileRead = Capabilities(rawValue: 1 << 0)
        /// Creating, writing, renaming and removing files and folders.
        public static let fileWrite = Capabilities(rawValue: 1 << 1)
        /// Sockets (`net`, `http`).
        public static let network = Capabilities(rawValue: 1 << 2)
        /// Starting programs (`os.run`).
        public static let subprocess = Capabilities(rawValue: 1 << 3)
        /// The process environment: variables (`os.env`, `os.environ`) and the
        /// working directory (`os.cwd`, `os.chdir`).
        public static let environment = Capabilities(rawValue: 1 << 4)
        /// Starting script threads: `spawn`, `Thread.start`, `pool`, `after`.
        public static let threads = Capabilities(rawValue: 1 << 5)
        /// Every capability (what the `weft` command grants).
        public static let all: Capabilities = [.fileRead, .fileWrite, .network, .subprocess, .environment, .threads]

        static let names: [(Capabilities, String)] = [
            (.fileRead, "fileRead"), (.fileWrite, "fileWrite"), (.network, "network"),
            (.subprocess, "subprocess"), (.environment, "environment"), (.threads, "threads"),
        ]

        /// `fileRead`, `[fileRead, network]`.
        public var description: String {
            let n = Capabilities.names.filter { contains($0.0) }.map(\.1)
            return n.count == 1 ? n[0] : "[" + n.joined(separator: ", ") + "]"
        }
    }

    let core: InterpreterCore

    /// Another handle on an existing interpreter (values know their core).
    init(core: InterpreterCore) { self.core = core }

    /// A new interpreter with its own globals, modules and threads.
    public init(options: Options = Options()) {
        core = InterpreterCore(maxDepth: min(max(16, options.maxCallDepth), Options.maxCallDepthLimit))
        core.capabilities = options.capabilities
        core.options = options
        core.limits = SizeLimits(options)
        if let budget = core.limits.memory { core.memory = MemoryAccount(budget: budget) }
    }

    /// The capabilities this interpreter was created with.
    public var capabilities: Interpreter.Capabilities { core.capabilities }

    /// Internal: the step budget of every VM this interpreter creates from now on
    /// (see `InterpreterCore.stepBudget`). For the fuzz target; not public API yet.
    @_spi(Fuzzing) public var stepBudget: Int {
        get { core.stepBudget }
        set { core.stepBudget = max(0, newValue) }
    }

    /// Where `print` output goes (default: standard output). Called once per print call.
    public var output: (String) -> Void {
        get { core.output }
        set { core.output = newValue }
    }

    /// Where `input(prompt)` reads a line from (default: standard input); nil means end of input.
    public var input: (String) -> String? {
        get { core.input }
        set { core.input = newValue }
    }

    /// Arguments visible to the script as `os.args`, and its path as `os.script`.
    public var arguments: [String] {
        get { core.scriptArgs }
        set { core.scriptArgs = newValue }
    }

    /// A global of the main module (nil when unset); setting nil sets it to `nil`.
    /// Setting a value of another interpreter copies it (plain data); one that
    /// cannot be copied (a function, an object) leaves the global unchanged — use
    /// `setGlobal` to get the error.
    public subscript(name: String) -> Value? {
        get {
            Runtime.enter(nil); defer { Runtime.leave() }
            return core.globals.lookup(name).map { Value($0, core: core, origin: name) }
        }
        set {
            let v = newValue ?? .nil
            if v.needsTransfer(to: core) {
                _ = try? setGlobal(name, v)
                return
            }
            Runtime.enter(nil); defer { Runtime.leave() }
            core.globals.set(name, v.word)
        }
    }

    /// Sets a global of the main module. A value of another interpreter is copied
    /// when it is plain data (nil, bool, int, float, str, bytes, and lists and maps
    /// of these); anything else throws a `ScriptError` of kind TypeError.
    public func setGlobal(_ name: String, _ value: Value) throws {
        let core = self.core
        _ = try runOnScriptThread { vm in
            core.globals.set(name, try value.word(in: vm))
            return .nil
        }
    }

    /// Checks source for syntax and compile errors without running it; returns every
    /// problem found (empty when the source is valid).
    public func check(_ source: String, file: String = "<check>") -> SourceError? {
        let (program, issues) = Parser.parse(source)
        if !issues.isEmpty { return SourceError(file: file, source: source, issues: issues, isCompileError: false) }
        let compiler = Compiler(file: file, globals: GlobalTable(), builtins: core.builtins)
        do {
            _ = try compiler.compileProgram(program)
            return nil
        } catch let e as CompileError {
            return SourceError(file: file, source: source, issues: e.issues, isCompileError: true)
        } catch {
            return nil
        }
    }

    /// Runs `source` in the main module and returns the value of its last statement
    /// when that is an expression (else nil).
    /// - Throws: `SourceError` for syntax/compile errors, `ScriptError` for an
    ///   uncaught runtime error, `ExitRequest` when the script calls `exit`.
    @discardableResult
    public func eval(_ source: String, file: String = "<eval>", replMode: Bool = false) throws -> Value {
        let core = self.core
        // Compiling declares globals in the shared table, so it runs on the script
        // thread too (inside Runtime.enter), and on its large stack.
        return try runOnScriptThread { vm in
            let proto = try compileSource(source, file: file, globals: core.globals,
                                          builtins: core.builtins, allowRedeclare: replMode)
            return try vm.runMain(proto)
        }
    }

    /// Runs a script file in the main module; returns like `eval`.
    @discardableResult
    public func run(path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScriptError(ScriptThrow(ErrorKinds.ioError, "cannot read '\(path)'"), core: core)
        }
        let source = String(decoding: data, as: UTF8.self)
        core.scriptPath = path
        return try eval(source, file: path)
    }

    /// Runs a script file in the main module (`run(path:)` for a file URL).
    @discardableResult
    public func run(file url: URL) throws -> Value { try run(path: url.path) }

    /// Calls a script function (or any callable value) with Swift arguments. A
    /// function that came from another interpreter runs in that one, as
    /// `callee.call(...)` would.
    @discardableResult
    public func call(_ callee: Value, _ args: [Value]) throws -> Value {
        let home = callee.core.map { $0 === core ? self : Interpreter(core: $0) } ?? self
        return try home.callValue(callee, args, keywords: [])
    }

    /// Raises `Interrupted` in the evaluation in progress (REPL Ctrl-C); a blocking
    /// call it is in wakes at once. Safe to call from any thread, even a signal
    /// handler's helper thread.
    public func interrupt() {
        for t in core.evaluations.running(core) { t.interrupt() }
    }

    /// Number of script threads still running besides the main one.
    public func liveThreadCount(nonDaemonOnly: Bool = true) -> Int {
        core.threads.live.filter { !$0.isMain && (!nonDaemonOnly || !$0.daemon) && $0.activity != .idle }.count
    }

    /// One line per thread: name, state (running, sleeping, or blocked and on
    /// what) and daemon flag.
    public func threadSummaries() -> [String] {
        core.threads.summaries()
    }

    /// What the runtime does when a script ends (§7.1): open pools finish their
    /// queued tasks, then every non-daemon thread is waited for. If the threads
    /// can never finish (§7.7) this throws a `ScriptError` of kind DeadlockError.
    public func waitForThreads() throws {
        _ = try runOnScriptThread { vm in
            for hook in vm.core.takeExitHooks() { try hook(vm) }
            let reg = vm.core.threads
            reg.finished.lock()
            defer { reg.finished.unlock() }
            _ = try vm.blockingWait(reg.finished, timeout: nil, on: "the end of every non-daemon thread") {
                !reg.live.contains { !$0.isMain && !$0.daemon && $0.activity != .idle }
            }
            return .nil
        }
    }

    /// Stack reservation of the pool threads host calls run on when the caller's
    /// stack is small (address space only; HostThreads.swift).
    static let scriptStackSize = 512 << 20
}
