// The I/O modules through the library API: the capability gate (§11: an
// embedded interpreter starts with none), `os` and `fs` cases that need setup
// from Swift (arguments, cancellation from the host, file-system states).
import XCTest
import Foundation
@testable import Weft

final class IOTests: XCTestCase {
    /// Evaluates `source` and returns what it printed.
    @discardableResult
    private func run(_ source: String, _ caps: Interpreter.Capabilities = .all,
                     args: [String] = [], file: String = "<eval>") throws -> String {
        let interp = Interpreter(options: .init(capabilities: caps))
        interp.arguments = args
        var out = ""
        let lock = NSLock()
        interp.output = { s in lock.lock(); out += s; lock.unlock() }
        try interp.eval(source, file: file)
        lock.lock(); defer { lock.unlock() }
        return out
    }

    /// The error a script raises (kind and message), or nil.
    private func error(_ source: String, _ caps: Interpreter.Capabilities = .all) -> ScriptError? {
        do { try run(source, caps); return nil }
        catch let e as ScriptError { return e }
        catch { XCTFail("unexpected \(error)"); return nil }
    }

    private func assertDenied(_ source: String, _ caps: Interpreter.Capabilities, _ message: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        guard let e = error(source, caps) else {
            return XCTFail("no error from \(source)", file: file, line: line)
        }
        XCTAssertEqual(e.kind, "PermissionError", source, file: file, line: line)
        XCTAssertEqual(e.message, message, source, file: file, line: line)
    }

    private func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "weft-io-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    // MARK: - Capabilities

    func testDefaultOptionsGrantNothing() {
        XCTAssertEqual(Interpreter().capabilities, [])
        XCTAssertEqual(Interpreter(options: .init(capabilities: .all)).capabilities, .all)
        XCTAssertEqual(Interpreter.Capabilities.all.description,
                       "[fileRead, fileWrite, network, subprocess, environment, threads]")
        XCTAssertEqual(Interpreter.Capabilities.fileRead.description, "fileRead")
    }

    func testOSDenials() {
        assertDenied("import os\nos.env(\"HOME\")", [], "environment is not granted (os.env)")
        assertDenied("import os\nos.environ()", [.fileRead, .fileWrite, .subprocess], "environment is not granted (os.environ)")
        assertDenied("import os\nos.cwd()", [.fileRead], "environment is not granted (os.cwd)")
        assertDenied("import os\nos.chdir(\"/\")", [.fileRead, .fileWrite], "environment is not granted (os.chdir)")
        assertDenied("import os\nos.run([\"true\"])", [.environment], "subprocess is not granted (os.run)")
    }

    func testDenialIsCatchableAsPermissionError() throws {
        let out = try run("""
            import os
            try { os.env("HOME") } catch e: PermissionError { print("denied:", e.message) }
            """, [])
        XCTAssertEqual(out, "denied: environment is not granted (os.env)\n")
    }

    func testOSNeedsNoCapabilityForArgsPidCpuCount() throws {
        let out = try run("""
            import os
            print(os.args, os.script, os.pid() > 0, os.cpu_count() >= 1)
            """, [], args: ["one", "two"])
        XCTAssertEqual(out, "[\"one\", \"two\"] nil true true\n")
    }

    func testGrantedCapabilitiesAllowTheCall() throws {
        XCTAssertEqual(try run("import os\nprint(os.run([\"echo\", \"ok\"])[\"stdout\"], end: \"\")", [.subprocess]), "ok\n")
        XCTAssertEqual(try run("import os\nprint(os.env(\"WEFT_SURELY_UNSET_VAR\", default: 7))", [.environment]), "7\n")
    }

    // MARK: - os

    func testOSScriptIsThePathRun() throws {
        let d = try tempDir()
        let path = d + "/s.weft"
        try "import os\nprint(os.script, os.args)".write(toFile: path, atomically: true, encoding: .utf8)
        let interp = Interpreter()
        var out = ""
        interp.output = { out += $0 }
        interp.arguments = ["x"]
        try interp.run(path: path)
        XCTAssertEqual(out, "\(path) [\"x\"]\n")
    }

    func testOSExitReachesTheHostAsExitRequest() {
        XCTAssertThrowsError(try run("import os\nos.exit(3)", [])) { e in
            XCTAssertEqual((e as? ExitRequest)?.code, 3)
        }
    }

    func testEnvironReturnsTheProcessEnvironment() throws {
        setenv("WEFT_IO_TEST_VAR", "v=1", 1)
        defer { unsetenv("WEFT_IO_TEST_VAR") }
        XCTAssertEqual(try run("import os\nprint(os.environ()[\"WEFT_IO_TEST_VAR\"], os.env(\"WEFT_IO_TEST_VAR\"))"), "v=1 v=1\n")
    }

    func testChdirChangesTheProcessDirectory() throws {
        let d = try tempDir()
        let before = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(before) }
        let real = URL(fileURLWithPath: d).resolvingSymlinksInPath().path
        XCTAssertEqual(try run("import os\nos.chdir(\"\(d)\")\nprint(os.cwd())"), real + "\n")
        let e = error("import os\nos.chdir(\"\(d)/missing\")")
        XCTAssertEqual(e?.kind, "IOError")
        XCTAssertEqual(e?.message, "cannot change directory to '\(d)/missing': No such file or directory")
    }

    func testRunCancelledByTheHostInterrupt() throws {
        let interp = Interpreter(options: .init(capabilities: .all))
        interp.output = { _ in }
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { interp.interrupt() }
        XCTAssertThrowsError(try interp.eval("import os\nos.run([\"sleep\", \"20\"])")) { e in
            XCTAssertEqual((e as? ScriptError)?.kind, "Interrupted")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testRunKillsTheChildOnTimeout() throws {
        let d = try tempDir()
        // The child would create the file after 1 s: killed at 0.2 s, it never does.
        let e = error("""
            import os
            os.run(["sh", "-c", "sleep 1; touch '\(d)/late'"], timeout: 0.2)
            """)
        XCTAssertEqual(e?.kind, "Timeout")
        Thread.sleep(forTimeInterval: 1.3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/late"))
    }

    // MARK: - fs

    func testFSDenials() throws {
        let d = try tempDir()
        try "x".write(toFile: d + "/f.txt", atomically: true, encoding: .utf8)
        let f = "\"\(d)/f.txt\""
        let reads = ["read_text(\(f))", "read_bytes(\(f))", "read_lines(\(f))", "exists(\(f))",
                     "stat(\(f))", "list_dir(\"\(d)\")", "walk(\"\(d)\")", "open(\(f))", "open(\(f), \"rb\")"]
        for call in reads {
            let name = String(call.prefix { $0 != "(" })
            assertDenied("import fs\nfs.\(call)", [.fileWrite, .network, .subprocess, .environment],
                         "fileRead is not granted (fs.\(name))")
        }
        let writes = ["write_text(\(f), \"y\")", "write_bytes(\(f), bytes(1))", "append_text(\(f), \"y\")",
                      "remove(\(f))", "mkdir(\"\(d)/n\")", "rename(\(f), \"\(d)/g\")",
                      "open(\(f), \"w\")", "open(\(f), \"a\")", "open(\"\(d)/new\", \"x\")", "open(\(f), \"wb\")"]
        for call in writes {
            let name = String(call.prefix { $0 != "(" })
            assertDenied("import fs\nfs.\(call)", [.fileRead], "fileWrite is not granted (fs.\(name))")
        }
        assertDenied("import fs\nfs.open(\(f), \"r+\")", [.fileRead], "fileWrite is not granted (fs.open)")
        assertDenied("import fs\nfs.open(\(f), \"r+\")", [.fileWrite], "fileRead is not granted (fs.open)")
        assertDenied("import fs\nfs.copy(\(f), \"\(d)/c\")", [.fileRead], "fileWrite is not granted (fs.copy)")
        assertDenied("import fs\nfs.copy(\(f), \"\(d)/c\")", [], "fileRead and fileWrite are not granted (fs.copy)")
        // Nothing was changed by the denied calls.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: d), ["f.txt"])
        XCTAssertEqual(try String(contentsOfFile: d + "/f.txt", encoding: .utf8), "x")
    }

    func testFSGrantedReadOnly() throws {
        let d = try tempDir()
        try "a\nb\n".write(toFile: d + "/f.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try run("import fs\nprint(fs.read_lines(\"\(d)/f.txt\"), fs.list_dir(\"\(d)\"))", [.fileRead]),
                       "[\"a\", \"b\"] [\"f.txt\"]\n")
    }

    func testPermissionDeniedNamesThePath() throws {
        if getuid() == 0 {
            throw XCTSkip("running as root, which ignores file permissions (the 'Not a directory' cases in Tests/Conformance/io/fs_errors.weft cover an unwritable path)")
        }
        let d = try tempDir()
        try "secret".write(toFile: d + "/locked.txt", atomically: true, encoding: .utf8)
        chmod(d + "/locked.txt", 0)
        defer { chmod(d + "/locked.txt", 0o600) }
        let e = error("import fs\nfs.read_text(\"\(d)/locked.txt\")")
        XCTAssertEqual(e?.kind, "IOError")
        XCTAssertEqual(e?.message, "cannot open '\(d)/locked.txt': Permission denied")
    }

    func testAtomicWriteKeepsModeAndWritesThroughSymlinks() throws {
        let d = try tempDir()
        let target = d + "/target.txt"
        try "old".write(toFile: target, atomically: true, encoding: .utf8)
        chmod(target, 0o640)
        try FileManager.default.createSymbolicLink(atPath: d + "/link.txt", withDestinationPath: target)
        try run("import fs\nfs.write_text(\"\(d)/link.txt\", \"new\")", [.fileWrite])
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "new")
        let attrs = try FileManager.default.attributesOfItem(atPath: target)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o640)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: d + "/link.txt"), target)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: d).sorted(), ["link.txt", "target.txt"])
    }

    func testRelativePathsResolveAgainstTheProcessDirectory() throws {
        let d = try tempDir()
        let before = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(d)
        defer { FileManager.default.changeCurrentDirectoryPath(before) }
        try run("import fs\nfs.write_text(\"rel.txt\", \"here\")", [.fileWrite])
        XCTAssertEqual(try String(contentsOfFile: d + "/rel.txt", encoding: .utf8), "here")
    }

    func testFreedFilesCloseTheirDescriptors() throws {
        let d = try tempDir()
        try "line\n".write(toFile: d + "/f.txt", atomically: true, encoding: .utf8)
        func openCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let before = openCount()
        try run("""
            import fs
            import gc
            var most = 0
            for i in 0..<300 {
                let f = fs.open("\(d)/f.txt"); f.read_line()
                most = max(most, len(fs.list_dir("/proc/self/fd")))
            }
            gc.collect()
            # Dropped files are closed by collections that their descriptors
            # trigger, long before 300 are open.
            assert(most < \(before) + 64, "descriptors piled up: " + str(most))
            """, [.fileRead])
        XCTAssertLessThanOrEqual(openCount() - before, 1)
    }
}
