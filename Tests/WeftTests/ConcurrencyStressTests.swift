// Stress tests for the concurrency runtime (§7): the scripts in Tests/Stress run
// with the built `weft` executable (found like the conformance suite finds it, or
// $WEFT_BIN — e.g. a ThreadSanitizer build) and check their own invariants,
// printing a success line this test asserts. Each finishes in about a second.
//
//   queue_stress.weft    4 producers / 4 consumers (+ cancelled extras) move
//                        100,000 items through a bounded queue with random
//                        timeouts and a final close: each item received once
//   pool_stress.weft     10,000 pool tasks, some failing, some cancelled, with
//                        callbacks and as_completed: every future resolves once
//   threads_stress.weft  1,000 spawn/join cycles, locks, rlocks and timed
//                        acquires under contention, 200 timers half cancelled

import XCTest
import Foundation

final class ConcurrencyStressTests: XCTestCase {

    static var stressRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()      // Tests/WeftTests
            .deletingLastPathComponent()      // Tests
            .appendingPathComponent("Stress", isDirectory: true)
    }

    /// Runs one stress script; returns its stdout after checking it exited 0
    /// and printed `expect`.
    @discardableResult
    func runStress(_ name: String, expect: [String], repeat times: Int = 1,
                   file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let weft = ConformanceTests.findWeft() else {
            XCTFail("cannot find the weft executable: build it first (swift build) or set WEFT_BIN", file: file, line: line)
            return ""
        }
        let script = Self.stressRoot.appendingPathComponent(name)
        var last = ""
        for _ in 0..<times {
            let r = ConformanceTests.run(weft: weft, script: script, timeout: 120)
            XCTAssertNil(r.launchError, file: file, line: line)
            XCTAssertFalse(r.timedOut, "\(name) timed out\n\(r.stdout)\n\(r.stderr)", file: file, line: line)
            XCTAssertFalse(r.signalled, "\(name) crashed\n\(r.stderr)", file: file, line: line)
            XCTAssertEqual(r.status, 0, "\(name) failed:\n\(r.stdout)\n\(r.stderr)", file: file, line: line)
            for e in expect {
                XCTAssertTrue(r.stdout.contains(e), "\(name): missing \"\(e)\" in output:\n\(r.stdout)\n\(r.stderr)",
                              file: file, line: line)
            }
            XCTAssertFalse(r.stdout.contains("FAILED"), "\(name):\n\(r.stdout)", file: file, line: line)
            last = r.stdout
        }
        return last
    }

    func testQueueItemsReceivedExactlyOnce() throws {
        try runStress("queue_stress.weft", expect: ["stress ok: every item received exactly once"], repeat: 3)
    }

    func testPoolFuturesAllResolve() throws {
        try runStress("pool_stress.weft", expect: ["pool stress ok", "map first error: task 7", "12497500", "cancel race ok"])
    }

    func testSpawnJoinLocksTimers() throws {
        try runStress("threads_stress.weft", expect: [
            "spawn/join 500500", "lock counter 80000", "rlock counter 20000",
            "timed counter 20000", "timers 0 100", "threads stress ok",
        ])
    }
}
