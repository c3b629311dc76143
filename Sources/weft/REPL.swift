// The interactive REPL (spec §10): read an entry (with continuation lines while it
// is incomplete), evaluate it on its own thread while the main thread watches for
// Ctrl-C, show the result's repr or the error, and go on with the state intact.
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import FoundationEssentials
import Dispatch
import Synchronization
import Weft

/// The REPL's colon commands.
enum REPLCommand {
    static let names = ["help", "load", "quit", "reset", "threads", "time"]

    static let help = """
    Enter Weft code; the value of an expression is shown with repr. An unfinished
    entry continues on the next line (prompt `  ... `); a blank line ends it.

    Commands:
      :help          this text
      :threads       every thread, its state and what it waits on
      :load FILE     run FILE in this session (its globals stay)
      :reset         start over with a fresh interpreter
      :time EXPR     evaluate EXPR and show its wall-clock time
      :quit          leave (like Ctrl-D)

    Keys: Tab completes names and attributes after `.`; Ctrl-C discards the line
    or interrupts the running evaluation (twice: abandon it); Ctrl-D leaves,
    waiting for running threads (Ctrl-C or Ctrl-D again: abandon them).

    """
}

/// What running one evaluation on the evaluation thread produced.
private enum EvalOutcome {
    /// The repr of the value, or nil when it was nil.
    case value(String?)
    case failure(Error)
    /// The user gave up on it (Ctrl-C twice); it may still be running.
    case abandoned
}

/// One evaluation handed to a helper thread; `done` is set (and the main thread
/// woken) when it ends.
private final class EvalJob: @unchecked Sendable {
    let done = Atomic<Bool>(false)
    var outcome: EvalOutcome = .value(nil)
}

final class REPL {
    private var interp: Interpreter
    private let makeInterpreter: () -> Interpreter
    private let editor = LineEditor.shared
    private let history = HistoryFile()
    private var lastHistoryEntry: String?
    /// Lines of the entry being typed (continuation).
    private var buffer: [String] = []

    init(interpreter: Interpreter, makeInterpreter: @escaping () -> Interpreter) {
        self.interp = interpreter
        self.makeInterpreter = makeInterpreter
    }

    // MARK: Entry point

    /// Runs the session; `preload` (for `weft -i`) runs first. Never returns.
    func run(banner: String?, preload: ((Interpreter) throws -> Value)? = nil) -> Never {
        installInterruptHandling()
        editor.configure()
        attach(interp)
        let stored = history.load()
        for entry in stored { editor.addHistory(entry) }
        lastHistoryEntry = stored.last
        if let banner = banner { editor.write(banner + "\n") }
        if let preload = preload {
            show(evaluate(preload), showValue: false)
        }
        while true {
            let prompt = buffer.isEmpty ? "weft> " : "  ... "
            switch editor.readLine(prompt: prompt) {
            case .interrupted:
                buffer = []
            case .eof:
                if buffer.isEmpty { quit() }
                buffer = []          // Ctrl-D in a continuation drops the entry
            case .line(let line):
                handle(line)
            }
        }
    }

    /// Routes an interpreter's output through the editor and gives completion its names.
    private func attach(_ interp: Interpreter) {
        let editor = self.editor
        interp.output = { text in editor.write(text) }
        interp.threadErrorOutput = { text in editor.write(text, toError: true) }
        interp.input = { prompt in editor.readInputLine(prompt: prompt) }
        editor.completer = { [unowned interp] line, cursor in interp.completions(for: line, cursor: cursor) }
    }

    // MARK: Entries

    private func handle(_ line: String) {
        let trimmed = line.trimmingWhitespace()
        if buffer.isEmpty {
            if trimmed.isEmpty { return }
            if trimmed.hasPrefix(":") {
                remember(trimmed)
                command(trimmed)
                return
            }
        }
        buffer.append(line)
        let source = buffer.joined(separator: "\n")
        if !trimmed.isEmpty, let problem = interp.check(source, file: "<repl>"), problem.isIncomplete {
            return              // keep reading: `  ... `
        }
        buffer = []
        var entry = source
        while entry.hasSuffix("\n") { entry.removeLast() }
        remember(entry)
        let outcome = evaluate { interp in try interp.eval(source, file: "<repl>", replMode: true) }
        show(outcome, showValue: true)
    }

    /// Adds an entry to the in-memory history and appends it to the file.
    private func remember(_ entry: String) {
        guard !entry.trimmingWhitespaceAndNewlines().isEmpty,
              entry != lastHistoryEntry else { return }
        lastHistoryEntry = entry
        editor.addHistory(entry)
        history.append(entry)
    }

    // MARK: Commands

    private func command(_ text: String) {
        let body = text.dropFirst()
        let name = body.prefix { !$0.isWhitespace }
        let arg = body.dropFirst(name.count).trimmingWhitespace()
        switch name {
        case "help", "h", "?":
            editor.write(REPLCommand.help)
        case "quit", "q", "exit":
            quit()
        case "threads":
            let lines = interp.threadSummaries()
            editor.write(lines.isEmpty ? "no threads\n" : lines.joined(separator: "\n") + "\n")
        case "load", "l":
            guard !arg.isEmpty else { editor.write("usage: :load FILE\n", toError: true); return }
            let path = expandingTilde(arg)
            guard let data = FileManager.default.contents(atPath: path) else {
                editor.write("cannot read '\(arg)'\n", toError: true); return
            }
            let source = String(decoding: data, as: UTF8.self)
            show(evaluate { interp in try interp.eval(source, file: path, replMode: true) }, showValue: false)
        case "reset":
            interp = makeInterpreter()
            attach(interp)
            buffer = []
            editor.write("fresh interpreter: every global is gone\n")
        case "time":
            guard !arg.isEmpty else { editor.write("usage: :time EXPR\n", toError: true); return }
            var elapsed: Double = 0
            let outcome = evaluate { interp in
                let start = DispatchTime.now().uptimeNanoseconds
                defer { elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
                return try interp.eval(arg, file: "<repl>", replMode: true)
            }
            show(outcome, showValue: true)
            if case .abandoned = outcome { return }
            editor.write("time: \(REPL.formatDuration(elapsed))\n")
        default:
            editor.write("unknown command ':\(name)' (:help lists them)\n", toError: true)
        }
    }

    static func formatDuration(_ s: Double) -> String {
        if s < 1e-3 { return PrintfFormat.double("%.1f µs", s * 1e6) }
        if s < 1 { return PrintfFormat.double("%.3f ms", s * 1e3) }
        return PrintfFormat.double("%.3f s", s)
    }

    // MARK: Evaluation

    /// Runs `body` (and the repr of its value) on a helper thread while the main
    /// thread waits: the first Ctrl-C raises `Interrupted` in the evaluation, a
    /// second one abandons it.
    private func evaluate(_ body: @escaping (Interpreter) throws -> Value) -> EvalOutcome {
        let job = EvalJob()
        let interp = self.interp
        // A Ctrl-C pressed since the line was entered counts: it interrupts this evaluation.
        startThread(stackSize: 1 << 20) {
            blockInterruptsInThisThread()
            do {
                let v = try body(interp)
                if v.isNil {
                    job.outcome = .value(nil)
                } else {
                    job.outcome = .value(try interp.repr(v))
                }
            } catch {
                job.outcome = .failure(error)
            }
            job.done.store(true, ordering: .sequentiallyConsistent)
            wakeMainThread()
        }

        var interrupts = 0
        while !job.done.load(ordering: .sequentiallyConsistent) {
            _ = pollWithWake([])
            if job.done.load(ordering: .sequentiallyConsistent) { break }
            if pendingInterrupts.exchange(0, ordering: .sequentiallyConsistent) > 0 {
                interrupts += 1
                editor.inputGeneration.add(1, ordering: .sequentiallyConsistent)
                if interrupts == 1 {
                    interp.interrupt()
                } else {
                    editor.write("\nabandoned the evaluation (it goes on in the background)\n", toError: true)
                    return .abandoned
                }
            }
        }
        if interrupts > 0 { editor.write("\n") }   // after the terminal's `^C`
        return job.outcome
    }

    /// Shows an outcome: the repr of a value, or the error report.
    private func show(_ outcome: EvalOutcome, showValue: Bool) {
        switch outcome {
        case .value(let text):
            if showValue, let text = text { editor.write(text + "\n") }
        case .abandoned:
            break
        case .failure(let error):
            switch error {
            case let e as SourceError: editor.write(e.description, toError: true)
            case let e as ScriptError: editor.write(e.report, toError: true)
            case let e as ExitRequest: finish(e.code)
            default: editor.write("error: \(error)\n", toError: true)
            }
        }
    }

    // MARK: Leaving

    /// Ctrl-D or `:quit`: wait for running non-daemon threads (a second Ctrl-C or
    /// Ctrl-D abandons them), then exit.
    private func quit() -> Never {
        let n = interp.liveThreadCount(nonDaemonOnly: true)
        guard n > 0 else { finish(0) }
        editor.write("waiting for \(n) running thread\(n == 1 ? "" : "s") to finish (Ctrl-C or Ctrl-D again to abandon \(n == 1 ? "it" : "them"))\n")
        let job = EvalJob()
        let interp = self.interp
        pendingInterrupts.store(0, ordering: .sequentiallyConsistent)
        startThread(stackSize: 1 << 20) {
            blockInterruptsInThisThread()
            do { try interp.waitForThreads() } catch { job.outcome = .failure(error) }
            job.done.store(true, ordering: .sequentiallyConsistent)
            wakeMainThread()
        }
        var stdinOpen = true
        while !job.done.load(ordering: .sequentiallyConsistent) {
            let revents = pollWithWake(stdinOpen ? [STDIN_FILENO] : [])
            if job.done.load(ordering: .sequentiallyConsistent) { break }
            var abandon = pendingInterrupts.exchange(0, ordering: .sequentiallyConsistent) > 0
            if stdinOpen, let r = revents.first, r != 0 {
                // The terminal is in cooked mode here: Ctrl-D on an empty line reads as 0 bytes.
                var buf = [UInt8](repeating: 0, count: 1024)
                let got = read(STDIN_FILENO, &buf, buf.count)
                if got == 0 || (got > 0 && buf[0..<got].contains(4)) { abandon = true }
                if got < 0 && errno != EINTR && errno != EAGAIN { stdinOpen = false }
            }
            if abandon {
                let left = interp.liveThreadCount(nonDaemonOnly: true)
                editor.write("\nabandoned \(left) thread\(left == 1 ? "" : "s")\n")
                finish(0)
            }
        }
        if case .failure(let error) = job.outcome {
            if let e = error as? ScriptError { editor.write(e.report, toError: true) }
            else { editor.write("error: \(error)\n", toError: true) }
            finish(1)
        }
        finish(0)
    }

    private func finish(_ code: Int32) -> Never {
        history.compact()
        fflush(stdout)
        exit(code)
    }
}
