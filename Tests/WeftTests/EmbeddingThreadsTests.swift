// Issue 10, phase 2: host calls without a thread per call, parallel host calls,
// async calls, cancel(), budgets, the .threads capability and narrowing, and
// independent interpreters.
import Foundation
import XCTest
@testable import Weft

final class EmbeddingThreadsTests: XCTestCase {
    private func scriptError(_ body: () throws -> Void) -> ScriptError? {
        do { try body(); return nil } catch let e as ScriptError { return e } catch { return nil }
    }

    /// Runs `body` on a new thread with a `stack`-byte stack and waits.
    private func onThread<R>(stack: Int, _ body: @escaping () -> R) -> R {
        let box = Locked<R?>(nil)
        let done = DispatchSemaphore(value: 0)
        let t = Thread { let r = body(); box.update { $0 = r }; done.signal() }
        t.stackSize = stack
        t.start()
        done.wait()
        return box.value!
    }

    // MARK: Where host calls run

    func testHostCallRunsOnTheCallersThreadWhenItsStackIsLarge() throws {
        let interp = Interpreter()
        XCTAssertGreaterThan(HostStack.remaining(), Interpreter.callerStackMinimum, "XCTest's main thread has 8 MiB")
        let before = ScriptThreadPool.shared.workers
        try interp.eval("fn f(x) => x + 1")
        for i in 0..<1000 { XCTAssertEqual(try interp.call("f", .int(i)).as(Int.self), i + 1) }
        XCTAssertEqual(ScriptThreadPool.shared.workers, before, "no pool thread was needed")
        XCTAssertEqual(try interp.eval("current_thread().name").as(String.self), "main")
    }

    func testSmallStackCallersRunOnPoolThreadsAndDeepRecursionIsSafe() throws {
        let interp = Interpreter(options: .init(maxCallDepth: 100_000))
        try interp.eval("""
            fn depth(n) { if n == 0 { return 0 }; return 1 + depth(n - 1) }
            fn nested(n) { var x = []; for i in 0..<n { x = [x] }; return str(x).count("[") }
            """)
        let r: [Int] = onThread(stack: 256 << 10) {
            XCTAssertLessThan(HostStack.remaining(), Interpreter.callerStackMinimum)
            return [(try? interp.call("depth", 50_000).as(Int.self)) ?? -1,
                    (try? interp.call("nested", 1_500).as(Int.self)) ?? -1]
        }
        XCTAssertEqual(r, [50_000, 1_501])
        XCTAssertGreaterThan(ScriptThreadPool.shared.workers, 0)
    }

    func testNativeRecursionOnTheCallersStackEndsInRecursionError() throws {
        // sorted's key re-enters the VM natively: on the caller's 8 MiB stack this
        // must become a RecursionError, never a crash.
        let interp = Interpreter(options: .init(maxCallDepth: 1_000_000))
        try interp.eval("fn down(n) => n == 0 ? 0 : sorted([1, 2], key: fn(x) => down(n - 1))[0]")
        let e = scriptError { try interp.call("down", 1_000_000) }
        XCTAssertEqual(e?.kind, "RecursionError")
        XCTAssertEqual(try interp.eval("1 + 1").as(Int.self), 2)
        // Nested containers printed and compared as deeply as the VM allows (2,000
        // levels), on the caller's stack.
        let deep = try interp.eval("""
            var x = []
            var y = []
            for i in 0..<1990 { x = [x]; y = [y] }
            [str(x).count("["), x == y]
            """)
        XCTAssertEqual(deep.description, "[1991, true]")
    }

    func testHostThreadsCallOneInterpreterInParallel() throws {
        let interp = Interpreter()
        try interp.eval("""
            fn work(n) {
              var parts = []
              for i in 0..<n { parts.append(str(i)) }
              return len("".join(parts)) + len(current_thread().name) * 0
            }
            fn me() => current_thread().name
            """)
        let expected = try interp.call("work", 2000).as(Int.self)
        let names = Locked<Set<String>>([])
        let failures = Locked<[String]>([])
        // 8 host threads: 4 with large stacks (calls run on them), 4 with small
        // ones (calls run on pool threads).
        let collectionsBefore = Heap.collections
        let group = DispatchGroup()
        for k in 0..<8 {
            group.enter()
            let t = Thread {
            defer { group.leave() }
            for _ in 0..<40 {
                do {
                    let n = try interp.call("work", 2000).as(Int.self)
                    if n != expected { failures.update { $0.append("got \(n)") } }
                    let name = try interp.call("me").as(String.self)
                    names.update { _ = $0.insert(name) }
                } catch {
                    failures.update { $0.append("\(error)") }
                }
            }
            }
            t.stackSize = k < 4 ? 16 << 20 : 256 << 10
            t.start()
        }
        group.wait()
        XCTAssertEqual(failures.value, [])
        XCTAssertTrue(names.value.contains { $0.hasPrefix("host-") }, "\(names.value)")
        XCTAssertGreaterThan(Heap.collections, collectionsBefore, "collections ran while host calls did")
        XCTAssertEqual(interp.liveThreadCount(nonDaemonOnly: false), 0)
    }

    func testAsyncEvaluateAndCall() async throws {
        let interp = Interpreter()
        let v = try await interp.evaluate("fn add(a, b) => a + b\nadd(2, 3)")
        XCTAssertEqual(try v.as(Int.self), 5)
        let w = try await interp.call("add", 4, 5)
        XCTAssertEqual(try w.as(Int.self), 9)
        do {
            try await interp.evaluate("1 / 0")
            XCTFail("no error")
        } catch let e as ScriptError {
            XCTAssertEqual(e.kind, "ZeroDivisionError")
        }
        // Many at once: none holds a cooperative thread while the script runs.
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<32 { group.addTask { try await interp.call("add", .int(i), 1).as(Int.self) } }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(sums, (1...32).reduce(0, +))
    }

    func testCallingInFromAnOutputHookIsRefusedNotADeadlock() throws {
        let interp = Interpreter()
        let seen = Locked<[String]>([])
        interp.output = { text in
            let r = (try? interp.eval("1 + 1")).map { $0.description } ?? "refused"
            seen.update { $0.append(text + r) }
        }
        try interp.eval("print(\"x\")")
        XCTAssertEqual(seen.value, ["x\nrefused"])
    }

    func testACallMadeWhileAnotherRunsHasItsOwnThreadIdentity() throws {
        let interp = Interpreter()
        let (done, _) = runInBackground(interp, "let q = queue()\nq.get()")
        // Wait until the background call is blocked (it runs as main).
        let deadline = Date().addingTimeInterval(5)
        while !interp.threadSummaries().contains(where: { $0.hasPrefix("main") && $0.contains("blocked") }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let name = try interp.eval("current_thread().name").as(String.self)
        XCTAssertTrue(name.hasPrefix("host-"), name)
        let e = scriptError { try interp.eval("1 / 0") }
        XCTAssertEqual(e?.thread.map { $0.hasPrefix("host-") }, true, "\(String(describing: e?.thread))")
        XCTAssertTrue(e?.report.contains("in thread \"host-") ?? false, e?.report ?? "")
        interp.cancel()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
    }

    // MARK: cancel()

    private func runInBackground(_ interp: Interpreter, _ source: String) -> (DispatchSemaphore, Locked<ScriptError?>) {
        let done = DispatchSemaphore(value: 0)
        let error = Locked<ScriptError?>(nil)
        Thread.detachNewThread {
            do { try interp.eval(source) } catch let e as ScriptError { error.update { $0 = e } } catch {}
            done.signal()
        }
        return (done, error)
    }

    func testCancelStopsABusyLoopAndTheThreadsItStarted() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        let (done, error) = runInBackground(interp, """
            let ts = [spawn(fn() { var i = 0; while true { i += 1 } }) for _ in 0..<3]
            var n = 0
            while true { n += 1 }
            """)
        Thread.sleep(forTimeInterval: 0.2)
        let start = Date()
        interp.cancel()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(error.value?.kind, "Cancelled")
        XCTAssertEqual(error.value?.message, "cancelled by the host")
        let deadline = Date().addingTimeInterval(5)
        while interp.liveThreadCount(nonDaemonOnly: false) > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(interp.liveThreadCount(nonDaemonOnly: false), 0)
        // The interpreter stays usable.
        XCTAssertEqual(try interp.eval("40 + 2").as(Int.self), 42)
    }

    func testCancelReachesPoolWorkersAndTimers() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        let fired = Locked(false)
        interp.output = { _ in fired.update { $0 = true } }
        try interp.eval("""
            let p = pool(2)
            let gate = queue()
            let f = p.submit(fn() => gate.get())
            let t = after(0.5, fn() => print("fired"))
            """)
        XCTAssertGreaterThan(interp.liveThreadCount(nonDaemonOnly: false), 0)
        interp.cancel()
        let deadline = Date().addingTimeInterval(5)
        while interp.liveThreadCount(nonDaemonOnly: false) > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(interp.liveThreadCount(nonDaemonOnly: false), 0, "\(interp.threadSummaries())")
        Thread.sleep(forTimeInterval: 0.7)
        XCTAssertFalse(fired.value, "the timer was cancelled")
    }

    func testAThreadStartedAfterCancelFromACatchIsCancelledToo() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.threadErrorOutput = { _ in }
        let (done, error) = runInBackground(interp, """
            let q = queue()
            try { q.get() } catch e: Cancelled { join(spawn(fn() { while true {} })) }
            """)
        Thread.sleep(forTimeInterval: 0.2)
        interp.cancel()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(error.value?.kind, "Cancelled")
        let deadline = Date().addingTimeInterval(5)
        while interp.liveThreadCount(nonDaemonOnly: false) > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(interp.liveThreadCount(nonDaemonOnly: false), 0)
    }

    func testCancelWakesABlockedWaitAtOnce() throws {
        let interp = Interpreter()
        let (done, error) = runInBackground(interp, """
            let q = queue()
            try { q.get() } catch e: Cancelled { q.get() }
            """)
        Thread.sleep(forTimeInterval: 0.2)
        interp.cancel()
        XCTAssertEqual(done.wait(timeout: .now() + 2), .success)
        XCTAssertEqual(error.value?.kind, "Cancelled")
        XCTAssertEqual(try interp.eval("1").as(Int.self), 1)
    }

    // MARK: Budgets

    func testInstructionBudgetStopsAnInfiniteLoopAndTheInterpreterStaysUsable() throws {
        let interp = Interpreter(options: .init(instructionBudget: 100_000))
        let e = scriptError { try interp.eval("var i = 0\nwhile true { try { i += 1 } catch e { } }") }
        XCTAssertEqual(e?.description, "LimitError: instruction budget of 100000 exceeded")
        // A script that catches it meets it again at once.
        let caught = scriptError { try interp.eval("while true { try { while true {} } catch e: LimitError { } }") }
        XCTAssertEqual(caught?.kind, "LimitError")
        // Each host call has its own budget.
        XCTAssertEqual(try interp.eval("var s = 0\nfor i in 0..<1000 { s += i }\ns").as(Int.self), 499_500)
        let rec = scriptError { try interp.eval("fn f(n) => f(n + 1) + 1\nf(0)") }
        XCTAssertEqual(rec?.kind, "RecursionError")
    }

    func testInstructionBudgetIsSharedByTheThreadsACallStarts() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads], instructionBudget: 200_000))
        let reports = Locked<[String]>([])
        interp.threadErrorOutput = { r in reports.update { $0.append(r) } }
        let start = Date()
        let e = scriptError {
            try interp.eval("""
                let ts = [spawn(fn() { var i = 0; while i < 150_000 { i += 1 } }) for _ in 0..<4]
                join(ts)
                """)
        }
        // Four threads of 150,000 steps each cannot all finish within 200,000.
        XCTAssertEqual(e?.kind, "LimitError", "\(String(describing: e))")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testWallTimeLimitStopsComputeAndBlockedWaits() throws {
        let interp = Interpreter(options: .init(wallTimeLimit: 0.2))
        var start = Date()
        let e1 = scriptError { try interp.eval("while true {}") }
        XCTAssertEqual(e1?.description, "LimitError: wall time limit of 0.2 s exceeded")
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        start = Date()
        let e2 = scriptError { try interp.eval("sleep(30)") }
        XCTAssertEqual(e2?.description, "LimitError: wall time limit of 0.2 s exceeded")
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertEqual(try interp.eval("2 * 21").as(Int.self), 42)
        // Nonsense limits are errors in the script, never a trap.
        for bad in [Double.nan, -1, 0, 1e300] {
            let i = Interpreter(options: .init(maxThreads: -3, instructionBudget: -5, wallTimeLimit: bad, progressInterval: -1))
            XCTAssertEqual(scriptError { try i.eval("while true {}") }?.kind, "LimitError", "\(bad)")
        }
    }

    func testOnProgressIsCalledAndMayStop() throws {
        let calls = Locked(0)
        let interp = Interpreter(options: .init(progressInterval: 10_000, onProgress: { p in
            calls.update { $0 += 1 }
            return p.instructions >= 50_000 ? .stop : .continue
        }))
        let e = scriptError { try interp.eval("while true {}") }
        XCTAssertEqual(e?.description, "LimitError: stopped by the host's progress callback")
        XCTAssertEqual(calls.value, 5)
        calls.update { $0 = 0 }
        XCTAssertEqual(try interp.eval("var s = 0\nfor i in 0..<25_000 { s += 1 }\ns").as(Int.self), 25_000)
        XCTAssertEqual(calls.value, 2)
    }

    func testMaxThreadsStopsAThreadBomb() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads], maxThreads: 5))
        let e = scriptError {
            try interp.eval("""
                let gate = queue()
                for i in 0..<100 { spawn(fn() => gate.get(), daemon: true) }
                """)
        }
        XCTAssertEqual(e?.description, "LimitError: thread limit of 5 reached")
        interp.cancel()
        let deadline = Date().addingTimeInterval(5)
        while interp.liveThreadCount(nonDaemonOnly: false) > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(try interp.eval("join(spawn(fn() => 7))").as(Int.self), 7)
    }

    // MARK: Capabilities

    func testThreadsCapability() throws {
        XCTAssertTrue(Interpreter.Capabilities.all.contains(.threads))
        let denied = Interpreter()
        for (src, fn) in [("spawn(fn() => 1)", "spawn"), ("pool(2)", "pool"), ("Thread(target: fn() => 1).start()", "Thread.start"),
                          ("after(0.01, fn() => 1)", "after")] {
            let e = scriptError { try denied.eval(src) }
            XCTAssertEqual(e?.description, "PermissionError: threads is not granted (\(fn))", src)
        }
        let granted = Interpreter(options: .init(capabilities: [.threads]))
        XCTAssertEqual(try granted.eval("join(spawn(fn() => 3))").as(Int.self), 3)
    }

    func testSpawnAndPoolsNarrowCapabilities() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-narrow-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "hi".write(to: dir.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let interp = Interpreter(options: .init(capabilities: [.threads, .fileRead]))
        interp.threadErrorOutput = { _ in }
        interp["path"] = .string(dir.appendingPathComponent("a.txt").path)
        let r = try interp.eval("""
            import fs
            fn read() {
              try { return fs.read_text(path) } catch e: PermissionError { return str(e) }
            }
            let p = pool(2, capabilities: [])
            [join(spawn(read)), join(spawn(read, capabilities: ["threads"])), p.submit(read).result(),
             pool(1, capabilities: ["fileRead"]).submit(read).result()]
            """)
        XCTAssertEqual(try r.as([String].self), ["hi", "PermissionError: fileRead is not granted (fs.read_text)",
                                                 "PermissionError: fileRead is not granted (fs.read_text)", "hi"])
        let widen = scriptError { try interp.eval("spawn(read, capabilities: [\"network\"])") }
        XCTAssertEqual(widen?.description, "PermissionError: spawn(): cannot grant network (this thread does not have it)")
        let nested = scriptError { try interp.eval("join(spawn(fn() => spawn(read, capabilities: [\"fileRead\"]), capabilities: [\"threads\"]))") }
        XCTAssertEqual(nested?.description, "PermissionError: spawn(): cannot grant fileRead (this thread does not have it)")
        let th = try interp.eval("let th = Thread(target: read, capabilities: [])\nth.start()\njoin(th)")
        XCTAssertEqual(th.description, "PermissionError: fileRead is not granted (fs.read_text)")
        let thWiden = scriptError { try interp.eval("Thread(target: read, capabilities: [\"subprocess\"])") }
        XCTAssertEqual(thWiden?.description, "PermissionError: Thread(): cannot grant subprocess (this thread does not have it)")
        let unknown = scriptError { try interp.eval("spawn(read, capabilities: [\"disk\"])") }
        XCTAssertEqual(unknown?.kind, "ValueError")
    }

    // MARK: Independence

    func testEightInterpretersOnEightThreadsRunIndependently() throws {
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            let interp = Interpreter(options: .init(capabilities: k % 2 == 0 ? [.threads] : [], instructionBudget: k == 7 ? 10_000 : nil))
            do {
                try interp.eval("let me = \(k)\nvar acc = []")
                for i in 0..<50 {
                    let v = try interp.eval("acc.append(me * 1000 + \(i))\nlen(acc) + me * 1000").as(Int.self)
                    if v != k * 1000 + i + 1 { failures.update { $0.append("\(k): \(v)") } }
                }
                if k % 2 == 0 {
                    let s = try interp.eval("join(spawn(fn() => sum(acc)))").as(Int.self)
                    if s != (0..<50).reduce(0) { $0 + k * 1000 + $1 } { failures.update { $0.append("\(k) sum \(s)") } }
                } else if (try? interp.eval("spawn(fn() => 1)")) != nil {
                    failures.update { $0.append("\(k) could spawn") }
                }
                if k == 7, (try? interp.eval("while true {}")) != nil { failures.update { $0.append("7 not limited") } }
            } catch {
                failures.update { $0.append("\(k): \(error)") }
            }
        }
        XCTAssertEqual(failures.value, [])
    }

    func testValuesFromAnotherInterpreterAreCopiedOrRejected() throws {
        let a = Interpreter(), b = Interpreter()
        let data = try a.eval("let data = {\"xs\": [1, 2.5, \"s\", nil, true], 7: b\"by\"}\ndata")
        try b.eval("fn grab(d) { d[\"xs\"].append(99); return d }")
        let copied = try b.call("grab", data)
        XCTAssertEqual(copied.description, #"{"xs": [1, 2.5, "s", nil, true, 99], 7: b"by"}"#)
        // a's map is untouched: b got a copy.
        XCTAssertEqual(try a.eval("len(data[\"xs\"])").as(Int.self), 5)
        try b.setGlobal("d2", data)
        XCTAssertEqual(try b.eval("d2[7]").description, #"b"by""#)
        b["d3"] = data
        XCTAssertEqual(try b.eval("d3 is d2").as(Bool.self), false)

        let fnA = try a.eval("fn(x) => x")
        let e = scriptError { try b.setGlobal("f", fnA) }
        XCTAssertEqual(e?.kind, "TypeError")
        XCTAssertEqual(e?.message, "a 'fn' value belongs to another interpreter and cannot be passed to this one (only nil, bool, int, float, str, bytes, list and map values are copied between interpreters)")
        b["g"] = fnA
        XCTAssertNil(b["g"], "an uncopyable value leaves the global unset")
        let objA = try a.eval("class P { }\nP()")
        XCTAssertEqual(scriptError { try b.call("grab", [objA]) }?.kind, "TypeError")
        // A native of b returning a value of a: copied, or a TypeError in the script.
        b.define("from_a", arity: 0...1) { args in args.count == 0 ? data : fnA }
        XCTAssertEqual(try b.eval("from_a()[\"xs\"][1]").as(Double.self), 2.5)
        XCTAssertEqual(try b.eval("fn t() { try { from_a(1) } catch e: TypeError { return \"refused\" }; return \"no\" }\nt()").as(String.self), "refused")
        // A function of a still runs in a, whoever calls it.
        XCTAssertEqual(try b.call(fnA, [5]).as(Int.self), 5)
    }
}

/// A value guarded by a lock, for tests.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ v: T) { _value = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return _value }
    func update(_ f: (inout T) -> Void) { lock.lock(); f(&_value); lock.unlock() }
}
