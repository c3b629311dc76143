// The REPL's terminal layer: GNU readline driven through its callback interface
// from a poll loop, SIGINT turned into a flag plus a wake-up byte, and output of
// background threads drawn above the prompt without garbling the line being typed.
//
// Everything that touches readline runs on the main thread. Other threads only
// queue text (while the prompt is up) or write directly (while it is not), under
// one lock, and wake the main thread through a pipe.
@preconcurrency import CReadline
import Weft
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Synchronization

// MARK: - Signals and the wake-up pipe

/// Ctrl-C presses not yet handled (incremented by the SIGINT handler).
let pendingInterrupts = Atomic<Int>(0)

/// The wake-up pipe: the SIGINT handler and other threads write a byte to
/// `wakeFDs.1`; the main thread polls `wakeFDs.0`. Set once before the handler
/// is installed, then only read.
nonisolated(unsafe) var wakeFDs: (Int32, Int32) = (-1, -1)

/// Async-signal-safe: an atomic increment and a write(2) to a non-blocking pipe.
private func onSIGINT(_ signal: Int32) {
    let saved = errno
    pendingInterrupts.add(1, ordering: .sequentiallyConsistent)
    var byte: UInt8 = 1
    _ = Glibc.write(wakeFDs.1, &byte, 1)
    errno = saved
}

/// Wakes the main thread's poll loop.
func wakeMainThread() {
    var byte: UInt8 = 0
    _ = Glibc.write(wakeFDs.1, &byte, 1)
}

/// Empties the wake-up pipe (non-blocking).
func drainWakePipe() {
    var buf = [UInt8](repeating: 0, count: 256)
    while Glibc.read(wakeFDs.0, &buf, buf.count) > 0 {}
}

/// Creates the wake-up pipe and installs the SIGINT handler (no SA_RESTART, so
/// the main thread's poll returns EINTR at once).
func installInterruptHandling() {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return }
    for fd in fds {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    wakeFDs = (fds[0], fds[1])
    // Initialize the handler's globals now, never inside the handler.
    pendingInterrupts.store(0, ordering: .sequentiallyConsistent)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = onSIGINT
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
}

/// Blocks SIGINT in the calling thread (and so in every thread it creates): only
/// the main thread takes Ctrl-C, so no script thread sees a stray EINTR.
func blockInterruptsInThisThread() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_BLOCK, &set, nil)
}

/// Waits until one of `fds` is ready or the wake-up pipe has a byte; returns the
/// `revents` of `fds` (all zero when woken or interrupted). `timeout` in ms, -1 forever.
func pollWithWake(_ fds: [Int32], timeout: Int32 = -1) -> [Int16] {
    var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    pfds.append(pollfd(fd: wakeFDs.0, events: Int16(POLLIN), revents: 0))
    let n = poll(&pfds, nfds_t(pfds.count), timeout)
    if n > 0 && pfds[pfds.count - 1].revents != 0 { drainWakePipe() }
    if n <= 0 { return fds.map { _ in 0 } }
    return pfds.dropLast().map { $0.revents }
}

// MARK: - Line editor

/// What one prompt produced.
enum ReadResult {
    case line(String)
    /// Ctrl-D on an empty line (or the terminal went away).
    case eof
    /// Ctrl-C: the line was discarded.
    case interrupted
}

/// The one readline session of the process (readline's state is global).
final class LineEditor: @unchecked Sendable {
    static let shared = LineEditor()

    /// Guards `atPrompt` and `pending`, and serializes every write to the terminal.
    private let lock = PosixLock()
    private var atPrompt = false
    private var pending: [(fd: Int32, text: String)] = []

    /// Supplies completion candidates for (line, cursor in UTF-8 bytes).
    var completer: ((String, Int) -> [String])?

    private init() {}

    /// One-time readline setup: no signal handling of its own, our completion,
    /// a bounded history.
    func configure() {
        rl_catch_signals = 0
        rl_catch_sigwinch = 1
        rl_readline_name = UnsafePointer(strdup("weft"))
        // Everything that cannot be part of a dotted name breaks words.
        rl_completer_word_break_characters = UnsafePointer(strdup(" \t\n\"\\'`@$><=;|&{}()[],+-*/%!^~:?#"))
        rl_attempted_completion_function = weftAttemptCompletion
        stifle_history(Int32(HistoryFile.maxEntries))
    }

    // MARK: Output

    /// Writes text to stdout (or stderr) as one chunk. While the prompt is up the
    /// text is queued and the main thread draws it above the prompt.
    func write(_ text: String, toError: Bool = false) {
        let fd: Int32 = toError ? 2 : 1
        lock.lock()
        if atPrompt {
            pending.append((fd, text))
            lock.unlock()
            wakeMainThread()
            return
        }
        writeRaw(text, fd: fd)
        lock.unlock()
    }

    private func writeRaw(_ text: String, fd: Int32) {
        fflush(stdout)
        var s = text
        s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    /// Draws queued output above the prompt line (main thread, prompt up).
    private func flushPendingAtPrompt() {
        lock.lock()
        defer { lock.unlock() }
        guard !pending.isEmpty else { return }
        let items = pending
        pending = []
        rl_clear_visible_line()
        fflush(rl_outstream)
        var endsWithNewline = true
        for item in items {
            writeRaw(item.text, fd: item.fd)
            if !item.text.isEmpty { endsWithNewline = item.text.hasSuffix("\n") }
        }
        if !endsWithNewline { writeRaw("\n", fd: 1) }
        rl_on_new_line()
        rl_redisplay()
    }

    /// Leaves prompt mode: later output is written directly; anything queued is written now.
    private func leavePrompt() {
        lock.lock()
        atPrompt = false
        let items = pending
        pending = []
        for item in items { writeRaw(item.text, fd: item.fd) }
        lock.unlock()
    }

    // MARK: Input for scripts

    /// Bumped by the REPL at each Ctrl-C during an evaluation: a script blocked in
    /// `input()` gives up (gets end of input) instead of keeping the terminal.
    let inputGeneration = Atomic<Int>(0)

    /// `input(prompt)` for scripts run by the REPL: the terminal is in its normal
    /// (cooked) mode then, so the line is read as typed. Returns nil at end of
    /// input or after a Ctrl-C. Reads one byte at a time so nothing after the
    /// line is taken from the terminal, and never while readline owns it.
    func readInputLine(prompt: String) -> String? {
        let generation = inputGeneration.load(ordering: .sequentiallyConsistent)
        write(prompt)
        var bytes: [UInt8] = []
        while true {
            if inputGeneration.load(ordering: .sequentiallyConsistent) != generation { return nil }
            var pfd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            lock.lock()
            let promptUp = atPrompt
            lock.unlock()
            if promptUp { usleep(50_000); continue }
            var byte: UInt8 = 0
            let n = Glibc.read(STDIN_FILENO, &byte, 1)
            if n == 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return nil
            }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    // MARK: Input

    /// Shows `prompt` and edits one line. Background output is drawn above it,
    /// Ctrl-C discards it, Ctrl-D on an empty line is `.eof`.
    func readLine(prompt: String) -> ReadResult {
        pendingInterrupts.store(0, ordering: .sequentiallyConsistent)
        LineHandler.reset()
        lock.lock()
        rl_callback_handler_install(prompt, weftLineHandler)
        atPrompt = true
        lock.unlock()

        while true {
            let revents = pollWithWake([STDIN_FILENO])
            if pendingInterrupts.exchange(0, ordering: .sequentiallyConsistent) > 0 {
                cancelLine()
                return .interrupted
            }
            flushPendingAtPrompt()
            if revents[0] & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                rl_callback_read_char()
                if LineHandler.done {
                    leavePrompt()
                    if let line = LineHandler.line { return .line(line) }
                    // readline ends the line itself at EOF when bracketed paste is on.
                    if !bracketedPasteEnabled { writeRaw("\n", fd: 1) }
                    return .eof
                }
                if revents[0] & Int16(POLLIN) == 0 {
                    // Hang-up without data: the terminal is gone.
                    rl_callback_handler_remove()
                    leavePrompt()
                    return .eof
                }
            } else if revents[0] & Int16(POLLNVAL) != 0 {
                rl_callback_handler_remove()
                leavePrompt()
                return .eof
            }
        }
    }

    /// Ctrl-C at the prompt: show `^C` after the text, drop the line, restore the terminal.
    private func cancelLine() {
        lock.lock()
        rl_point = rl_end
        rl_redisplay()
        fputs("^C", rl_outstream)
        fflush(rl_outstream)
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_cleanup_after_signal()
        rl_callback_handler_remove()
        lock.unlock()
        leavePrompt()
        write("\n")
    }

    /// Whether readline wraps its input in bracketed-paste mode (it turns that off
    /// on dumb terminals).
    private var bracketedPasteEnabled: Bool {
        guard let v = rl_variable_value("enable-bracketed-paste") else { return false }
        return String(cString: v) == "on"
    }

    // MARK: History

    func addHistory(_ entry: String) {
        add_history(entry)
    }

    func clearHistory() { clear_history() }
}

// MARK: - readline callbacks (C function pointers, main thread only)

/// Where the line handler leaves the line it got.
enum LineHandler {
    nonisolated(unsafe) static var done = false
    nonisolated(unsafe) static var line: String?

    static func reset() { done = false; line = nil }
}

private func weftLineHandler(_ text: UnsafeMutablePointer<CChar>?) {
    // Remove the handler here, so readline does not show a new prompt by itself.
    rl_callback_handler_remove()
    LineHandler.done = true
    if let text = text {
        LineHandler.line = String(cString: text)
        free(text)
    } else {
        LineHandler.line = nil
    }
}

/// Candidates for the completion in progress, consumed by the generator.
private enum CompletionState {
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var next = 0
}

private func weftCompletionGenerator(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    if state == 0 { CompletionState.next = 0 }
    guard CompletionState.next < CompletionState.candidates.count else { return nil }
    let c = CompletionState.candidates[CompletionState.next]
    CompletionState.next += 1
    return strdup(c)
}

private func weftAttemptCompletion(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    rl_completion_append_character = 0
    let line = rl_line_buffer.map { String(cString: $0) } ?? ""
    let word = text.map { String(cString: $0) } ?? ""
    // `:load FILE` completes file names (readline's default).
    let trimmed = line.drop(while: { $0 == " " })
    if trimmed.hasPrefix(":load ") || trimmed.hasPrefix(":l ") {
        rl_attempted_completion_over = 0
        return nil
    }
    rl_attempted_completion_over = 1
    var candidates: [String]
    if trimmed.hasPrefix(":") && !trimmed.contains(" ") {
        candidates = REPLCommand.names.filter { $0.hasPrefix(word) }
    } else {
        candidates = LineEditor.shared.completer?(line, Int(end)) ?? []
        candidates = candidates.filter { $0.hasPrefix(word) }
    }
    if candidates.isEmpty { return nil }
    CompletionState.candidates = candidates
    return rl_completion_matches(word, weftCompletionGenerator)
}
