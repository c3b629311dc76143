// Host threads calling into one interpreter at once (LockingSwitch.swift): each call
// runs as its own script thread, and the locking switch turns on before two of them
// can touch the same objects.
import XCTest
import Foundation
@testable import Weft

final class HostThreadsTests: XCTestCase {
    /// Runs `body(i)` on `n` threads at once and waits for all.
    private func concurrently(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<n {
            group.enter()
            let t = Thread { body(i); group.leave() }
            t.stackSize = 1 << 20
            t.start()
        }
        group.wait()
    }

    func testConcurrentCallsShareOneListWithoutLosingItems() throws {
        let interp = Interpreter()
        interp.output = { _ in }
        try interp.eval("""
            let xs = []
            fn work(n, tag) {
              for i in range(n) { xs.append([tag, i]) }
              return len(xs)
            }
            """)
        let work = try XCTUnwrap(interp["work"])
        let failures = Failures()
        concurrently(4) { tag in
            for round in 0..<10 {
                do { _ = try interp.call(work, [.int(500), .int(tag * 100 + round)]) }
                catch { failures.add("\(error)") }
            }
        }
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(try interp.eval("len(xs)").description, "20000")
        // Every (tag, i) pair is there exactly once.
        XCTAssertEqual(try interp.eval("len({str(p): true for p in xs})").description, "20000")
    }

    func testSecondEvaluationWhileFirstStillRuns() throws {
        let interp = Interpreter()
        interp.output = { _ in }
        try interp.eval("var stop = false\nlet m = {}")
        let firstDone = DispatchSemaphore(value: 0)
        let first = Thread {
            // Spins (touching a shared map) until the second evaluation sets `stop`.
            _ = try? interp.eval("var i = 0\nwhile not stop { m[i % 10] = i; i += 1 }")
            firstDone.signal()
        }
        first.stackSize = 1 << 20
        first.start()
        Thread.sleep(forTimeInterval: 0.05)
        // Runs as a thread of its own while the first evaluation is inside its loop;
        // both touch `m`.
        XCTAssertEqual(try interp.eval("current_thread().name").description, "host-1")
        XCTAssertEqual(try interp.eval("for k in 0..<10 { m[k + 100] = k }\nstop = true\nlen(m) >= 10").description, "true")
        XCTAssertEqual(firstDone.wait(timeout: .now() + 10), .success)
        // The first evaluation has ended, so the next one runs as the main thread again.
        XCTAssertEqual(try interp.eval("current_thread().name").description, "main")
    }
}

/// A thread-safe list of failure messages.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
