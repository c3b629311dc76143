// Example scripts runner.
//
// Every `Scripts/examples/*.weft` is run with the built `weft` executable (found the way
// the conformance suite finds it: $WEFT_BIN, next to the test bundle, or .build/*/weft),
// with Scripts/examples as the working directory, and its stdout must equal the
// `NAME.out` file beside it; the exit status must be 0. Stderr is only shown on failure.
// Lines of output that start with "~ " are left out of the comparison (and do not belong
// in the .out file): examples print measurements such as a parallel speed-up that way.
//
// The scripts run one at a time: some of them compare timings (a parallel speed-up,
// start-all-then-join-all vs one-at-a-time), which other scripts running at the same
// moment would disturb. Environment knobs:
//   WEFT_BIN                 the weft executable to test
//   WEFT_EXAMPLES_FILTER     only run examples whose file name contains this substring
//   WEFT_EXAMPLES_TIMEOUT    seconds per example (default 60)

import XCTest
import Foundation

final class ExamplesTests: XCTestCase {

    /// Scripts/examples, found from this source file's path.
    static var examplesRoot: URL {
        ConformanceTests.packageRoot
            .appendingPathComponent("Scripts", isDirectory: true)
            .appendingPathComponent("examples", isDirectory: true)
    }

    /// Every example script, sorted by file name.
    static func discoverExamples(filter: String?) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: examplesRoot.path)) ?? []
        return names
            .filter { $0.hasSuffix(".weft") }
            .filter { name in filter.map { $0.isEmpty || name.contains($0) } ?? true }
            .sorted()
            .map { examplesRoot.appendingPathComponent($0) }
    }

    /// The output without its "~ " lines (run-dependent measurements).
    static func withoutMeasurements(_ text: String) -> String {
        guard text.contains("~ ") else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("~ ") }
            .joined(separator: "\n")
    }

    /// Every example has its expected-output file, and every `.out` has its script.
    func testEveryExampleHasExpectedOutput() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.examplesRoot.path)
        let scripts = Set(names.filter { $0.hasSuffix(".weft") }.map { String($0.dropLast(5)) })
        let outs = Set(names.filter { $0.hasSuffix(".out") }.map { String($0.dropLast(4)) })
        XCTAssertFalse(scripts.isEmpty, "no examples found in \(Self.examplesRoot.path)")
        for name in scripts.subtracting(outs).sorted() {
            XCTFail("Scripts/examples/\(name).weft has no \(name).out")
        }
        for name in outs.subtracting(scripts).sorted() {
            XCTFail("Scripts/examples/\(name).out has no \(name).weft")
        }
    }

    func testExamples() throws {
        let env = ProcessInfo.processInfo.environment
        let filter = env["WEFT_EXAMPLES_FILTER"]
        let timeout = TimeInterval(env["WEFT_EXAMPLES_TIMEOUT"] ?? "") ?? 60

        let scripts = Self.discoverExamples(filter: filter)
        if scripts.isEmpty {
            XCTFail("no example scripts found under \(Self.examplesRoot.path)"
                    + (filter.map { " matching filter \"\($0)\"" } ?? ""))
            return
        }
        guard let weft = ConformanceTests.findWeft() else {
            XCTFail("cannot find the weft executable: build it first (swift build) or set WEFT_BIN")
            return
        }

        var passed = 0
        var failed: [String] = []
        for script in scripts {
            let name = script.lastPathComponent
            let outURL = script.deletingPathExtension().appendingPathExtension("out")
            guard let expected = try? String(contentsOf: outURL, encoding: .utf8) else {
                XCTFail("\(name): missing or unreadable \(outURL.lastPathComponent)")
                failed.append(name)
                continue
            }
            let r = ConformanceTests.run(weft: weft, script: script, timeout: timeout)
            var problems: [String] = []
            if let launchError = r.launchError {
                problems.append(launchError)
            } else {
                if r.timedOut {
                    problems.append("timed out after \(Int(timeout)) s (killed)")
                } else if r.signalled {
                    problems.append("crashed: killed by signal \(r.status)")
                } else if r.status != 0 {
                    problems.append("exit status \(r.status), expected 0")
                }
                let actual = Self.withoutMeasurements(r.stdout)
                if actual != expected {
                    problems.append("stdout differs (- expected, + actual):\n"
                                    + ConformanceTests.diff(expected: expected, actual: actual))
                }
                if !problems.isEmpty && !r.stderr.isEmpty {
                    problems.append("stderr was:\n" + ConformanceTests.clip(r.stderr, lines: 15))
                }
            }
            if problems.isEmpty {
                passed += 1
            } else {
                failed.append(name)
                XCTFail("Scripts/examples/\(name) failed:\n" + problems.map { "  " + $0 }.joined(separator: "\n"))
            }
        }
        print("examples: \(passed) passed, \(failed.count) failed"
              + (failed.isEmpty ? "" : " (" + failed.joined(separator: ", ") + ")"))
    }
}
