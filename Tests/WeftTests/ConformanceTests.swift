// Conformance suite runner.
//
// Every `*.weft` file under Tests/Conformance (except inside folders named `modules`,
// which hold helper modules for the import tests) is a test script. Beside it:
//   <name>.out     the exact expected stdout (required; may be empty)
//   <name>.status  the expected exit status when it is not 0
//   <name>.err     optional; every non-empty line must occur somewhere in stderr
//
// Each script is run with the built `weft` executable, with the script's folder as the
// working directory and the bare file name as its argument, so positions in messages read
// `name.weft:LINE:COL`. Environment knobs:
//   WEFT_BIN                  path of the weft executable to test (default: found next to
//                             the test bundle, or in .build/{debug,release})
//   WEFT_CONFORMANCE_FILTER   only run scripts whose relative path contains this substring
//   WEFT_CONFORMANCE_SKIP     skip scripts whose relative path contains any of these
//                             comma-separated substrings (CI's collector-stress run skips
//                             scripts too large to collect at every safepoint)
//   WEFT_CONFORMANCE_JOBS     how many scripts run at once (default 4)
//   WEFT_CONFORMANCE_TIMEOUT  seconds per script (default 30)

import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class ConformanceTests: XCTestCase {

    // MARK: - Locations

    /// Tests/Conformance, found from this source file's path.
    static var conformanceRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()      // Tests/WeftTests
            .deletingLastPathComponent()      // Tests
            .appendingPathComponent("Conformance", isDirectory: true)
    }

    /// The package root (the folder holding Package.swift).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static func isExecutableFile(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        let fm = FileManager.default
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { return false }
        return fm.isExecutableFile(atPath: url.path)
    }

    /// Locates the `weft` executable: $WEFT_BIN, else a file named `weft` in a folder at or
    /// above the test bundle / test process, else .build/{debug,release}/weft.
    static func findWeft() -> URL? {
        let env = ProcessInfo.processInfo.environment
        if let bin = env["WEFT_BIN"], !bin.isEmpty {
            let url = URL(fileURLWithPath: bin)
            return isExecutableFile(url) ? url : nil
        }
        var starts: [URL] = []
        starts.append(Bundle(for: ConformanceTests.self).bundleURL)
        starts.append(Bundle.main.bundleURL)
        if let arg0 = CommandLine.arguments.first, !arg0.isEmpty {
            starts.append(URL(fileURLWithPath: arg0).resolvingSymlinksInPath())
        }
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("weft")
                if isExecutableFile(candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        for config in ["debug", "release"] {
            let candidate = packageRoot.appendingPathComponent(".build/\(config)/weft")
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// Every test script, sorted, as paths relative to the conformance root.
    static func discoverScripts(filter: String?) -> [String] {
        let root = conformanceRoot.resolvingSymlinksInPath().standardizedFileURL
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        guard let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
        else { return [] }
        var found: [String] = []
        for case let url as URL in walker {
            let isDir = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
            if isDir {
                if url.lastPathComponent == "modules" { walker.skipDescendants() }
                continue
            }
            guard url.pathExtension == "weft" else { continue }
            var path = url.resolvingSymlinksInPath().standardizedFileURL.path
            if path.hasPrefix(rootPath) { path = String(path.dropFirst(rootPath.count)) }
            if let filter = filter, !filter.isEmpty, !path.contains(filter) { continue }
            found.append(path)
        }
        return found.sorted()
    }

    // MARK: - Running one script

    struct RunResult {
        var stdout: String
        var stderr: String
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var launchError: String?
    }

    static func run(weft: URL, script: URL, timeout: TimeInterval) -> RunResult {
        let fm = FileManager.default
        let tmp = fm.temporaryDirectory.appendingPathComponent("weft-conformance-\(UUID().uuidString)")
        try? fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: tmp) }
        // Output goes to files, not pipes, so a chatty script can never block on a full pipe.
        let outURL = tmp.appendingPathComponent("stdout")
        let errURL = tmp.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)

        var result = RunResult(stdout: "", stderr: "", status: -1, signalled: false, timedOut: false, launchError: nil)
        guard let outHandle = try? FileHandle(forWritingTo: outURL),
              let errHandle = try? FileHandle(forWritingTo: errURL) else {
            result.launchError = "cannot create temporary output files in \(tmp.path)"
            return result
        }

        let process = Process()
        process.executableURL = weft
        process.arguments = [script.lastPathComponent]
        process.currentDirectoryURL = script.deletingLastPathComponent()
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            try? outHandle.close()
            try? errHandle.close()
            result.launchError = "cannot launch \(weft.path): \(error)"
            return result
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            result.timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = finished.wait(timeout: .now() + 5)
            }
        }
        try? outHandle.close()
        try? errHandle.close()

        result.stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        result.stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        if !process.isRunning {
            result.status = process.terminationStatus
            result.signalled = process.terminationReason == .uncaughtSignal
        }
        return result
    }

    // MARK: - Checking

    /// Compares one script's run with its expectation files; returns the problems found.
    static func check(script: URL, relativePath: String, weft: URL, timeout: TimeInterval) -> [String] {
        let base = script.deletingPathExtension()
        let outURL = base.appendingPathExtension("out")
        let statusURL = base.appendingPathExtension("status")
        let errURL = base.appendingPathExtension("err")

        guard let expectedOut = try? String(contentsOf: outURL, encoding: .utf8) else {
            return ["missing or unreadable expectation file \(outURL.lastPathComponent)"]
        }
        var expectedStatus: Int32 = 0
        if let text = try? String(contentsOf: statusURL, encoding: .utf8) {
            guard let n = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                return ["\(statusURL.lastPathComponent) does not hold an integer"]
            }
            expectedStatus = n
        }
        var expectedErr: [String] = []
        if let text = try? String(contentsOf: errURL, encoding: .utf8) {
            expectedErr = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }

        let r = run(weft: weft, script: script, timeout: timeout)
        if let launchError = r.launchError { return [launchError] }

        var problems: [String] = []
        if r.timedOut {
            problems.append("timed out after \(Int(timeout)) s (killed)")
        } else if r.signalled {
            problems.append("crashed: killed by signal \(r.status) (expected exit status \(expectedStatus))")
        } else if r.status != expectedStatus {
            problems.append("exit status \(r.status), expected \(expectedStatus)")
        }
        if r.stdout != expectedOut {
            problems.append("stdout differs (- expected, + actual):\n" + diff(expected: expectedOut, actual: r.stdout))
        }
        let missing = expectedErr.filter { !r.stderr.contains($0) }
        if !missing.isEmpty {
            problems.append("stderr lacks: " + missing.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        if !problems.isEmpty && !r.stderr.isEmpty {
            problems.append("stderr was:\n" + clip(r.stderr, lines: 15))
        }
        return problems
    }

    static func clip(_ text: String, lines limit: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var shown = lines.prefix(limit).map { "    " + $0 }
        if lines.count > limit { shown.append("    ... (\(lines.count - limit) more lines)") }
        return shown.joined(separator: "\n")
    }

    /// A small line diff (LCS based) with a few lines of context, clipped to a readable size.
    static func diff(expected: String, actual: String) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if a == b { return "    (same lines; the difference is in line endings)" }
        if a.count * b.count > 4_000_000 {
            let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? min(a.count, b.count)
            return "    first difference at line \(i + 1):\n    - \(i < a.count ? a[i] : "<end>")\n    + \(i < b.count ? b[i] : "<end>")"
        }
        // LCS table, suffix form.
        let n = a.count, m = b.count
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
                }
            }
        }
        enum Op { case same(String), del(String), add(String) }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] { ops.append(.same(a[i])); i += 1; j += 1 }
            else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) { ops.append(.del(a[i])); i += 1 }
            else { ops.append(.add(b[j])); j += 1 }
        }
        // Keep changed lines plus 2 lines of context around them.
        var keep = Array(repeating: false, count: ops.count)
        for (k, op) in ops.enumerated() {
            if case .same = op { continue }
            for c in max(0, k - 2)...min(ops.count - 1, k + 2) { keep[c] = true }
        }
        var out: [String] = []
        var skipped = false
        for (k, op) in ops.enumerated() {
            guard keep[k] else { skipped = true; continue }
            if skipped { out.append("    ..."); skipped = false }
            switch op {
            case .same(let s): out.append("      " + s)
            case .del(let s): out.append("    - " + s)
            case .add(let s): out.append("    + " + s)
            }
        }
        if out.count > 80 { out = Array(out.prefix(80)) + ["    ... (diff clipped)"] }
        return out.joined(separator: "\n")
    }

    // MARK: - The test

    func testConformance() throws {
        let env = ProcessInfo.processInfo.environment
        let filter = env["WEFT_CONFORMANCE_FILTER"]
        let jobs = max(1, Int(env["WEFT_CONFORMANCE_JOBS"] ?? "") ?? 4)
        let timeout = TimeInterval(env["WEFT_CONFORMANCE_TIMEOUT"] ?? "") ?? 30

        let skip = (env["WEFT_CONFORMANCE_SKIP"] ?? "").split(separator: ",").map(String.init)
        let scripts = Self.discoverScripts(filter: filter).filter { s in
            !skip.contains { !$0.isEmpty && s.contains($0) }
        }
        if scripts.isEmpty {
            XCTFail("no conformance scripts found under \(Self.conformanceRoot.path)"
                    + (filter.map { " matching filter \"\($0)\"" } ?? ""))
            return
        }
        guard let weft = Self.findWeft() else {
            XCTFail("cannot find the weft executable: build it first (swift build) or set WEFT_BIN"
                    + (env["WEFT_BIN"].map { " (WEFT_BIN=\($0) is not an executable file)" } ?? ""))
            return
        }

        let root = Self.conformanceRoot
        let lock = NSLock()
        var next = 0
        var failures: [(String, [String])] = []
        var passed = 0

        DispatchQueue.concurrentPerform(iterations: min(jobs, scripts.count)) { _ in
            while true {
                lock.lock()
                let index = next
                next += 1
                lock.unlock()
                if index >= scripts.count { return }
                let rel = scripts[index]
                let problems = Self.check(script: root.appendingPathComponent(rel), relativePath: rel,
                                          weft: weft, timeout: timeout)
                lock.lock()
                if problems.isEmpty { passed += 1 } else { failures.append((rel, problems)) }
                lock.unlock()
            }
        }

        failures.sort { $0.0 < $1.0 }
        for (rel, problems) in failures {
            let path = root.appendingPathComponent(rel).path
            XCTFail("\(rel) failed (\(path)):\n" + problems.map { "  " + $0 }.joined(separator: "\n"))
        }
        var summary = "conformance: \(passed) passed, \(failures.count) failed"
        if let filter = filter, !filter.isEmpty { summary += " (filter \"\(filter)\")" }
        print(summary)
        if !failures.isEmpty {
            print("failed scripts:\n" + failures.map { "  " + $0.0 }.joined(separator: "\n"))
        }
    }
}
