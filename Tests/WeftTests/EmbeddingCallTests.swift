// Calling into scripts from Swift (issue 10, deliverable 4): functions by name and
// by value, methods of script objects, globals, and the ScriptError a host gets,
// with traces that cross native functions.
import Foundation
import XCTest
import Weft

final class EmbeddingCallTests: XCTestCase {
    func testCallFunctionsByNameAndValue() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        try interp.eval("""
            fn handler(n, s, sep = "-") { return str(n) + sep + s }
            let add = fn(a, b) => a + b
            class Account {
              fn init(balance) { self.balance = balance }
              fn deposit(n) { self.balance += n; return self.balance }
            }
            let acct = Account(10)
            """)
        XCTAssertEqual(try interp.call("handler", 1, "x").as(String.self), "1-x")
        XCTAssertEqual(try interp.call("handler", arguments: [2, "y"], keywords: ["sep": "+"]).as(String.self), "2+y")
        let add = try interp.global("add")
        XCTAssertEqual(try add.call(40, 2).as(Int.self), 42)
        XCTAssertEqual(try add.call("a", "b").as(String.self), "ab")
        XCTAssertEqual(try interp.call(add, [1, 2]).as(Int.self), 3)
        let handler = try interp.global("handler")
        XCTAssertEqual(try handler.call(arguments: [3, "z"], keywords: ["sep": ":"]).as(String.self), "3:z")
        // Methods and attributes of script objects.
        let acct = try interp.global("acct")
        XCTAssertEqual(try acct.callMethod("deposit", 5).as(Int.self), 15)
        XCTAssertEqual(try acct.attribute("balance").as(Int.self), 15)
        XCTAssertEqual(try acct.attribute("deposit").call(1).as(Int.self), 16)
        // Methods of builtin values.
        XCTAssertEqual(try interp.eval("\"a,b\"").callMethod("split", ",").as([String].self), ["a", "b"])
        // A class is callable.
        let made = try interp.global("Account").call(100)
        XCTAssertEqual(try made.attribute("balance").as(Int.self), 100)
        // str() runs the script's to_str.
        try interp.eval("class T { fn to_str() { return \"tee\" } }")
        XCTAssertEqual(try interp.str(interp.eval("T()")), "tee")
    }

    func testMissingGlobalsAndUncallableValues() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        XCTAssertNil(interp["nothing"])
        XCTAssertThrowsError(try interp.global("nothing")) { e in
            XCTAssertEqual((e as? ScriptError)?.kind, "NameError")
            XCTAssertEqual((e as? ScriptError)?.message, "name 'nothing' is not defined")
        }
        XCTAssertThrowsError(try interp.call("nothing")) { e in XCTAssertEqual((e as? ScriptError)?.kind, "NameError") }
        XCTAssertThrowsError(try interp.call(.int(1), [])) { e in
            XCTAssertEqual("\(e)", "TypeError: 'int' object is not callable")
        }
        // A value the host built has no interpreter to run in.
        XCTAssertThrowsError(try Value.int(1).call()) { e in XCTAssertEqual((e as? ScriptError)?.kind, "TypeError") }
    }

    func testScriptErrorsCarryKindMessagePositionAndTrace() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        try interp.eval("""
            fn inner(m) {
              return m["missing"]
            }
            fn outer(m) { return inner(m) }
            """, file: "app.weft")
        XCTAssertThrowsError(try interp.call("outer", ["a": 1])) { e in
            guard let e = e as? ScriptError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.kind, "KeyError")
            XCTAssertEqual(e.file, "app.weft")
            XCTAssertEqual(e.line, 2)
            XCTAssertGreaterThan(e.column, 0)
            XCTAssertEqual(e.trace.map(\.function), ["inner", "outer"])
            XCTAssertEqual(e.value.typeName, "KeyError")
            XCTAssertEqual(try? e.value.attribute("message").as(String.self), e.message)
        }
    }

    /// script -> native -> script: the trace shows the inner script frames, the host
    /// function, then the outer script frames, and the script can catch the error.
    func testTracesCrossNativeFunctions() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.define("each") { args in
            let f = try args[0]
            for x in try args[1].as([Value].self) { _ = try f.call(x) }
            return .nil
        }
        try interp.eval("""
            fn check(x) {
              if x > 2 { throw ValueError("too big: " + str(x)) }
            }
            fn run() {
              each(check, [1, 2, 3])
            }
            fn guarded() {
              try { run() } catch e: ValueError { return "caught " + e.message + " via " + e.trace[1] }
            }
            """, file: "cb.weft")
        XCTAssertThrowsError(try interp.call("run")) { e in
            guard let e = e as? ScriptError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.kind, "ValueError")
            XCTAssertEqual(e.message, "too big: 3")
            XCTAssertEqual(e.trace.map(\.function), ["check", "each", "run"])
            XCTAssertEqual(e.trace.map(\.description)[1], "each (<host>)")
            XCTAssertEqual(e.line, 2)
            XCTAssertTrue(e.report.contains("  at each (<host>)\n"), e.report)
        }
        XCTAssertEqual(try interp.call("guarded").as(String.self), "caught too big: 3 via each (<host>)")
    }

    /// A native that calls back into the script runs the callback on the calling
    /// script thread (no new thread; current_thread() is the caller).
    func testCallbacksRunOnTheCallingScriptThread() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        interp.define("twice") { args in
            let f = try args[0]
            return .list([try f.call(), try f.call()])
        }
        let r = try interp.eval("""
            let t = spawn(fn() => twice(fn() => current_thread().name), name: "worker")
            t.join()
            """)
        XCTAssertEqual(try r.as([String].self), ["worker", "worker"])
        // eval from inside a native runs there too, and its errors reach the script.
        interp.define("evalHere") { args in try interp.eval(try args[0].as(String.self)) }
        XCTAssertEqual(try interp.eval("spawn(evalHere, \"current_thread().name\", name: \"w2\").join()").as(String.self), "w2")
        XCTAssertEqual(try interp.eval("""
            var got = nil
            try { evalHere("1 / 0") } catch e: ZeroDivisionError { got = e.message }
            got
            """).as(String.self), "division by zero")
    }

    func testValuesFromOneInterpreterCallInIt() throws {
        let a = Interpreter(options: .init(capabilities: [.threads])), b = Interpreter(options: .init(capabilities: [.threads]))
        try a.eval("var n = 0\nfn bump() { n += 1; return n }")
        let bump = try a.global("bump")
        b.define("bumpA") { _ in try bump.call() }
        XCTAssertEqual(try b.eval("bumpA() + bumpA()").as(Int.self), 3)
        XCTAssertEqual(try a.global("n").as(Int.self), 2)
        // Through the other interpreter's call, it still runs in its own: its print
        // goes to its own output.
        final class Lines: @unchecked Sendable { var a = "", b = "" }
        let lines = Lines()
        a.output = { lines.a += $0 }
        b.output = { lines.b += $0 }
        try a.eval("fn say() { print(\"from a\") }")
        try b.call(a.global("say"), [])
        XCTAssertEqual(lines.a, "from a\n")
        XCTAssertEqual(lines.b, "")
    }
}

extension EmbeddingCallTests {
    func testRunFileReturnsItsLastValueAndReportsItsPath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-embed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let job = dir.appendingPathComponent("job.weft")
        try "fn area(w, h) { return w * h }\narea(3, 4)\n".write(to: job, atomically: true, encoding: .utf8)
        let interp = Interpreter(options: .init(capabilities: [.threads]))
        XCTAssertEqual(try interp.run(file: job).as(Int.self), 12)
        XCTAssertEqual(try interp.call("area", 2, 5).as(Int.self), 10)
        let bad = dir.appendingPathComponent("bad.weft")
        try "let x = 1\nx.nope\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try interp.run(file: bad)) { e in
            guard let e = e as? ScriptError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.kind, "AttributeError")
            XCTAssertEqual(e.file, bad.path)
            XCTAssertEqual(e.line, 2)
        }
        XCTAssertThrowsError(try interp.run(file: dir.appendingPathComponent("missing.weft"))) { e in
            XCTAssertEqual((e as? ScriptError)?.kind, "IOError")
        }
    }
}
