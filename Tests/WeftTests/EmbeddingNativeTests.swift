// Native functions and host modules (issue 10, deliverable 2): arguments by
// position and keyword, defaults, arity and type errors as script TypeErrors,
// Swift errors as catchable script errors, modules, and natives called from many
// script threads at once.
import Foundation
import XCTest
import Weft

final class EmbeddingNativeTests: XCTestCase {
    /// `Kind: message` of a script error, or the value's str.
    private func outcome(_ interp: Interpreter, _ source: String) -> String {
        do { return try interp.eval(source).description } catch let e as ScriptError { return "\(e.kind): \(e.message)" } catch {
            return "other: \(error)"
        }
    }

    func testPositionalKeywordAndDefaultArguments() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.define("fetch") { args in
            let url = try args[0].as(String.self)
            let timeout = try args["timeout", default: 5.0]
            let retries = try args[1, default: 0]
            return .string("\(url) \(timeout) \(retries) n=\(args.count) kw=\(args.keywords.map(\.name))")
        }
        XCTAssertEqual(outcome(interp, "fetch(\"a\")"), "a 5.0 0 n=1 kw=[]")
        XCTAssertEqual(outcome(interp, "fetch(\"a\", 2, timeout: 1)"), "a 1.0 2 n=2 kw=[\"timeout\"]")
        XCTAssertEqual(outcome(interp, "fetch(\"a\", nil, timeout: nil)"), "a 5.0 0 n=2 kw=[\"timeout\"]")
        XCTAssertEqual(outcome(interp, "type(fetch).name + \" \" + str(fetch)"), "fn <fn fetch>")
        // Values come back as the script's own types.
        interp.define("pair") { args in [try args[0], .map(["k": try args[1]])] }
        XCTAssertEqual(outcome(interp, "let p = pair(1, [2])\np[1][\"k\"].append(3)\np"), "[1, {\"k\": [2, 3]}]")
    }

    func testArityAndTypeErrorsAreScriptTypeErrors() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.define("fetch", arity: 1...2, keywords: ["timeout"]) { args in
            .string(try args[0].as(String.self) + String(try args["timeout", default: 1]))
        }
        interp.define("loose") { args in .int(try args[1].as(Int.self)) }
        XCTAssertEqual(outcome(interp, "fetch(\"u\", timeout: 3)"), "u3")
        XCTAssertEqual(outcome(interp, "fetch()"), "TypeError: fetch() takes 1 to 2 arguments (0 given)")
        XCTAssertEqual(outcome(interp, "fetch(1, 2, 3)"), "TypeError: fetch() takes 1 to 2 arguments (3 given)")
        XCTAssertEqual(outcome(interp, "fetch(\"u\", retries: 3)"), "TypeError: fetch() got an unexpected keyword argument 'retries'")
        XCTAssertEqual(outcome(interp, "fetch(42)"), "TypeError: fetch() argument 1: expected String, got int")
        XCTAssertEqual(outcome(interp, "fetch(\"u\", timeout: \"slow\")"),
                       "TypeError: fetch() argument 'timeout': expected Int, got str")
        XCTAssertEqual(outcome(interp, "loose(1)"), "TypeError: loose() missing argument 2 (1 given)")
        XCTAssertEqual(outcome(interp, "var m = nil\ntry { fetch(1) } catch e: TypeError { m = \"caught \" + e.message }\nm"),
                       "caught fetch() argument 1: expected String, got int")
    }

    struct Offline: Error, CustomStringConvertible { var description: String { "network is down" } }

    func testSwiftErrorsBecomeCatchableScriptErrors() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.define("fail") { args in
            switch try args[0].as(String.self) {
            case "swift": throw Offline()
            case "kind": throw HostError("no such item", kind: "KeyError")
            case "custom": throw HostError("slow down", kind: "RateLimited")
            default: throw HostError("plain")
            }
        }
        XCTAssertEqual(outcome(interp, "fail(\"swift\")"), "HostError: network is down")
        XCTAssertEqual(outcome(interp, "fail(\"kind\")"), "KeyError: no such item")
        XCTAssertEqual(outcome(interp, "fail(\"custom\")"), "RateLimited: slow down")
        XCTAssertEqual(outcome(interp, "fail(\"x\")"), "HostError: plain")
        XCTAssertEqual(outcome(interp, """
            var seen = []
            try { fail("swift") } catch e: HostError { seen.append(e.message) }
            try { fail("kind") } catch e: KeyError { seen.append("key") }
            try { fail("custom") } catch e: HostError { seen.append(type(e).name) }
            seen
            """), "[\"network is down\", \"key\", \"RateLimited\"]")
        // The host gets the same error when the script does not catch it.
        XCTAssertThrowsError(try interp.eval("fail(\"swift\")")) { e in
            guard let e = e as? ScriptError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.kind, "HostError")
            XCTAssertEqual(e.trace.first?.description, "fail (<host>)")
            XCTAssertEqual(e.line, 1)
        }
    }

    func testModulesImportable() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        let stock = ["tea": 3, "cup": 0]
        interp.defineModule("inventory") { m in
            m.define("count", arity: 1...1) { args in .int(stock[try args[0].as(String.self)] ?? 0) }
            m["VERSION"] = "1.0"
            m["LIMITS"] = ["max": 10]
        }
        XCTAssertEqual(outcome(interp, "import inventory\ninventory.count(\"tea\") + inventory.LIMITS[\"max\"]"), "13")
        XCTAssertEqual(outcome(interp, "inventory.VERSION"), "1.0")
        XCTAssertEqual(outcome(interp, "inventory.count()"), "TypeError: inventory.count() takes 1 argument (0 given)")
        XCTAssertEqual(outcome(interp, "str(inventory)"), "<module inventory>")
        XCTAssertEqual(outcome(interp, "import nosuch"), "ImportError: no module named 'nosuch'")
        // Other interpreters do not see it.
        XCTAssertEqual(outcome(Interpreter(options: .init(capabilities: [.threads])), "import inventory"), "ImportError: no module named 'inventory'")
    }

    func testNativesRunOnEveryScriptThreadAtOnce() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var calls = 0
            var threads = Set<String>()
        }
        let c = Counter()
        interp.define("record") { args in
            let name = try args[0].as(String.self)
            c.lock.lock(); c.calls += 1; c.threads.insert(name); c.lock.unlock()
            return .list([try args[1], .string(name)])
        }
        let result = try interp.eval("""
            let out = []
            let lk = lock()
            fn work(i) {
              for k in 0..<200 {
                let r = record(current_thread().name, k)
                with lk { out.append(r[0]) }
              }
            }
            let ts = [spawn(work, i) for i in 0..<8]
            for t in ts { t.join() }
            len(out)
            """)
        XCTAssertEqual(try result.as(Int.self), 1600)
        XCTAssertEqual(c.calls, 1600)
        XCTAssertEqual(c.threads.count, 8, "\(c.threads)")
    }

    func testBlockingWorkInANativeDoesNotHoldUpCollections() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        let release = DispatchSemaphore(value: 0)
        interp.define("wait_in_swift", arity: 0...0) { args in
            let n = args.blocking { () -> Int in
                _ = release.wait(timeout: .now() + 10)
                return 7
            }
            return .int(n)
        }
        let start = Date()
        // One thread waits in Swift; the main thread collects three times meanwhile.
        // Each collection stops every script thread, so without `blocking` the
        // first one would wait the full ten seconds.
        try interp.eval("""
            import gc
            let waiter = spawn(wait_in_swift)
            sleep(0.05)
            for _ in 0..<3 { let junk = [[i] for i in 0..<1000]; gc.collect() }
            """)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        release.signal()
        XCTAssertEqual(try interp.eval("waiter.join()").as(Int.self), 7)
    }
}
