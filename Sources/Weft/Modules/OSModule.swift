// `import os` (§8): the script's arguments, the process environment, and
// `run(argv, ...)`, which starts a program (never through a shell) and collects
// its output. Capabilities (§11): `env`, `environ`, `cwd` and `chdir` need
// `environment`; `run` needs `subprocess`; `args`, `script`, `pid`,
// `cpu_count` and `exit` need none.
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

enum OSModule {
    static func make(core: InterpreterCore) -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        g.set("args", .list(ListObj(core.scriptArgs.map { .string($0) })))
        g.set("script", core.scriptPath.isEmpty ? .nil : .string(core.scriptPath))

        def("env") { vm, _, args in
            try args.check(min: 0, max: 2, keywords: ["name", "default"])
            try vm.require(.environment, "os.env")
            let name = try MethodSupport.str(try MethodSupport.required(args, 0, "name"), "env", "name").value
            let fallback = try args.arg(1, "default") ?? .nil
            if name.isEmpty || name.contains("=") || name.utf8.contains(0) { return fallback }
            guard let v = getenv(name) else { return fallback }
            return .string(String(decoding: UnsafeRawBufferPointer(start: v, count: strlen(v)), as: UTF8.self))
        }
        def("environ") { vm, _, args in
            try args.check(min: 0, max: 0)
            try vm.require(.environment, "os.environ")
            let env = ProcessInfo.processInfo.environment
            return try IOSupport.map(vm, env.keys.sorted().map { ($0, .string(env[$0]!)) })
        }
        def("cwd") { vm, _, args in
            try args.check(min: 0, max: 0)
            try vm.require(.environment, "os.cwd")
            return .string(FileManager.default.currentDirectoryPath)
        }
        def("chdir") { vm, _, args in
            try args.check(min: 0, max: 1, keywords: ["path"])
            try vm.require(.environment, "os.chdir")
            let path = try IOSupport.path(try args.arg(0, "path"), "chdir")
            if Glibc.chdir(path) != 0 { throw IOSupport.ioError("change directory to", path) }
            return .nil
        }
        def("pid") { _, _, args in
            try args.check(min: 0, max: 0)
            return .int(Int(getpid()))
        }
        def("cpu_count") { _, _, args in
            try args.check(min: 0, max: 0)
            return .int(ProcessInfo.processInfo.activeProcessorCount)
        }
        def("exit") { vm, r, args in try Builtins.exit(vm, r, args) }
        def("run") { vm, _, args in
            try args.check(min: 0, max: 5, keywords: ["argv", "input", "timeout", "cwd", "env"])
            let argv = try argvArg(try MethodSupport.required(args, 0, "argv"))
            var input: [UInt8]?
            if let i = try args.arg(1, "input"), !(i.isNil) { input = try IOSupport.data(i, "run", "input") }
            let timeout = try vm.timeoutArg(try args.arg(2, "timeout"), "run")
            let cwd = try IOSupport.optionalStr(try args.arg(3, "cwd"), "run", "cwd")
            var env: [String]?
            if let e = try args.arg(4, "env"), !e.isNil { env = try envArg(vm, e) }
            try vm.require(.subprocess, "os.run")
            let r = try Subprocess.run(vm, argv: argv, input: input, timeout: timeout, cwd: cwd, env: env)
            return try IOSupport.map(vm, [
                ("status", .int(r.status)),
                ("stdout", .string(String(decoding: r.stdout, as: UTF8.self))),
                ("stderr", .string(String(decoding: r.stderr, as: UTF8.self))),
            ])
        }
        return ModuleObj(name: "os", globals: g)
    }

    /// `argv`: a non-empty list of str without NUL characters.
    static func argvArg(_ v: Word) throws -> [String] {
        guard case .list(let l) = v.unpacked else {
            throw ScriptThrow.typeError("run() argument 'argv' must be a list of str (no shell is used), not \(v.typeName)")
        }
        let items = l.snapshot
        if items.isEmpty { throw ScriptThrow.valueError("run() argument 'argv' must not be empty") }
        return try items.enumerated().map { i, x in
            guard case .str(let s) = x.unpacked else {
                throw ScriptThrow.typeError("run() argument 'argv' must be a list of str: argv[\(i)] is \(x.typeName)")
            }
            if s.value.utf8.contains(0) {
                throw ScriptThrow.valueError("run() argument 'argv': argv[\(i)] contains a NUL character")
            }
            return s.value
        }
    }

    /// `env`: a map of str to str, as `NAME=value` strings.
    static func envArg(_ vm: VM, _ v: Word) throws -> [String] {
        guard case .map(let m) = v.unpacked else {
            throw ScriptThrow.typeError("run() argument 'env' must be a map of str to str, not \(v.typeName)")
        }
        return try m.entries.map { k, val in
            guard case .str(let ks) = k.unpacked, case .str(let vs) = val.unpacked else {
                throw ScriptThrow.typeError("run() argument 'env' must be a map of str to str")
            }
            if ks.value.isEmpty || ks.value.contains("=") || ks.value.utf8.contains(0) || vs.value.utf8.contains(0) {
                throw ScriptThrow.valueError("run() argument 'env': invalid variable name or value \(quoteString(ks.value))")
            }
            return ks.value + "=" + vs.value
        }
    }
}

/// One child process run to completion: posix_spawn with three pipes, drained
/// together by `poll` in the calling thread, so neither pipe can fill up and
/// stall the child. The wait is taken in short slices that look for
/// cancellation and interrupts; a timeout or a cancel kills the child (SIGKILL)
/// and reaps it before the error is raised.
enum Subprocess {
    struct Result {
        var status: Int
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
    }

    static func run(_ vm: VM, argv: [String], input: [UInt8]?, timeout: Double?,
                    cwd: String?, env: [String]?) throws -> Result {
        if let d = cwd {
            var st = stat()
            if stat(d, &st) != 0 { throw IOSupport.ioError("run '\(argv[0])' in", d) }
            if st.st_mode & S_IFMT != S_IFDIR { throw IOSupport.ioError("run '\(argv[0])' in", d, ENOTDIR) }
        }
        // Pipes: [read, write]; the parent keeps stdin's write end and the
        // other two read ends. Close-on-exec, so no other child inherits them.
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        func closeAll() {
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
        }
        if (input != nil && !cloexecPipe(&inPipe)) || !cloexecPipe(&outPipe) || !cloexecPipe(&errPipe) {
            let e = errno
            closeAll()
            throw IOSupport.ioError("run", argv[0], e)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let d = cwd {
            guard let addchdir = addchdirFn else {
                closeAll()
                throw ScriptThrow(ErrorKinds.ioError, "run(): cwd: is not supported by this C library")
            }
            _ = addchdir(&actions, d)
        }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgv = argv.map { strdup($0) } + [nil]
        defer { for p in cArgv { free(p) } }
        let cEnv: [UnsafeMutablePointer<CChar>?]? = env.map { $0.map { strdup($0) } + [nil] }
        defer { if let e = cEnv { for p in e { free(p) } } }

        var pid: pid_t = 0
        let rc: Int32 = cArgv.withUnsafeBufferPointer { av in
            if let e = cEnv {
                return e.withUnsafeBufferPointer { ev in
                    posix_spawnp(&pid, argv[0], &actions, &attr, av.baseAddress!, ev.baseAddress!)
                }
            }
            return posix_spawnp(&pid, argv[0], &actions, &attr, av.baseAddress!, environ)
        }
        // The child's ends belong to the child now.
        for fd in [inPipe[0], outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
        inPipe[0] = -1; outPipe[1] = -1; errPipe[1] = -1
        if rc != 0 {
            closeAll()
            throw IOSupport.ioError("run", argv[0], rc)
        }

        // SIGPIPE from writing to a child that stopped reading must not kill the
        // process: block it in this thread and consume it after EPIPE.
        var pipeSet = sigset_t()
        sigemptyset(&pipeSet)
        sigaddset(&pipeSet, SIGPIPE)
        var oldMask = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSet, &oldMask)
        defer { pthread_sigmask(SIG_SETMASK, &oldMask, nil) }

        var result = Result(status: 0)
        var toWrite = input ?? []
        var written = 0
        for fd in [inPipe[1], outPipe[0], errPipe[0]] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        if toWrite.isEmpty && inPipe[1] >= 0 { close(inPipe[1]); inPipe[1] = -1 }

        let deadline = Deadline.after(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var exitStatus: Int32?
        var idleMs: Int32 = 1

        func kill9() {
            if exitStatus == nil {
                kill(pid, SIGKILL)
                var st: Int32 = 0
                while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            }
            closeAll()
        }

        /// Reads what is available from `fd`; false at end of stream.
        func drain(_ fd: Int32, into out: inout [UInt8]) -> Bool {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 { out.append(contentsOf: buffer[0..<n]); continue }
                if n == 0 { return false }
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
        }

        do {
            try IOSupport.waitingOnIO(vm) {
                while true {
                    try vm.thread.checkPending()
                    if outPipe[0] < 0 && errPipe[0] < 0 && inPipe[1] < 0 {
                        // Both outputs ended: the child is exiting or has exited.
                        var st: Int32 = 0
                        let w = waitpid(pid, &st, WNOHANG)
                        if w == pid { exitStatus = st; break }
                        if w < 0 && errno != EINTR { exitStatus = 0; break }
                    }
                    if let d = deadline, d.left <= 0 {
                        throw ScriptThrow(ErrorKinds.timeout,
                                          "'\(argv[0])' did not finish within \(timeout.map { formatSeconds($0) } ?? "") s (killed)")
                    }
                    var fds: [pollfd] = []
                    if inPipe[1] >= 0 { fds.append(pollfd(fd: inPipe[1], events: Int16(POLLOUT), revents: 0)) }
                    if outPipe[0] >= 0 { fds.append(pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0)) }
                    if errPipe[0] >= 0 { fds.append(pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)) }
                    // With both pipes closed the child is about to exit: look
                    // again soon, then less often.
                    var ms = fds.isEmpty ? idleMs : IOSupport.sliceMs
                    if fds.isEmpty { idleMs = min(idleMs * 2, IOSupport.sliceMs) }
                    if let d = deadline { ms = min(ms, Int32(max(1, (d.left * 1000).rounded(.up)))) }
                    _ = IOSupport.pollSlice(&fds, ms: ms)
                    for p in fds where p.revents != 0 {
                        if p.fd == inPipe[1] {
                            let n = toWrite.withUnsafeBytes { b in
                                write(p.fd, b.baseAddress! + written, min(b.count - written, 65536))
                            }
                            if n > 0 { written += n }
                            if written >= toWrite.count || (n < 0 && errno != EAGAIN && errno != EINTR) {
                                if n < 0 && errno == EPIPE {
                                    var zero = timespec()
                                    _ = sigtimedwait(&pipeSet, nil, &zero)
                                }
                                close(inPipe[1]); inPipe[1] = -1
                            }
                        } else if p.fd == outPipe[0] {
                            if !drain(p.fd, into: &result.stdout) { close(p.fd); outPipe[0] = -1 }
                        } else if p.fd == errPipe[0] {
                            if !drain(p.fd, into: &result.stderr) { close(p.fd); errPipe[0] = -1 }
                        }
                    }
                }
            }
        } catch {
            kill9()
            throw error
        }
        closeAll()
        let st = exitStatus ?? 0
        let sig = st & 0x7f
        result.status = sig == 0 ? Int((st >> 8) & 0xff) : -Int(sig)
        return result
    }

    // glibc's pipe2 and posix_spawn_file_actions_addchdir_np are GNU extensions
    // Swift's Glibc module does not import: found at run time.
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let pipe2Fn: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    static let addchdirFn: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }

    /// A pipe whose ends close on exec, so no other child inherits them.
    static func cloexecPipe(_ fds: inout [Int32]) -> Bool {
        if let p = pipe2Fn { return fds.withUnsafeMutableBufferPointer { p($0.baseAddress!, O_CLOEXEC) } == 0 }
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? String(Int(s)) : String(s)
    }
}
