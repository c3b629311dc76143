// State shared by every thread of one interpreter: the main module's globals,
// the builtins, the module cache, limits and the host's I/O hooks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class InterpreterCore: @unchecked Sendable {
    let globals = GlobalTable()
    let builtins: [String: Word]
    var maxDepth: Int
    /// Backward jumps plus script calls each VM (each script thread) may make before
    /// it raises RuntimeError "step budget exhausted". Unlimited unless set; the fuzz
    /// target sets it so every input ends. Read when a VM is created.
    var stepBudget: Int = Int.max
    /// Arguments after the script path (`os.args`), and the script path.
    var scriptArgs: [String] = []
    var scriptPath: String = ""
    /// What scripts may touch outside the interpreter (§11); fixed at creation.
    var capabilities: Interpreter.Capabilities = []
    /// The host's options (budgets are read from here for each host call).
    var options = Interpreter.Options()
    /// Size limits and the memory budget, set with `options` before any script runs.
    @exclusivity(unchecked) var limits = SizeLimits()
    /// The heap bytes this interpreter takes, when it has a memory budget.
    var memory: MemoryAccount?
    /// Where `print` goes. Called with one whole print call's text.
    var output: (String) -> Void
    /// Where `input` reads from; nil at end of input.
    var input: (String) -> String?
    /// Reports of errors that end a thread other than the main one.
    var threadError: (String) -> Void

    /// Modules the host defined (`Interpreter.defineModule`), found by `import`.
    let hostModules = HostModules()
    let threads = ThreadRegistry()
    /// The script threads host calls run as.
    let evaluations = EvaluationThreads()
    /// The thread that runs evaluations, and its script-visible Thread instance.
    private(set) var mainThread: ThreadObj!
    private(set) var mainInstance: Instance!

    /// Run when the main script ends, before waiting for threads (open pools
    /// finish their queued tasks).
    private var exitHooks: [(VM) throws -> Void] = []
    private let hookLock = PosixLock()

    func addExitHook(_ hook: @escaping (VM) throws -> Void) {
        hookLock.lock(); exitHooks.append(hook); hookLock.unlock()
    }

    func takeExitHooks() -> [(VM) throws -> Void] {
        hookLock.lock(); defer { hookLock.unlock() }
        let h = exitHooks
        exitHooks = []
        return h
    }

    /// The one capability gate every I/O function passes first: raises
    /// `PermissionError: fileRead is not granted (fs.read_text)` when the host
    /// has not granted all of `needed`.
    func require(_ needed: Interpreter.Capabilities, _ function: String) throws {
        try InterpreterCore.require(needed, granted: capabilities, function)
    }

    /// The gate's check against `granted` (a thread's capabilities).
    static func require(_ needed: Interpreter.Capabilities, granted: Interpreter.Capabilities,
                        _ function: String) throws {
        let missing = needed.subtracting(granted)
        if missing.isEmpty { return }
        let names = Interpreter.Capabilities.names.filter { missing.contains($0.0) }.map(\.1)
        throw ScriptThrow(ErrorKinds.permissionError,
                          "\(names.joined(separator: " and ")) \(names.count == 1 ? "is" : "are") not granted (\(function))")
    }

    private let moduleLock = PosixCondition()
    /// Guarded by `moduleLock`.
    private var modules: [String: ModuleState] = [:]
    /// Threads waiting for a module another thread is importing: the waiter
    /// and the key it waits for. Guarded by `moduleLock`.
    private var importWaits: [ObjectIdentifier: String] = [:]

    enum ModuleState {
        case loading(ThreadObj)
        case loaded(ModuleObj)
    }

    init(maxDepth: Int = 10_000) {
        self.maxDepth = maxDepth
        self.builtins = Heap.pinned(BuiltinTable.shared)
        self.output = { text in StandardStreams.writeOut(text) }
        self.input = { prompt in
            StandardStreams.writeOut(prompt)
            StandardStreams.flushOut()
            return Swift.readLine(strippingNewline: true)
        }
        self.threadError = { text in StandardStreams.writeErr(text) }
        let inst = Instance(cls: ThreadBuiltins.threadClass)
        let main = ThreadObj(core: self, name: "main", daemon: false, isMain: true)
        main.instance = inst
        inst.native = main
        mainThread = main
        mainInstance = inst
        threads.add(main)
    }

    /// Returns the module for `key`, loading it once per interpreter even when several
    /// threads import it at the same time. An import that reaches a module still
    /// loading in the same thread is a cycle and raises ImportError; so is one that
    /// would wait for a thread which (through the imports it waits for) waits for
    /// a module this thread is loading. Waiting for another thread's import is an
    /// ordinary blocking wait: cancellable, interruptible, seen by deadlock detection.
    func module(_ key: String, vm: VM, load: () throws -> ModuleObj) throws -> ModuleObj {
        let me = vm.thread!
        func name(_ k: String) -> String { "'\(k.drop { $0 != ":" }.dropFirst())'" }
        moduleLock.lock()
        while true {
            switch modules[key] {
            case .loaded(let m)?:
                moduleLock.unlock()
                return m
            case .loading(let loader)?:
                if loader === me {
                    moduleLock.unlock()
                    throw ScriptThrow(ErrorKinds.importError, "import cycle: \(name(key)) is already being imported")
                }
                // Follow what the loader waits for: back to this thread is a cycle.
                var t = loader
                var path = ["\(name(key)) is being imported by thread \"\(loader.name)\""]
                var seen: Set<ObjectIdentifier> = [ObjectIdentifier(loader)]
                while let k = importWaits[ObjectIdentifier(t)], case .loading(let next)? = modules[k] {
                    path.append("which waits for \(name(k)), being imported by " +
                                (next === me ? "this thread (\"\(me.name)\")" : "thread \"\(next.name)\""))
                    if next === me {
                        moduleLock.unlock()
                        throw ScriptThrow(ErrorKinds.importError, "import cycle between threads: " + path.joined(separator: ", "))
                    }
                    if !seen.insert(ObjectIdentifier(next)).inserted { break }
                    t = next
                }
                importWaits[ObjectIdentifier(me)] = key
                do {
                    _ = try vm.blockingWait(moduleLock, timeout: nil,
                                            on: "import of \(name(key)) (by thread \"\(loader.name)\")") {
                        if case .loading(let l)? = modules[key], l === loader { return false }
                        return true
                    }
                } catch {
                    importWaits[ObjectIdentifier(me)] = nil
                    moduleLock.unlock()
                    throw error
                }
                importWaits[ObjectIdentifier(me)] = nil
            case nil:
                modules[key] = .loading(me)
                moduleLock.unlock()
                do {
                    let m = try load()
                    moduleLock.lock()
                    modules[key] = .loaded(m)
                    moduleLock.broadcast()
                    moduleLock.unlock()
                    return m
                } catch {
                    moduleLock.lock()
                    modules[key] = nil
                    moduleLock.broadcast()
                    moduleLock.unlock()
                    throw error
                }
            }
        }
    }
}

/// Buffered stdout/stderr shared by the process; each write is one atomic chunk.
enum StandardStreams {
    private static let lock = PosixLock()

    static func writeOut(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        write(s, to: stdout)
    }

    static func writeErr(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        fflush(stdout)
        write(s, to: stderr)
        fflush(stderr)
    }

    private static func write(_ s: String, to stream: UnsafeMutablePointer<FILE>) {
        var s = s
        s.withUTF8 { b in _ = fwrite(b.baseAddress, 1, b.count, stream) }
    }

    static func flushOut() {
        lock.lock(); defer { lock.unlock() }
        fflush(stdout)
    }
}
