// The race stress suite (issue 7, item 4). LANGUAGE.md §7: a racy script may compute a
// wrong answer but can never crash the runtime or corrupt memory, and every single
// operation on a builtin value is atomic. Each test races threads on shared state and
// asserts that the process survives (exit 0, its expected lines, no hang, no signal,
// no sanitizer report) and that the invariants atomicity implies hold.
//
//   testRacePairs*            Scripts/stress/modules/race_pairs_lib.weft: every pair of
//                             operations on a shared list, map, instance, string
//                             variable, closure cell, global, module attribute and error
//                             value, raced by 4 threads; one `weft` process per target
//   testMapKeysWithScriptEq   race_map_eq_lib.weft: keys whose `eq` mutates the map,
//                             sleeps, waits on an event, spawns (the first) thread;
//                             one process per scenario (no crash, no hang)
//   testAuditScenario         race_audit_lib.weft: `xs[i % 4] = [i]` against
//                             len(xs + ys), str, ==, deepcopy, sorted(key:), ...
//   testSharedErrorThrown...  race_error.weft: one error instance thrown by 4 threads
//   testHostThreadsCall...    4 Swift threads calling `call`/`eval` on one Interpreter
//                             at once (run in a child process: a crash there must not
//                             take the whole test run down)
//   testAbandonedREPL...      a REPL evaluation abandoned with Ctrl-C twice keeps
//                             running while the next evaluation races with it
//
// The scripts run with the `weft` found like the conformance suite finds it, or
// $WEFT_BIN (e.g. a sanitizer build: .ci/run runs this class against release TSan
// and ASan builds). Knobs: WEFT_RACE_ROUNDS (rounds per thread in race_pairs, default
// 50), WEFT_RACE_REPEAT (runs of each process, default 1), WEFT_RACE_REPL_SESSIONS
// (default 2), WEFT_RACE_TIMEOUT (seconds per process, default 60; the eq scenarios use
// a third of it, at least 20 s: a hang there is the bug being tested).

import XCTest
import Foundation
import Weft
#if canImport(Glibc)
import Glibc
#endif

final class RaceStressTests: XCTestCase {

    // MARK: - Running weft processes

    static var stressDir: URL {
        ConformanceTests.packageRoot.appendingPathComponent("Scripts/stress", isDirectory: true)
    }

    static func envInt(_ name: String, _ fallback: Int) -> Int {
        if let s = ProcessInfo.processInfo.environment[name], let n = Int(s), n > 0 { return n }
        return fallback
    }

    static var rounds: Int { envInt("WEFT_RACE_ROUNDS", 50) }
    static var repeats: Int { envInt("WEFT_RACE_REPEAT", 1) }
    static var timeout: Double { Double(envInt("WEFT_RACE_TIMEOUT", 60)) }

    struct Run {
        var name: String
        var stdout = ""
        var stderr = ""
        var status: Int32 = -1
        var signal: Int32 = 0
        var timedOut = false
        var launchError: String?
        var seconds = 0.0

        /// Nil when the run survived and printed every expected line (and "done" last);
        /// otherwise what went wrong.
        func problem(expect: [String]) -> String? {
            var why: String?
            if let e = launchError { why = e }
            else if timedOut { why = "hung (killed after \(Int(seconds)) s)" }
            else if signal != 0 { why = "crashed with signal \(signal) (\(RaceStressTests.signalName(signal)))" }
            else if stderr.contains("Sanitizer") { why = "sanitizer report" }
            else if status != 0 { why = "exit status \(status)" }
            else if let missing = expect.first(where: { !stdout.contains($0) }) { why = "missing \"\(missing)\"" }
            else if stdout.split(separator: "\n").last != "done" { why = "last line is not \"done\"" }
            guard let w = why else { return nil }
            return "\(name): \(w)\n--- stdout (tail):\n\(Self.tail(stdout, 15))\n--- stderr (tail):\n\(Self.tail(stderr, 40))"
        }

        static func tail(_ s: String, _ n: Int) -> String {
            s.split(separator: "\n", omittingEmptySubsequences: false).suffix(n).joined(separator: "\n")
        }
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL (Swift runtime trap)"
        case SIGTRAP: return "SIGTRAP (Swift runtime trap)"
        case SIGBUS: return "SIGBUS"
        case SIGKILL: return "SIGKILL"
        default: return "signal \(s)"
        }
    }

    /// Runs `weft ARGS` in `dir` with output to files (never a full pipe), killing it after
    /// `timeout` seconds.
    static func runWeft(_ weft: URL, _ args: [String], name: String, in dir: URL = stressDir,
                        timeout: Double) -> Run {
        var run = Run(name: name)
        let fm = FileManager.default
        let tmp = fm.temporaryDirectory.appendingPathComponent("weft-race-\(UUID().uuidString)")
        try? fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: tmp) }
        let outURL = tmp.appendingPathComponent("stdout"), errURL = tmp.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        guard let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL) else {
            run.launchError = "cannot create output files in \(tmp.path)"
            return run
        }
        let p = Process()
        p.executableURL = weft
        p.arguments = args
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let finished = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in finished.signal() }
        let start = Date()
        do { try p.run() } catch {
            run.launchError = "cannot launch \(weft.path): \(error)"
            return run
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            run.timedOut = true
            kill(p.processIdentifier, SIGKILL)
            finished.wait()
        }
        run.seconds = Date().timeIntervalSince(start)
        try? out.close()
        try? err.close()
        run.stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        run.stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        if !run.timedOut {
            if p.terminationReason == .uncaughtSignal { run.signal = p.terminationStatus }
            else { run.status = p.terminationStatus }
        }
        return run
    }

    /// Runs the jobs two at a time (the CI machine has 2 cores) and returns the runs in order.
    static func runAll(_ jobs: [() -> Run]) -> [Run] {
        final class Box: @unchecked Sendable { var runs: [Run?]; init(_ n: Int) { runs = Array(repeating: nil, count: n) } }
        let box = Box(jobs.count)
        let lock = NSLock()
        let slots = DispatchSemaphore(value: 2)
        let group = DispatchGroup()
        for (i, job) in jobs.enumerated() {
            slots.wait()
            group.enter()
            let t = Thread {
                let r = job()
                lock.lock(); box.runs[i] = r; lock.unlock()
                slots.signal()
                group.leave()
            }
            t.start()
        }
        group.wait()
        return box.runs.map { $0! }
    }

    func weftBinary(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard let weft = ConformanceTests.findWeft() else {
            XCTFail("cannot find the weft executable: build it first (swift build) or set WEFT_BIN", file: file, line: line)
            throw XCTSkip("no weft executable")
        }
        return weft
    }

    /// `weft -e 'import "modules/LIB" as lib; lib.main(ARGS)'` from Scripts/stress.
    static func libCall(_ lib: String, _ args: String) -> [String] {
        ["-e", "import \"modules/\(lib)\" as lib\nlib.main(\(args))"]
    }

    /// Runs each (name, arguments, expected lines) job `repeats` times, two at a time, and
    /// fails once per job that did not survive, with the reason and output tails.
    func check(_ jobs: [(name: String, args: [String], expect: [String])], timeout: Double,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let weft = try weftBinary(file: file, line: line)
        var all: [(String, [String], [String])] = []
        for _ in 0..<Self.repeats { all += jobs.map { ($0.name, $0.args, $0.expect) } }
        let runs = Self.runAll(all.map { job in { Self.runWeft(weft, job.1, name: job.0, timeout: timeout) } })
        var failed: [String: Int] = [:]
        var firstProblem: [String: String] = [:]
        for (i, run) in runs.enumerated() {
            if let p = run.problem(expect: all[i].2) {
                failed[run.name, default: 0] += 1
                if firstProblem[run.name] == nil { firstProblem[run.name] = p }
            }
        }
        for job in jobs where failed[job.name] != nil {
            XCTFail("\(failed[job.name]!)/\(Self.repeats) runs failed; first: \(firstProblem[job.name]!)",
                    file: file, line: line)
        }
    }

    // MARK: - Every pair of operations on every kind of shared value

    static let pairTargets = ["list", "map", "instance", "string", "cell", "global", "module", "error"]

    func racePairs(_ targets: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        try check(targets.map { t in
            (name: "race_pairs \(t)", args: Self.libCall("race_pairs_lib.weft", "\"\(t)\", \(Self.rounds)"),
             expect: ["\(t): ", " pairs ok"])
        }, timeout: Self.timeout, file: file, line: line)
    }

    func testRacePairsListMapInstance() throws { try racePairs(["list", "map", "instance"]) }
    func testRacePairsStringCellGlobal() throws { try racePairs(["string", "cell", "global"]) }
    func testRacePairsModuleError() throws { try racePairs(["module", "error"]) }

    // MARK: - Map keys whose script eq mutates, blocks or spawns

    static let eqScenarios = ["mutate_single", "spawn_first", "mutate_threads", "sleep", "wait", "spawn_join"]

    func testMapKeysWithScriptEq() throws {
        try check(Self.eqScenarios.map { s in
            (name: "map_eq \(s)", args: Self.libCall("race_map_eq_lib.weft", "\"\(s)\""), expect: ["map_eq \(s) ok"])
        }, timeout: max(20, Self.timeout / 3))
    }

    // MARK: - The audit's scenario and the shared error

    static let auditReaders = ["concat", "str", "eq", "deepcopy", "sorted_key", "copy", "json", "freeze", "iterate", "in"]

    func testAuditScenarioReplaceItemsWhileWalkingList() throws {
        let n = Self.envInt("WEFT_RACE_AUDIT_ROUNDS", 3000)
        try check(Self.auditReaders.map { r in
            (name: "audit \(r)", args: Self.libCall("race_audit_lib.weft", "\"\(r)\", \(n)"), expect: ["audit \(r) ok"])
        }, timeout: Self.timeout)
    }

    func testSharedErrorThrownByFourThreads() throws {
        try check([(name: "race_error", args: ["race_error.weft"], expect: ["shared error ok", "fresh errors ok"])], timeout: Self.timeout)
    }

    // MARK: - Host threads calling into one interpreter

    /// The parent: re-runs this test binary with only `testHostThreadsChild` selected and
    /// WEFT_RACE_CHILD=host, so a crash is reported here instead of ending the test run.
    func testHostThreadsCallOneInterpreterAtOnce() throws {
        guard let exe = Bundle.main.executablePath ?? CommandLine.arguments.first else {
            throw XCTSkip("cannot find the test executable")
        }
        var runs: [Run] = []
        for i in 0..<Self.repeats {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["WeftTests.RaceStressTests/testHostThreadsChild"]
            var env = ProcessInfo.processInfo.environment
            env["WEFT_RACE_CHILD"] = "host"
            env["SWIFT_BACKTRACE"] = "enable=no"
            p.environment = env
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("weft-host-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: tmp.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: tmp) }
            let out = try FileHandle(forWritingTo: tmp)
            p.standardOutput = out
            p.standardError = out
            p.standardInput = FileHandle.nullDevice
            let finished = DispatchSemaphore(value: 0)
            p.terminationHandler = { _ in finished.signal() }
            var run = Run(name: "host threads (run \(i + 1))")
            let start = Date()
            try p.run()
            if finished.wait(timeout: .now() + Self.timeout) == .timedOut {
                run.timedOut = true
                kill(p.processIdentifier, SIGKILL)
                finished.wait()
            }
            run.seconds = Date().timeIntervalSince(start)
            try? out.close()
            let text = (try? String(contentsOf: tmp, encoding: .utf8)) ?? ""
            run.stderr = text
            if !run.timedOut {
                if p.terminationReason == .uncaughtSignal { run.signal = p.terminationStatus }
                else { run.status = p.terminationStatus }
            }
            // The child prints its own verdict; "done" ends a successful child.
            run.stdout = text.contains("host threads ok") ? "host threads ok\ndone" : text
            runs.append(run)
        }
        let failures = runs.compactMap { $0.problem(expect: ["host threads ok"]) }
        if let first = failures.first {
            XCTFail("\(failures.count)/\(runs.count) runs failed; first: \(first)")
        }
    }

    /// The child: 4 Swift threads call `interp.call(fn, args)` and `interp.eval(...)` on one
    /// interpreter at once, repeatedly, appending to one list and storing distinct keys in
    /// one map; every item and key must be there exactly once at the end.
    func testHostThreadsChild() throws {
        guard ProcessInfo.processInfo.environment["WEFT_RACE_CHILD"] == "host" else {
            return      // only meaningful as the child of testHostThreadsCallOneInterpreterAtOnce
        }
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.output = { _ in }
        try interp.eval("""
            let xs = []
            let m = {}
            let shared = [[0], [1], [2], [3]]
            fn work(tag, n) {
              for i in 0..<n {
                xs.append([tag, i])
                m["\\(tag).\\(i)"] = i
                shared[i % 4] = [i]
                let walk = len(shared + xs[0:2]) + len(str(shared)) + len(deepcopy(shared))
              }
              return tag
            }
            """)
        let work = try XCTUnwrap(interp["work"])
        let threads = 4, rounds = 25, perCall = 40
        let failures = RaceFailures()
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            let th = Thread {
                for r in 0..<rounds {
                    let tag = t * 1000 + r
                    do {
                        let v: Value
                        if (t + r) % 2 == 0 {
                            v = try interp.call(work, [.int(tag), .int(perCall)])
                        } else {
                            v = try interp.eval("work(\(tag), \(perCall))")
                        }
                        if v.description != "\(tag)" { failures.add("work(\(tag)) gave \(v)") }
                    } catch {
                        failures.add("\(error)")
                    }
                }
                group.leave()
            }
            th.stackSize = 4 << 20
            th.start()
        }
        group.wait()
        XCTAssertEqual(failures.all, [])
        let total = threads * rounds * perCall
        XCTAssertEqual(try interp.eval("len(xs)").description, "\(total)")
        XCTAssertEqual(try interp.eval("len({str(p): true for p in xs})").description, "\(total)")
        XCTAssertEqual(try interp.eval("len(m)").description, "\(total)")
        if failures.all.isEmpty {
            print("host threads ok")
        }
    }

    // MARK: - An abandoned REPL evaluation racing the next one

    private func replEnvironment(_ tmp: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("WEFT_") || key == "INPUTRC" { env[key] = nil }
        env["TERM"] = "xterm"
        env["HOME"] = tmp.path
        env["WEFT_HISTORY"] = ""
        env["INPUTRC"] = "/dev/null"
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    /// The first Ctrl-C raises Interrupted in an evaluation that catches it and goes on;
    /// the second abandons it (it keeps running in the background, §10, README). The next
    /// evaluations then race with it on the same list: the session must survive, their
    /// results must be right, and the abandoned loop must stop when told to.
    func testAbandonedREPLEvaluationRacesNextOne() throws {
        let weft = try weftBinary()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("weft-race-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let sessions = Self.envInt("WEFT_RACE_REPL_SESSIONS", 2)
        var died = 0
        for n in 0..<sessions {
            let s = try PTYSession(weft: weft, environment: replEnvironment(tmp))
            s.enter("let xs = [[0], [1], [2], [3]]; let ys = [[9]]; var stop = false; var laps = 0")
            s.enter("while not stop { try { var i = 0; while not stop { xs[i % 4] = [i]; i += 1 } } catch e { laps += 1 } }")
            s.settle(0.3)
            s.send("\u{03}")            // Interrupted: caught, the loop goes on
            s.settle(0.3)
            s.send("\u{03}")            // abandoned: it keeps running in the background
            var ok = s.expect("abandoned the evaluation", timeout: 15) != nil
            // Racing the abandoned loop: whole-list reads while it replaces items.
            if ok {
                s.enter("var total = 0; for i in 0..<20000 { total += len(xs + ys); let t = str(xs); let d = deepcopy(xs); let e = xs == ys; let o = sorted(xs, key: fn(x) => x[0]) }; total")
                ok = s.expect("\n100000\n", timeout: 60) != nil
            }
            if ok {
                s.enter("xs.append([4]); len(xs)")
                ok = s.expect("\n5\n", timeout: 15) != nil
            }
            if ok {
                s.enter("stop = true")
                s.enter("laps >= 1")
                ok = s.expect("\ntrue\n", timeout: 15) != nil
            }
            var how = "exit status 0"
            if ok {
                s.send(":quit\r")
                let status = s.waitForExit(timeout: 15)
                if status != 0 { ok = false; how = status == nil ? "did not exit" : "exit status \(status!)" }
            } else {
                how = "still running (hung)"
                var st: Int32 = 0
                for _ in 0..<30 {
                    if waitpid(s.pid, &st, WNOHANG) == s.pid {
                        how = (st & 0x7f) == 0 ? "exit status \((st >> 8) & 0xff)"
                                               : "killed by signal \(st & 0x7f) (\(RaceStressTests.signalName(st & 0x7f)))"
                        break
                    }
                    usleep(100_000)
                }
            }
            if !ok {
                died += 1
                XCTFail("session \(n + 1): the REPL did not survive the abandoned evaluation: \(how)\n\(RaceStressTests.Run.tail(s.transcript, 12))")
            }
        }
        XCTAssertEqual(died, 0, "\(died)/\(sessions) REPL sessions died")
    }
}

/// A thread-safe list of failure messages.
final class RaceFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
