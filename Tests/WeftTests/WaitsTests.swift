// Waits and thread starts (§7, issue 7): a Condition re-taking its lock is an
// ordinary blocking wait (interruptible, shown by `:threads`), the lock
// wait-for graph is per interpreter, and running out of threads is a
// RuntimeError in the script, never a crash. The conformance scripts
// (concurrency_sync/condition_*, timeouts*, imports/thread_*) cover the rest.
// No timed assertions: every wait polls for a state, with a generous limit
// that only matters when the test is about to fail.

import XCTest
import Foundation
@testable import Weft

final class WaitsTests: XCTestCase {

    /// Runs `source` on a background thread; `result()` waits for its outcome.
    final class Background: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var outcome: Result<Value, Error> = .success(.nil)

        init(_ interp: Interpreter, _ source: String) {
            Thread.detachNewThread { [self] in
                do { outcome = .success(try interp.eval(source)) } catch { outcome = .failure(error) }
                done.signal()
            }
        }

        func result() -> Result<Value, Error> {
            _ = done.wait(timeout: .now() + 60)
            return outcome
        }
    }

    /// Polls until `cond()` holds (false after `limit` seconds).
    func eventually(_ limit: Double = 30, _ cond: () -> Bool) -> Bool {
        let end = Date(timeIntervalSinceNow: limit)
        while Date() < end {
            if cond() { return true }
            usleep(5_000)
        }
        return cond()
    }

    func text(_ r: Result<Value, Error>) -> String {
        switch r {
        case .success(let v):
            if let s = try? v.as(String.self) { return s }
            return "\(v)"
        case .failure(let e as ScriptError): return "\(e.kind): \(e.message)"
        case .failure(let e): return "\(e)"
        }
    }

    /// Thread idents are numbered per interpreter, so the lock wait-for graph must
    /// be too: interpreter A's main thread (ident 1) waiting for a lock held by
    /// its thread-1 (ident 2) must not make interpreter B's thread-1 (ident 2),
    /// acquiring a lock B's main thread holds, see a cycle.
    func testLockWaitForGraphIsPerInterpreter() throws {
        let a = Interpreter(options: .init(capabilities: [.threads]))
        let b = Interpreter(options: .init(capabilities: [.threads]))
        let runA = Background(a, """
            var stop = false
            let p = lock()
            let held = event()
            let t = spawn(fn() { with p { held.set(); while not stop { sleep(0.01) } } })
            held.wait()
            p.acquire()
            p.release()
            join(t)
            "a done"
            """)
        XCTAssertTrue(eventually { a.threadSummaries().contains { $0.hasPrefix("main [blocked on Lock#") } },
                      "\(a.threadSummaries())")
        let runB = Background(b, """
            var go = false
            let q = lock()
            q.acquire()
            let t = spawn(fn() {
              try { q.acquire(); q.release(); return "no cycle" } catch e: DeadlockError { return "false cycle: " + str(e) }
            })
            while not go { sleep(0.01) }
            q.release()
            join(t)
            """)
        let blocked = eventually { b.threadSummaries().contains { $0.hasPrefix("thread-1 [blocked on Lock#") } }
        b["go"] = .bool(true)
        XCTAssertEqual(text(runB.result()), "no cycle")
        XCTAssertTrue(blocked)
        a["stop"] = .bool(true)
        XCTAssertEqual(text(runA.result()), "a done")
    }

    /// Condition.wait re-taking its lock shows in `:threads` and is interrupted
    /// by Ctrl-C; the with-statement's exit then releases nothing (no
    /// RuntimeError about an RLock owned by another thread).
    func testReacquireIsVisibleAndInterruptible() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        let run = Background(interp, """
            var stop = false
            let cv = condition()
            var t = nil
            var r = "not interrupted"
            try {
              with cv {
                t = spawn(fn() { with cv { cv.notify(); while not stop { sleep(0.01) } } })
                cv.wait()
              }
            } catch e: Interrupted {
              r = "Interrupted"
            }
            r
            """)
        var lines: [String] = []
        let seen = eventually {
            lines = interp.threadSummaries()
            return lines.contains { $0.hasPrefix("main [blocked on RLock#") && $0.contains("(to return from Condition#") }
        }
        XCTAssertTrue(seen, "\(lines)")
        interp.interrupt()
        XCTAssertEqual(text(run.result()), "Interrupted")
        // The lock is still the other thread's; once it lets go, the condition works.
        interp["stop"] = .bool(true)
        XCTAssertEqual(text(Result { try interp.eval("join(t)\nwith cv { cv.notify() }\n\"ok\"") }), "ok")
        XCTAssertNoThrow(try interp.waitForThreads())
    }

    /// Uncaught in the evaluation: the report is the Interrupted, not a
    /// RuntimeError from the with-statement's exit.
    func testInterruptedReacquireUncaught() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        let run = Background(interp, """
            var stop = false
            let cv = condition(lock())
            var t = nil
            with cv {
              t = spawn(fn() { with cv { cv.notify(); while not stop { sleep(0.01) } } })
              cv.wait()
            }
            """)
        XCTAssertTrue(eventually { interp.threadSummaries().contains { $0.contains("(to return from Condition#") } })
        interp.interrupt()
        XCTAssertEqual(text(run.result()), "Interrupted: interrupted")
        interp["stop"] = .bool(true)
        XCTAssertNoThrow(try interp.waitForThreads())
    }

    // MARK: - Running out of threads

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    /// Runs the weft executable on `script` through /bin/sh, after `prelude`
    /// (e.g. a ulimit), with `env` added to the environment.
    func weft(_ script: String, prelude: String = "", env: [String: String] = [:]) throws -> Run {
        guard let bin = ConformanceTests.findWeft() else { throw XCTSkip("weft binary not built") }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("waits-\(UUID().uuidString).weft")
        try script.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\(prelude)\nexec \"$0\" \"$1\"", bin.path, url.path]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                   stderr: String(decoding: e, as: UTF8.self))
    }

    /// Spawns until the system refuses, then joins them all.
    static let spawnUntilFailure = """
        let go = event()
        let ts = []
        var err = nil
        while len(ts) < 2000 {
          try {
            ts.append(spawn(fn() { go.wait() }))
          } catch e: RuntimeError {
            err = e
            break
          }
        }
        print(err)
        print(len(active_threads()) == len(ts) + 1)
        go.set()
        for t in ts { join(t) }
        print(len(active_threads()))
        let p = pool(workers: 2)
        print(p.map(fn(x) { return x + 1 }, [1, 2, 3]))
        p.shutdown()
        print("done")
        """

    /// Address space runs out (each thread reserves a 256 MB stack): the stack
    /// reservation or pthread_create fails, which is RuntimeError in the script.
    func testAddressSpaceExhaustionRaisesRuntimeError() throws {
        if ProcessInfo.processInfo.environment["WEFT_BIN"] != nil {
            throw XCTSkip("WEFT_BIN may be a sanitizer build, whose shadow memory does not fit under ulimit -v")
        }
        let r = try weft(Self.spawnUntilFailure, prelude: "ulimit -v 6000000")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "RuntimeError: can't start new thread\ntrue\n1\n[2, 3, 4]\ndone\n", r.stderr)
    }

    /// The live-thread limit (WEFT_MAX_THREADS here; by default derived from
    /// vm.max_map_count): spawn, Thread.start, after and pool workers all
    /// handle a refused start.
    func testThreadLimit() throws {
        let r = try weft(Self.spawnUntilFailure, env: ["WEFT_MAX_THREADS": "20"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "RuntimeError: can't start new thread\ntrue\n1\n[2, 3, 4]\ndone\n", r.stderr)

        let r2 = try weft("""
            let go = event()
            let a = spawn(fn() { go.wait(); return "a" })
            let b = spawn(fn() { go.wait(); return "b" })
            try { spawn(fn() { print("never") }) } catch e: RuntimeError { print("spawn:", e) }
            try { after(0.01, fn() { print("never") }) } catch e: RuntimeError { print("after:", e) }
            let t = Thread(target: fn() { return "c" })
            try { t.start() } catch e: RuntimeError { print("start:", e) }
            print(t.is_alive(), len(active_threads()))
            # A pool that cannot start any worker fails its tasks instead of hanging.
            let p = pool(workers: 2)
            let f = p.submit(fn() { return 1 })
            try { f.result() } catch e: RuntimeError { print("future:", e) }
            try { p.map(fn(x) { return x }, [1, 2]) } catch e: RuntimeError { print("map:", e) }
            p.shutdown()
            go.set()
            print(join([a, b]))
            # The refused thread can start later; a pool with fewer workers than
            # asked for still runs every task.
            t.start()
            print(join(t))
            let go2 = event()
            let c = spawn(fn() { go2.wait() })
            let p2 = pool(workers: 4)
            print(p2.map(fn(x) { return x * x }, range(6)))
            p2.shutdown()
            go2.set()
            join(c)
            print("done")
            """, env: ["WEFT_MAX_THREADS": "2"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(r2.stdout, """
            spawn: RuntimeError: can't start new thread
            after: RuntimeError: can't start new thread
            start: RuntimeError: can't start new thread
            false 3
            future: RuntimeError: can't start new thread
            map: RuntimeError: can't start new thread
            ["a", "b"]
            c
            [0, 1, 4, 9, 16, 25]
            done

            """, r2.stderr)
    }
}
