// libFuzzer entry point for Weft (Scripts/fuzz.sh builds and runs it).
//
// Every input goes through the lexer, the parser and the compiler (`Interpreter.check`),
// and the error report is rendered (the syntax-error formatter is fuzzed too). Inputs
// that compile are then run, with these limits so that every run ends:
//  - a step budget: each VM may take 20,000 backward jumps plus script calls, then
//    raises RuntimeError "step budget exhausted" (again at every later jump or call,
//    so catching it does not help);
//  - call depth 500;
//  - `print` output goes nowhere; `input()` reads end of input.
// Inputs that name a blocking or process-level builtin are only compiled, not run:
// threads, pools, timers, locks, conditions, events, semaphores, barriers, queues,
// `join`, `sleep`, `exit`, `input`, the `time` module and file imports
// (`import "path"`). So no input spawns a thread, blocks, sleeps or exits the
// process; the harness needs no watchdog. Native operations that take long on their
// own (`"x" * 10 ** 9`) are caught by libFuzzer's -timeout / -rss_limit_mb.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
@_spi(Fuzzing) import Weft

/// Names whose presence keeps an input from running (matched as whole words).
private let notRun: Set<String> = [
    "Thread", "spawn", "join", "sleep", "after", "pool", "as_completed",
    "lock", "rlock", "lock_all", "condition", "event", "semaphore", "bounded_semaphore",
    "barrier", "queue", "lifo_queue", "priority_queue", "exit", "input", "time",
    "current_thread", "main_thread", "active_threads",
]

/// Does `source` name nothing from `notRun` and import no file?
private func mayRun(_ source: String) -> Bool {
    var word: [UInt8] = []
    var lastWord = ""
    var afterImport = false
    func endWord() -> Bool {
        if word.isEmpty { return true }
        let w = String(decoding: word, as: UTF8.self)
        word.removeAll(keepingCapacity: true)
        lastWord = w
        return !notRun.contains(w)
    }
    for b in source.utf8 {
        let isWordByte = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) ||
            b == 0x5F || b >= 0x80
        if isWordByte { word.append(b); continue }
        if !endWord() { return false }
        if lastWord == "import" { afterImport = true }
        if afterImport {
            if b == 0x22 || b == 0x27 { return false }   // import "file"
            if b != 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x5C { afterImport = false }
        }
        lastWord = ""
    }
    return endWord()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func weftFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let source = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
    let interp = Interpreter(options: .init(maxCallDepth: 500))
    interp.output = { _ in }
    interp.input = { _ in nil }
    interp.threadErrorOutput = { _ in }
    interp.stepBudget = 20_000
    if let problem = interp.check(source, file: "<fuzz>") {
        _ = problem.description
        return 0
    }
    guard mayRun(source) else { return 0 }
    do {
        _ = try interp.eval(source, file: "<fuzz>")
    } catch let e as ScriptError {
        _ = e.report
    } catch let e as SourceError {
        _ = e.description
    } catch {
        _ = "\(error)"
    }
    return 0
}

#if !WEFT_FUZZ
/// Without libFuzzer (a plain `swift build`, which builds every target): run each file
/// named on the command line through the same harness, e.g. to replay a crash input
/// under a debugger. Scripts/fuzz.sh builds with `-DWEFT_FUZZ`, where libFuzzer
/// supplies `main`.
@main
enum WeftFuzzReplay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                fputs("WeftFuzz: cannot read \(path)\n", stderr)
                exit(2)
            }
            data.withUnsafeBytes { raw in
                _ = weftFuzzOneInput(raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
            }
            print("ok: \(path)")
        }
    }
}
#endif
