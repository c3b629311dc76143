// The REPL (spec §10), driven through a pseudo-terminal the test creates itself, so
// it runs where no terminal is attached (CI). The real `weft` binary is started as a
// session leader with the pty's slave side as its controlling terminal, stdin,
// stdout and stderr: Ctrl-C (byte 0x03) then raises SIGINT through the terminal,
// exactly as for a user. HOME and WEFT_HISTORY point into a temporary folder.
//
// Output is matched after removing ANSI escape sequences (readline's bracketed-paste
// switches, cursor moves), carriage returns and bells. Every wait reads until the
// expected text appears, at most 10 s, so a loaded 2-core CI machine passes.

import XCTest
import Weft
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `weft` process on a fresh pseudo-terminal.
final class PTYSession {
    let pid: pid_t
    private let master: Int32
    private var raw: [UInt8] = []
    /// How much of the cleaned transcript earlier expectations consumed.
    private var consumed = 0
    private var exitStatus: Int32?
    /// After one expectation timed out, later ones fail at once (no cascade of waits).
    private var broken = false

    /// glibc's POSIX_SPAWN_SETSID (not exported by the Swift Glibc module): the child
    /// starts a new session, so the pty it opens becomes its controlling terminal.
    static let spawnSetsid: Int32 = 0x80

    /// A new pty: the master descriptor and the slave's path. posix_openpt and
    /// friends are not exported by the Swift Glibc module; they are looked up.
    static func openPTY() -> (Int32, String)? {
        typealias OpenPT = @convention(c) (Int32) -> Int32
        typealias FDCall = @convention(c) (Int32) -> Int32
        typealias PtsName = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        guard let o = dlsym(nil, "posix_openpt"), let g = dlsym(nil, "grantpt"),
              let u = dlsym(nil, "unlockpt"), let n = dlsym(nil, "ptsname_r") else { return nil }
        let openpt = unsafeBitCast(o, to: OpenPT.self)
        let grant = unsafeBitCast(g, to: FDCall.self)
        let unlock = unsafeBitCast(u, to: FDCall.self)
        let ptsname = unsafeBitCast(n, to: PtsName.self)
        let m = openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard m >= 0 else { return nil }
        var name = [CChar](repeating: 0, count: 128)
        guard grant(m) == 0, unlock(m) == 0, ptsname(m, &name, name.count) == 0 else { close(m); return nil }
        return (m, String(cString: name))
    }

    init(weft: URL, arguments: [String] = [], environment: [String: String]) throws {
        guard let pty = PTYSession.openPTY() else {
            throw NSError(domain: "PTY", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot create a pty"])
        }
        let (m, slavePath) = pty
        master = m
        var size = winsize(ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(m, UInt(TIOCSWINSZ), &size)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opened after setsid and without O_NOCTTY: the slave becomes the controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(PTYSession.spawnSetsid | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [weft.path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = envp.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, weft.path, &actions, &attr, &cArgv, &cEnv)
        guard rc == 0 else {
            close(m)
            throw NSError(domain: "PTY", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn failed: \(rc)"])
        }
        pid = child
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
        }
        close(master)
    }

    // MARK: Terminal I/O

    func send(_ text: String) {
        var bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(master, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }

    /// Reads what is available, waiting up to `ms` for the first byte. False at EOF.
    @discardableResult
    private func pump(waitMs: Int32) -> Bool {
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let n = poll(&pfd, 1, waitMs)
        guard n > 0 else { return true }
        var buf = [UInt8](repeating: 0, count: 8192)
        let got = read(master, &buf, buf.count)
        if got > 0 { raw.append(contentsOf: buf[0..<got]); return true }
        if got < 0 && errno == EINTR { return true }
        return false      // EIO: every slave descriptor closed (the process ended)
    }

    /// Reads whatever output is still buffered (after the process ended).
    private func drain() {
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        var buf = [UInt8](repeating: 0, count: 8192)
        while poll(&pfd, 1, 0) > 0 {
            let got = read(master, &buf, buf.count)
            if got <= 0 { break }
            raw.append(contentsOf: buf[0..<got])
        }
    }

    /// The transcript without escape sequences, carriage returns, bells or backspaces.
    var transcript: String { PTYSession.clean(raw) }

    static func clean(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1b {
                guard i + 1 < bytes.count else { break }          // incomplete: drop
                let k = bytes[i + 1]
                if k == UInt8(ascii: "[") {
                    var j = i + 2
                    while j < bytes.count && !(0x40...0x7e).contains(bytes[j]) { j += 1 }
                    if j >= bytes.count { break }
                    i = j + 1
                } else if k == UInt8(ascii: "]") {
                    var j = i + 2
                    while j < bytes.count && bytes[j] != 0x07 && !(bytes[j] == 0x1b) { j += 1 }
                    if j >= bytes.count { break }
                    i = bytes[j] == 0x07 ? j + 1 : j + 2
                } else {
                    i += 2
                }
                continue
            }
            if b != 0x0d && b != 0x07 && b != 0x08 { out.append(b) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Waits until `needle` appears after what earlier expectations consumed; the
    /// text up to its end is then consumed. Returns the new text up to the match.
    @discardableResult
    func expect(_ needle: String, timeout: Double = 10,
                file: StaticString = #filePath, line: UInt = #line) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var open = true
        while true {
            let text = transcript
            let scalars = Array(text.unicodeScalars)
            if consumed <= scalars.count {
                let rest = String(String.UnicodeScalarView(scalars[consumed...]))
                if let r = rest.range(of: needle) {
                    let upTo = String(rest[..<r.upperBound])
                    consumed += upTo.unicodeScalars.count
                    return upTo
                }
            }
            if broken {
                XCTFail("not waiting for \(needle.debugDescription): an earlier expectation failed", file: file, line: line)
                return nil
            }
            if !open || Date() >= deadline {
                broken = true
                XCTFail("timed out waiting for \(needle.debugDescription); transcript so far:\n\(text)", file: file, line: line)
                return nil
            }
            open = pump(waitMs: 50)
        }
    }

    /// Waits for the main prompt, then types `line` and Enter.
    func enter(_ line: String, file: StaticString = #filePath, line sourceLine: UInt = #line) {
        expect("weft> ", file: file, line: sourceLine)
        send(line + "\r")
    }

    /// Reads (and discards) output for a while: lets the process act on earlier input.
    func settle(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if !pump(waitMs: 20) { break } }
    }

    /// Waits for the process to exit; its status, or nil on timeout or signal.
    func waitForExit(timeout: Double = 10) -> Int32? {
        if broken { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            pump(waitMs: 20)
            var st: Int32 = 0
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid {
                // WIFEXITED / WEXITSTATUS
                let status: Int32 = (st & 0x7f) == 0 ? (st >> 8) & 0xff : -1
                exitStatus = status
                drain()
                return status
            }
        }
        return nil
    }
}

final class REPLTests: XCTestCase {
    private var tmp: URL!
    private var weft: URL!

    override func setUpWithError() throws {
        guard let bin = ConformanceTests.findWeft() else {
            throw XCTSkip("the weft executable was not found (build it first)")
        }
        weft = bin
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("weft-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let tmp = tmp { try? FileManager.default.removeItem(at: tmp) }
    }

    private var historyPath: String { tmp.appendingPathComponent("history").path }

    private func environment(term: String = "xterm") -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("WEFT_") || key == "INPUTRC" { env[key] = nil }
        env["TERM"] = term
        env["HOME"] = tmp.path
        env["WEFT_HISTORY"] = historyPath
        env["INPUTRC"] = "/dev/null"
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    private func start(_ arguments: [String] = [], term: String = "xterm") throws -> PTYSession {
        try PTYSession(weft: weft, arguments: arguments, environment: environment(term: term))
    }

    /// Whether the runtime provides a builtin yet (tests of unfinished parts skip).
    private func requireBuiltin(_ name: String) throws {
        let p = Process()
        p.executableURL = weft
        p.arguments = ["-e", "\(name)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw XCTSkip("the runtime does not provide '\(name)' yet") }
    }

    // MARK: - Evaluation

    func testEvaluatesAndShowsRepr() throws {
        let s = try start()
        s.enter("1 + 2")
        s.expect("1 + 2\n3\n")
        s.enter("\"a\"")
        s.expect("\"a\"\n\"a\"\n")
        s.enter("let name = \"weft\"")       // a declaration shows nothing
        s.enter("nil")                         // nil shows nothing
        s.enter("[name, 1.5, {\"k\": nil}]")
        let shown = s.expect("[\"weft\", 1.5, {\"k\": nil}]\n")
        XCTAssertEqual(shown?.contains("nil\nnil"), false)
        s.enter("let name = \"again\"")        // redeclaration is allowed at the top level
        s.enter("name")
        s.expect("\"again\"\n")
        s.expect("weft> ")
        s.send("\u{04}")
        XCTAssertEqual(s.waitForExit(), 0)
    }

    func testMultiLineFunctionContinues() throws {
        let s = try start()
        s.enter("fn double(x) {")
        s.expect("  ... ")
        s.send("let y = [x,\r")
        s.expect("  ... ")
        s.send("x]\r")
        s.expect("  ... ")
        s.send("return y[0] + y[1]\r")
        s.expect("  ... ")
        s.send("}\r")
        s.enter("double(21)")
        s.expect("double(21)\n42\n")
        // An unfinished string continues too.
        s.enter("\"\"\"one")
        s.expect("  ... ")
        s.send("two\"\"\"\r")
        s.expect("\"one\\ntwo\"\n")
    }

    func testSyntaxErrorThenWorkingLine() throws {
        let s = try start()
        s.enter("1 +* 2")
        s.expect("syntax error")
        s.expect("1 +* 2\n")
        s.expect("^\n")
        s.enter("2 * 3")
        s.expect("2 * 3\n6\n")
        // A blank line ends a continuation: the unfinished entry is reported.
        s.enter("(1 +")
        s.expect("  ... ")
        s.send("\r")
        s.expect("syntax error")
        s.enter("7")
        s.expect("7\n7\n")
    }

    func testScriptInputReadsFromTerminal() throws {
        let s = try start()
        s.enter("let who = input(\"na\" + \"me: \")")
        s.expect("name: ")
        s.send("bob\r")
        s.enter("who")
        s.expect("who\n\"bob\"\n")
    }

    func testRuntimeErrorKeepsState() throws {
        let s = try start()
        s.enter("var total = 10")
        s.enter("let m = {\"a\": 1}")
        s.enter("m[\"b\"]")
        s.expect("error: KeyError")
        s.expect("at <main> (<repl>:1:")
        s.enter("total + 1")
        s.expect("total + 1\n11\n")
    }

    // MARK: - History

    func testHistoryIsWrittenAndReloaded() throws {
        do {
            let s = try start()
            s.enter("40 + 2")
            s.expect("42\n")
            s.enter("fn twice(x) {")
            s.expect("  ... ")
            s.send("return x * 2\r")
            s.expect("  ... ")
            s.send("}\r")
            s.enter("let answer = 42")
            s.expect("weft> ")
            s.send("\u{04}")
            XCTAssertEqual(s.waitForExit(), 0)
        }
        let stored = try String(contentsOfFile: historyPath, encoding: .utf8)
        let lines = stored.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, ["40 + 2", "fn twice(x) {\\nreturn x * 2\\n}", "let answer = 42"])

        let s = try start()
        s.expect("weft> ")
        s.send("\u{1b}[A\u{1b}[A")      // Up twice: the multi-line entry, as one entry
        s.settle(0.2)
        s.send("\r")
        s.enter("twice(4)")
        s.expect("twice(4)\n8\n")
        s.expect("weft> ")
        // History now: 40 + 2, fn twice, let answer, fn twice, twice(4): five up is "40 + 2".
        s.send("\u{1b}[A\u{1b}[A\u{1b}[A\u{1b}[A\u{1b}[A\r")
        s.expect("\n42\nweft> ")        // the result (redraws of recalled lines come before)
        s.send("\u{04}")
        XCTAssertEqual(s.waitForExit(), 0)
        let after = try String(contentsOfFile: historyPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(after.last, "40 + 2")
    }

    func testHistoryIsBoundedAndSharedBySessionsExitingTogether() throws {
        // An over-full file from earlier sessions.
        let old = (1...10_005).map { "old \($0)" }.joined(separator: "\n") + "\n"
        try old.write(toFile: historyPath, atomically: true, encoding: .utf8)
        let a = try start(), b = try start()
        a.enter("\"from a\"")
        b.enter("\"from b\"")
        a.expect("\"from a\"\n")
        b.expect("\"from b\"\n")
        a.expect("weft> ")
        b.expect("weft> ")
        a.send("\u{04}")
        b.send("\u{04}")
        XCTAssertEqual(a.waitForExit(), 0)
        XCTAssertEqual(b.waitForExit(), 0)
        let lines = try String(contentsOfFile: historyPath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "")                        // ends with a newline
        let entries = lines.dropLast()
        XCTAssertEqual(entries.count, 10_000)
        XCTAssertEqual(Set(entries.suffix(2)), ["\"from a\"", "\"from b\""])
        XCTAssertEqual(entries.first, "old 8")                // the oldest were cut
        XCTAssertTrue(entries.dropLast(2).allSatisfy { $0.hasPrefix("old ") })
    }

    // MARK: - Completion

    func testTabCompletesGlobalsAndMethods() throws {
        let s = try start()
        s.enter("let abcdef = 1")
        s.expect("weft> ")
        s.send("abc\t")
        s.expect("abcdef")
        s.send("\r")
        s.expect("\n1\n")
        s.enter("let xs = [1]")
        s.expect("weft> ")
        s.send("xs.app\t")
        s.expect("xs.append")
        s.send("(2)\r")
        s.enter("xs")
        s.expect("xs\n[1, 2]\n")
    }

    // MARK: - Interrupts

    func testCtrlCDiscardsLineAndInterruptsSleep() throws {
        let s = try start()
        s.expect("weft> ")
        s.send("this is not code")
        s.expect("this is not code")
        s.send("\u{03}")                 // discards the line
        s.enter("5")
        s.expect("5\n5\n")
        s.enter("var before = 1")
        s.enter("print(\"zz\" + \"z\"); sleep(100)")
        s.expect("zzz\n")                  // the evaluation has started
        s.settle(0.1)
        s.send("\u{03}")
        s.expect("Interrupted")
        s.enter("before + 1")
        s.expect("before + 1\n2\n")
    }

    func testCtrlDWaitsForRunningThread() throws {
        try requireBuiltin("spawn")
        let s = try start()
        s.enter("spawn(fn() { sleep(1.5); print(\"do\" + \"ne\") })")
        s.expect("weft> ")
        s.send("\u{04}")
        s.expect("waiting for 1 running thread")
        s.expect("done")
        XCTAssertEqual(s.waitForExit(), 0)
    }

    func testThreadsCommandShowsBlockedThread() throws {
        try requireBuiltin("queue")
        let s = try start()
        s.enter("let q = queue(); spawn(fn() => q.get(), name: \"getter\")")
        // Until the new thread has reached q.get() it shows as running: ask again.
        var listing = ""
        var line: Substring?
        for _ in 0..<40 {
            s.enter(":threads")
            guard let text = s.expect("\nweft> ") else { return }
            listing = text
            line = listing.split(separator: "\n").first { $0.contains("getter") }
            if line?.contains("blocked") == true { break }
            s.settle(0.1)
            s.send("\r")          // an empty line: a fresh prompt for the next ask
        }
        XCTAssertNotNil(line, listing)
        XCTAssertTrue(line?.contains("blocked") == true, listing)
        XCTAssertTrue(line?.lowercased().contains("queue") == true, listing)
        s.send("q.\t\t")                     // a queue's methods
        s.expect("put")
        s.send("\u{15}q.put(1)\r")           // Ctrl-U clears the line; unblock the getter
        s.expect("q.put(1)\n")
        s.expect("weft> ")
        s.send("\u{04}")
        XCTAssertEqual(s.waitForExit(), 0)
    }

    // MARK: - Background output, commands, -i

    func testBackgroundOutputKeepsTypedLine() throws {
        try requireBuiltin("spawn")
        let s = try start()
        s.enter("spawn(fn() { sleep(0.4); print(\"tick\") })")
        s.expect("weft> ")
        s.send("12")
        s.expect("tick\n")
        s.send("3\r")
        s.expect("\n123\n")
    }

    func testCommands() throws {
        let script = tmp.appendingPathComponent("lib.weft")
        try "let loaded = 7\nfn triple(x) => x * 3\n".write(to: script, atomically: true, encoding: .utf8)
        let s = try start()
        s.enter(":help")
        s.expect(":threads")
        s.enter(":load \(script.path)")
        s.enter("triple(loaded)")
        s.expect("triple(loaded)\n21\n")
        s.enter(":time 2 ** 10")
        s.expect("1024\ntime: ")
        s.enter(":reset")
        s.enter("loaded")
        s.expect("NameError")
        s.enter(":quit")
        XCTAssertEqual(s.waitForExit(), 0)
    }

    func testInteractiveFlagKeepsGlobals() throws {
        let script = tmp.appendingPathComponent("setup.weft")
        try "let base = 20\nprint(\"setup ran\")\n".write(to: script, atomically: true, encoding: .utf8)
        let s = try start(["-i", script.path])
        s.expect("setup ran\n")
        s.enter("base * 2 + 2")
        s.expect("\n42\n")
    }

    func testDumbTerminal() throws {
        let s = try start(term: "dumb")
        s.enter("[1, 2][-1]")
        s.expect("\n2\n")
        s.expect("weft> ")
        s.send("\u{04}")
        XCTAssertEqual(s.waitForExit(), 0)
    }

    // MARK: - No terminal

    func testNonTerminalStdinRunsAsScript() throws {
        let p = Process()
        p.executableURL = weft
        p.environment = environment()
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write("let x = 2\nfn f(n) {\n  return n * 3\n}\nprint(f(x))\nx + 1\n".data(using: .utf8)!)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(text, "6\n")           // no prompt, no banner, no repr of `x + 1`
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: historyPath))
    }
}

/// The library side of the REPL: completion candidates and repr (no terminal).
final class REPLTestsLibrary: XCTestCase {
    private func interpreter() throws -> Interpreter {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        try interp.eval("""
            let abcdef = 1
            let abcxyz = 2
            let xs = [1]
            let text = "hi"
            import math
            class Point {
              let origin = 0
              fn init(x) { self.x = x; self.xlabel = "x" }
              fn xnorm() { return self.x }
            }
            let p = Point(3)
            """, file: "<test>", replMode: true)
        return interp
    }

    func testCompletesNames() throws {
        let interp = try interpreter()
        XCTAssertEqual(interp.completions(for: "abc", cursor: 3), ["abcdef", "abcxyz"])
        XCTAssertEqual(interp.completions(for: "print(abcd", cursor: 10), ["abcdef"])
        XCTAssertTrue(interp.completions(for: "whi", cursor: 3).contains("while"))     // keyword
        XCTAssertTrue(interp.completions(for: "pri", cursor: 3).contains("print"))     // builtin
        XCTAssertEqual(interp.completions(for: "import js", cursor: 9), ["json"])
        XCTAssertEqual(interp.completions(for: "1.5", cursor: 3), [])
        // The cursor decides which word: here the one before it.
        XCTAssertEqual(interp.completions(for: "abcd + 1", cursor: 4), ["abcdef"])
    }

    func testCompletesMembers() throws {
        let interp = try interpreter()
        XCTAssertEqual(interp.completions(for: "xs.app", cursor: 6), ["xs.append"])
        XCTAssertTrue(interp.completions(for: "text.", cursor: 5).contains("text.upper"))
        XCTAssertEqual(interp.completions(for: "math.sq", cursor: 7), ["math.sqrt"])
        XCTAssertEqual(interp.completions(for: "p.x", cursor: 3), ["p.x", "p.xlabel", "p.xnorm"])
        XCTAssertEqual(interp.completions(for: "p.ori", cursor: 5), ["p.origin"])
        XCTAssertEqual(interp.completions(for: "p.xlabel.up", cursor: 11), ["p.xlabel.upper"])
        XCTAssertEqual(interp.completions(for: "nothing.x", cursor: 9), [])
    }

    func testCompletesRuntimeObjectMethods() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        do { try interp.eval("let q = queue()", replMode: true) } catch {
            throw XCTSkip("the runtime does not provide queue() yet")
        }
        let names = interp.completions(for: "q.", cursor: 2)
        XCTAssertTrue(names.contains("q.get") && names.contains("q.put"), "\(names)")
    }

    func testRepr() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        XCTAssertEqual(try interp.repr(try interp.eval("\"a\"")), "\"a\"")
        XCTAssertEqual(try interp.repr(try interp.eval("[1, \"b\", nil, 2.0]")), "[1, \"b\", nil, 2.0]")
        try interp.eval("class T { fn to_str() { return \"tee\" } }", replMode: true)
        XCTAssertEqual(try interp.repr(try interp.eval("T()")), "tee")
    }
}
