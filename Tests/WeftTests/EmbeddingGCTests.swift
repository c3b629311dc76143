// The public Value under the collector (issue 10): a value the host holds is a root,
// whatever collections run, and one it drops is freed. Weak references (internal
// objects, hence @testable) observe what was freed. The stress test re-runs this
// binary with WEFT_GC_STRESS=1 (a collection at every safepoint), so a value the
// embedding layer failed to hold would be freed at once and misread.
import Foundation
import XCTest
@testable import Weft

final class EmbeddingGCTests: XCTestCase {
    private func collect(_ interp: Interpreter) throws {
        _ = try interp.eval("import gc\ngc.collect()\ngc.collect()")
    }

    func testHostHeldValuesSurviveAndDroppedOnesAreFreed() throws {
        let interp = Interpreter()
        weak var keptObject: Obj?
        weak var droppedObject: Obj?
        weak var builtObject: Obj?
        var kept: Value? = try interp.eval("[\"a\" * 3, {\"k\": [1, [2]]}]")   // in no global
        let built: Value = ["made", "by", ["the": "host"]]
        keptObject = kept?.object
        builtObject = built.object
        do {
            let dropped = try interp.eval("[\"b\" * 3]")
            droppedObject = dropped.object
        }
        try collect(interp)
        XCTAssertNil(droppedObject, "a value the host dropped survived a collection")
        XCTAssertNotNil(keptObject)
        XCTAssertNotNil(builtObject)
        XCTAssertEqual(kept?.description, "[\"aaa\", {\"k\": [1, [2]]}]")
        XCTAssertEqual(built.description, "[\"made\", \"by\", {\"the\": \"host\"}]")
        // Handed to the script after the collection, it is intact there too.
        interp["k"] = kept
        XCTAssertEqual(try interp.eval("k[1][\"k\"][1][0]").as(Int.self), 2)
        // Once the host drops it and the script does too, it goes.
        kept = nil
        try interp.eval("k = nil")
        try collect(interp)
        XCTAssertNil(keptObject)
    }

    /// A script error the host holds keeps its error value (and its trace) alive.
    func testScriptErrorsKeepTheirValue() throws {
        let interp = Interpreter()
        var error: ScriptError?
        do { try interp.eval("throw ValueError(\"x\" * 4)") } catch let e as ScriptError { error = e }
        try collect(interp)
        XCTAssertEqual(try error?.value.attribute("message").as(String.self), "xxxx")
    }

    /// The parent: this binary again, with WEFT_GC_STRESS=1 and only the child test.
    func testEmbeddingUnderCollectorStress() throws {
        guard ProcessInfo.processInfo.environment["WEFT_EMBED_GC_CHILD"] == nil else { return }
        guard let exe = Bundle.main.executablePath ?? CommandLine.arguments.first else {
            throw XCTSkip("cannot find the test executable")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["WeftTests.EmbeddingGCTests/testStressChild"]
        var env = ProcessInfo.processInfo.environment
        env["WEFT_EMBED_GC_CHILD"] = "1"
        env["WEFT_GC_STRESS"] = "1"
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        // Output to a file and a bounded wait, so a hang fails this test instead of
        // stalling the run.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("weft-embed-gc-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in finished.signal() }
        try p.run()
        if finished.wait(timeout: .now() + 120) == .timedOut {
            kill(p.processIdentifier, SIGKILL)
            finished.wait()
            XCTFail("the stress child hung")
        }
        try? handle.close()
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        XCTAssertEqual(p.terminationReason, .exit, text)
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("embedding gc stress ok"), text)
    }

    /// The child: every kind of value crossing the boundary while collections run
    /// at every safepoint.
    func testStressChild() throws {
        guard ProcessInfo.processInfo.environment["WEFT_EMBED_GC_CHILD"] != nil else { return }
        XCTAssertGreaterThan(Heap.stressInterval, 0)
        let interp = Interpreter()
        interp.register(ScriptCounter.self)
        let counter = ScriptCounter(label: "stress")
        interp["counter"] = .object(counter)
        let held: Value = ["host", ["nested": ["list"]], 3.5]
        interp.define("make") { args in
            let n = try args[0].as(Int.self)
            return .list((0..<n).map { .string("item \($0)") })
        }
        interp.define("apply") { args in
            let f = try args[0]
            return .list(try args[1].as([Value].self).map { try f.call($0) })
        }
        try interp.eval("""
            fn build(i) { return {"i": i, "s": "v" * (i % 5), "xs": [i, [i]]} }
            class Box { fn init(v) { self.v = v } }
            """)
        var results: [Value] = []
        for i in 0..<60 {
            results.append(try interp.call("build", .int(i)))
            results.append(try interp.eval("[Box(\(i)), make(3), apply(fn(x) => x + \"!\", make(2))]"))
            _ = try interp.eval("counter.add()\ncounter.me() is counter")
            results.append(try Value.encode(["k": [i, i + 1]]))
        }
        for (n, v) in results.enumerated() where n % 3 == 0 {
            let i = n / 3
            XCTAssertEqual(v, ["i": .int(i), "s": .string(String(repeating: "v", count: i % 5)), "xs": [.int(i), [.int(i)]]])
        }
        XCTAssertEqual(try results[1].as([Value].self)[2].as([String].self), ["item 0!", "item 1!"])
        XCTAssertEqual(held.description, "[\"host\", {\"nested\": [\"list\"]}, 3.5]")
        XCTAssertEqual(counter.count, 60)
        XCTAssertEqual(try interp.eval("counter").hostObject(ScriptCounter.self).map { $0 === counter }, true)
        // A native that calls into another interpreter waits parked, so the
        // collections the other interpreter's thread requests can run.
        let other = Interpreter()
        try other.eval("fn twice(x) { return [x, x + \"!\"] }")
        let twice = try other.global("twice")
        interp.define("viaOther") { args in try twice.call(try args[0]) }
        for i in 0..<20 {
            let s = String(repeating: "s", count: i % 4)
            XCTAssertEqual(try interp.eval("viaOther(\"s\" * \(i % 4))"), [.string(s), .string(s + "!")])
        }
        XCTAssertGreaterThan(Heap.collections, 200, "collections ran throughout")
        print("embedding gc stress ok (\(Heap.collections) collections)")
    }
}
