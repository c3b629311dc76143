// The `weft` command-line tool (spec §9). It uses only the Weft library's public API
// (and, for its own plumbing, the package-level lock, thread start, printf
// formatting and trimming the library keeps for itself: see CLISupport.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Weft

let version = "weft 0.1.0"

// Every heap object is a Swift class instance, so a script's allocations are
// malloc's: the tool links mimalloc (Package.swift), which replaces malloc for the
// whole process. Its per-thread free lists suit the collector, which frees dead
// objects in bulk after each collection; glibc's bins spent a third of
// allocation-heavy programs in malloc and free (measured in Scripts/bench/README.md).
// A process-wide choice, so the tool makes it, not the library an app embeds.
//
// mimalloc gives each thread pages from 32 MiB segments of address space. A script
// that starts threads until the address space runs out (each reserves a large stack)
// would leave no room for a new thread's first segment, and a failed allocation is
// fatal in Swift; so 1 GiB of address space is reserved (not committed: it costs no
// memory) at start, and segments come from there first.
#if os(Linux)
@_silgen_name("mi_reserve_os_memory")
func mi_reserve_os_memory(_ size: Int, _ commit: Bool, _ allowLarge: Bool) -> Int32   // <mimalloc.h>
_ = mi_reserve_os_memory(1 << 30, false, false)
#endif

let usage = """
usage: weft [options] [file.weft [args...]]
       weft -e CODE [args...]
       weft --check FILE...

Runs a Weft script. With no file, runs standard input as a script (or starts the
REPL when standard input is a terminal).

options:
  -e CODE          run CODE instead of a file
  -i               after running the file, enter the REPL with its globals
  --check          parse and compile only; report every syntax error found
  --max-depth N    maximum call depth (default 10000, at most 1000000)
  --max-instructions N
                   instruction budget (backward jumps and calls, all threads)
  --max-time S     wall-time limit in seconds
  --max-memory N   memory budget in bytes (suffix K, M or G: 512M), MemoryError beyond
  --dis            print the compiled bytecode of the file instead of running it
  --version        print the version and exit
  -h, --help       print this help and exit

exit status: 0 success, 1 uncaught error or syntax error, 2 usage error
"""

func fail(_ message: String) -> Never {
    writeAll("weft: \(message)\n\(usage)\n", to: STDERR_FILENO)
    exit(2)
}

struct CommandLineOptions {
    var code: String?
    var file: String?
    var args: [String] = []
    var check = false
    var disassemble = false
    var interactive = false
    var maxDepth = 10_000
    var maxInstructions: Int?
    var maxTime: Double?
    var maxMemory: Int?
}

/// `4096`, `64K`, `512M`, `2G` as bytes; nil unless positive.
func parseByteCount(_ s: String) -> Int? {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    var digits = Substring(s), scale = 1
    if let last = s.last?.uppercased().first, let u = units[last] { digits = s.dropLast(); scale = u }
    guard let n = Int(digits), n > 0 else { return nil }
    let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
    return overflow ? nil : bytes
}

func parseArguments(_ argv: [String]) -> CommandLineOptions {
    var o = CommandLineOptions()
    var i = 0
    while i < argv.count {
        let a = argv[i]
        if o.file != nil || o.code != nil {
            o.args.append(a); i += 1; continue
        }
        switch a {
        case "-h", "--help":
            print(usage); exit(0)
        case "--version":
            print(version); exit(0)
        case "-e":
            guard i + 1 < argv.count else { fail("-e needs an argument") }
            o.code = argv[i + 1]; i += 2; continue
        case "-i":
            o.interactive = true
        case "--check":
            o.check = true
        case "--dis":
            o.disassemble = true
        case "--max-depth":
            let limit = Interpreter.Options.maxCallDepthLimit
            guard i + 1 < argv.count, let n = Int(argv[i + 1]), n > 0, n <= limit else {
                fail("--max-depth needs a number from 1 to \(limit)")
            }
            o.maxDepth = n; i += 2; continue
        case "--max-instructions":
            guard i + 1 < argv.count, let n = Int(argv[i + 1]), n > 0 else {
                fail("--max-instructions needs a positive number")
            }
            o.maxInstructions = n; i += 2; continue
        case "--max-time":
            guard i + 1 < argv.count, let s = Double(argv[i + 1]), s > 0, s.isFinite else {
                fail("--max-time needs a positive number of seconds")
            }
            o.maxTime = s; i += 2; continue
        case "--max-memory":
            guard i + 1 < argv.count, let n = parseByteCount(argv[i + 1]) else {
                fail("--max-memory needs a positive number of bytes (512M, 2G)")
            }
            o.maxMemory = n; i += 2; continue
        case "--":
            if i + 1 < argv.count { o.file = argv[i + 1]; o.args = Array(argv[(i + 2)...]) }
            i = argv.count; continue
        default:
            if a.hasPrefix("-") && a != "-" { fail("unknown option '\(a)'") }
            if o.check {
                o.args.append(a)   // every further argument is a file to check
            } else {
                o.file = a
            }
        }
        i += 1
    }
    return o
}

func writeErr(_ s: String) {
    fflush(stdout)
    writeAll(s, to: STDERR_FILENO)
}

/// Runs source and maps the outcome to an exit status.
func runReporting(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch let e as SourceError {
        writeErr(e.description)
        return 1
    } catch let e as ScriptError {
        writeErr(e.report)
        return 1
    } catch let e as ExitRequest {
        return e.code
    } catch {
        writeErr("error: \(error)\n")
        return 1
    }
}

let options = parseArguments(Array(CommandLine.arguments.dropFirst()))
// The command line grants every capability (§11).
// Scripts run on a 512 MiB-stack script thread, not on the main thread's 8 MiB.
var cliOptions = Interpreter.Options(maxCallDepth: options.maxDepth, capabilities: .all)
cliOptions.runsOnCallerThread = false
cliOptions.instructionBudget = options.maxInstructions
cliOptions.wallTimeLimit = options.maxTime
cliOptions.memoryBudget = options.maxMemory
let weft = Interpreter(options: cliOptions)

if options.check {
    var files = options.args
    if let f = options.file { files.insert(f, at: 0) }
    if files.isEmpty { fail("--check needs a file") }
    var status: Int32 = 0
    for f in files {
        guard let data = FileManager.default.contents(atPath: f) else {
            writeErr("weft: cannot read '\(f)'\n"); status = 1; continue
        }
        if let problems = weft.check(String(decoding: data, as: UTF8.self), file: f) {
            writeErr(problems.description)
            status = 1
        }
    }
    exit(status)
}

if options.disassemble {
    guard let file = options.file, let data = FileManager.default.contents(atPath: file) else {
        fail("--dis needs a readable file")
    }
    exit(runReporting { print(try weft.disassemble(String(decoding: data, as: UTF8.self), file: file), terminator: "") })
}

weft.arguments = options.args

// The REPL (§10): with no file and no -e when standard input is a terminal, and
// after the file or code with -i.
let stdinIsTerminal = isatty(STDIN_FILENO) != 0
if stdinIsTerminal && (options.interactive || (options.code == nil && options.file == nil)) {
    let interpreterOptions = cliOptions
    let scriptArgs = options.args
    let repl = REPL(interpreter: weft, makeInterpreter: {
        let fresh = Interpreter(options: interpreterOptions)
        fresh.arguments = scriptArgs
        return fresh
    })
    var preload: ((Interpreter) throws -> Value)?
    if let code = options.code {
        preload = { try $0.eval(code, file: "<-e>") }
    } else if let file = options.file, file != "-" {
        preload = { try $0.run(path: file) }
    }
    repl.run(banner: preload == nil ? "\(version) (:help for help, Ctrl-D to exit)" : nil, preload: preload)
}

var status: Int32
if options.interactive && !stdinIsTerminal && (options.code != nil || options.file != nil) {
    // -i without a terminal: run the file or code, then standard input as a
    // script in the same interpreter, with no prompt.
    status = runReporting {
        if let code = options.code { try weft.eval(code, file: "<-e>") }
        else if let file = options.file, file != "-" { try weft.run(path: file) }
    }
    if status == 0 {
        let source = String(decoding: readAllStandardInput(), as: UTF8.self)
        status = runReporting { try weft.eval(source, file: "<stdin>", replMode: true) }
    }
} else if let code = options.code {
    status = runReporting { try weft.eval(code, file: "<-e>") }
} else if let file = options.file, file != "-" {
    status = runReporting { try weft.run(path: file) }
} else {
    let source = String(decoding: readAllStandardInput(), as: UTF8.self)
    status = runReporting { try weft.eval(source, file: "<stdin>") }
}
// The program ends when every non-daemon thread has (§7.1), even after an error.
if status == 0 || status == 1 {
    let waited = runReporting { try weft.waitForThreads() }
    if status == 0 { status = waited }
}
fflush(stdout)
exit(status)
