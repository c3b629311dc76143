import XCTest
import Foundation

/// The `weft` command line (§9): options, exit statuses, stdin scripts.
final class CLITests: XCTestCase {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    func weft(_ args: [String], stdin: String = "", cwd: URL? = nil) throws -> Outcome {
        guard let bin = ConformanceTests.findWeft() else { throw XCTSkip("weft binary not built") }
        let p = Process()
        p.executableURL = bin
        p.arguments = args
        if let cwd = cwd { p.currentDirectoryURL = cwd }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        let input = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = input; p.standardOutput = out; p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(stdin.data(using: .utf8)!)
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                       stderr: String(decoding: e, as: UTF8.self))
    }

    func tempFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString).weft")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testVersionHelpAndUsageErrors() throws {
        let v = try weft(["--version"])
        XCTAssertEqual(v.status, 0)
        XCTAssertTrue(v.stdout.hasPrefix("weft "))
        XCTAssertEqual(try weft(["--help"]).status, 0)
        let bad = try weft(["--no-such-option"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("unknown option"))
        XCTAssertEqual(try weft(["-e"]).status, 2)
    }

    func testEvalStdinAndArguments() throws {
        XCTAssertEqual(try weft(["-e", "print(1 + 2)"]).stdout, "3\n")
        XCTAssertEqual(try weft([], stdin: "print(\"from stdin\")\n").stdout, "from stdin\n")
        let failing = try weft(["-e", "let m = {}\nm[\"missing\"]"])
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.stderr.contains("error: KeyError: \"missing\" not in map"))
        XCTAssertTrue(failing.stderr.contains("at <main> (<-e>:2:"))
    }

    func testCheckReportsEverySyntaxErrorAndRunsNothing() throws {
        let file = try tempFile("print(\"ran\")\nlet a = = 1\nlet b = 2\nfn f( { }\nlet c = .5\n")
        let r = try weft(["--check", file.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        for line in [2, 4, 5] {
            XCTAssertTrue(r.stderr.contains(":\(line):"), "line \(line) not reported:\n\(r.stderr)")
        }
        XCTAssertTrue(r.stderr.contains("syntax error:"))
        let ok = try tempFile("print(1)\n")
        XCTAssertEqual(try weft(["--check", ok.path]).status, 0)
    }

    func testCheckOutputIsBoundedForALineOfBadEscapes() throws {
        // 20 KB of bad escapes on one line: 10,000 issues, but the report shows 20,
        // each with an excerpt of the line, then a count of the rest.
        let file = try tempFile("let s = \"" + String(repeating: "\\q", count: 10_000) + "\"\nprint(\"ran\")\n")
        let r = try weft(["--check", file.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertLessThan(r.stderr.utf8.count, 10_000)
        XCTAssertEqual(r.stderr.components(separatedBy: ": syntax error: unknown escape sequence").count - 1, 20)
        XCTAssertTrue(r.stderr.hasSuffix("... and 9980 more errors\n"))
        let run = try weft([file.path])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stdout, "")
        XCTAssertLessThan(run.stderr.utf8.count, 10_000)
    }

    func testLongChainsAndDeepNestingFromTheCommandLine() throws {
        let chain = try tempFile("print(" + Array(repeating: "1", count: 40_000).joined(separator: " + ") + ")\n")
        XCTAssertEqual(try weft([chain.path]).stdout, "40000\n")
        XCTAssertEqual(try weft(["--check", chain.path]).status, 0)
        let deep = try tempFile("print(" + String(repeating: "(", count: 50_000) + ")\n")
        let r = try weft(["--check", deep.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(":1:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("syntax error: expression nested too deeply"), r.stderr)
        XCTAssertLessThan(r.stderr.utf8.count, 2_000)
    }

    func testMaxDepthRaisesRecursionError() throws {
        let script = "fn d(n) { return d(n + 1) }\ntry { d(0) } catch e: RecursionError { print(\"limit\") }\n"
        let r = try weft(["--max-depth", "50", "-e", script])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "limit\n")
    }

    func testInstructionAndTimeBudgets() throws {
        let r = try weft(["--max-instructions", "100000", "-e", "spawn(fn() { while true {} })\nwhile true {}"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("LimitError: instruction budget of 100000 exceeded"), r.stderr)
        let t = try weft(["--max-time", "0.2", "-e", "sleep(30)"])
        XCTAssertEqual(t.status, 1)
        XCTAssertTrue(t.stderr.contains("LimitError: wall time limit of 0.2 s exceeded"), t.stderr)
        XCTAssertEqual(try weft(["--max-instructions", "100000", "-e", "print(sum(0..<100))"]).stdout, "4950\n")
        let m = try weft(["--max-memory", "16M", "-e", "var keep = []\nwhile true { keep.append([1, 2]) }"])
        XCTAssertEqual(m.status, 1)
        XCTAssertTrue(m.stderr.contains("MemoryError: memory budget of 16777216 bytes exceeded"), m.stderr)
        XCTAssertEqual(try weft(["--max-memory", "64k", "-e", "print(len([i for i in 0..<100]))"]).stdout, "100\n")
        for bad in [["--max-instructions", "0"], ["--max-time", "-1"], ["--max-time", "x"],
                    ["--max-memory", "0"], ["--max-memory", "12Q"], ["--max-memory", "99999999999G"]] {
            XCTAssertEqual(try weft(bad + ["-e", "1"]).status, 2, "\(bad)")
        }
    }

    func testMaxDepthOutOfRangeIsAUsageError() throws {
        for bad in ["0", "-5", "1000001", "1000000000", "9223372036854775807", "99999999999999999999", "x"] {
            let r = try weft(["--max-depth", bad, "-e", "print(1)"])
            XCTAssertEqual(r.status, 2, "--max-depth \(bad)")
            XCTAssertEqual(r.stdout, "", "--max-depth \(bad)")
            XCTAssertTrue(r.stderr.contains("--max-depth needs a number from 1 to 1000000"), r.stderr)
        }
    }

    func testLargestMaxDepthStartsAtOnceAndRecursesSafely() throws {
        // Frames are reserved, not allocated: a million-frame limit costs nothing
        // up front; deep script recursion and deep native re-entry (to_str calling
        // str, a sorted key sorting) end in RecursionError, never a crash.
        let script = """
        print(1)
        fn c(n) { return n == 0 ? 0 : 1 + c(n - 1) }
        print(c(60000))
        fn d(n) { return d(n + 1) }
        try { d(0) } catch e: RecursionError { print("script", e.message) }
        class A { fn to_str() { return str(A()) } }
        try { print(A()) } catch e: RecursionError { print("native") }
        fn s(n) { return sorted([1, 2], key: fn(x) => s(n + 1)) }
        try { s(0) } catch e: RecursionError { print("native") }
        let t = Thread(target: fn() { try { print(A()) } catch e: RecursionError { print("thread native") } })
        t.start(); t.join()
        """
        for depth in ["100000", "1000000"] {
            let r = try weft(["--max-depth", depth, "-e", script])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "1\n60000\nscript maximum call depth exceeded\nnative\nnative\nthread native\n")
        }
    }

    func testDisassemblyListsEveryFunction() throws {
        let file = try tempFile("fn add(a, b) { return a + b }\nprint(add(1, 2))\n")
        let r = try weft(["--dis", file.path])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("== <main>"))
        XCTAssertTrue(r.stdout.contains("== add"))
        XCTAssertTrue(r.stdout.contains("ret"))
    }

    func testScriptArgumentsAreNotOptions() throws {
        let file = try tempFile("print(\"ok\")\n")
        XCTAssertEqual(try weft([file.path, "--version", "-e"]).stdout, "ok\n")
    }
}
