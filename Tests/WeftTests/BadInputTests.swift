// Issue 7: bad input gets a clear error, never a crash, hang or Swift trap. These
// cover what the conformance scripts in Tests/Conformance/bad_input cannot: the
// host's own thread, the embedding API and the memory layout the VM relies on.

import XCTest
@testable import Weft

final class BadInputTests: XCTestCase {
    /// Deep structures handed to the host are freed on the host's thread (8 MiB
    /// here), iteratively: a recursive release would overflow that stack.
    func testDeepStructuresFreeOnTheHostThread() throws {
        let interp = Interpreter()
        var v: Value? = try interp.eval("""
        class Node { fn init(n) { self.next = n } }
        fn deep(n) {
          var x = []
          for i in range(n) { x = [x] }
          var c = nil
          for i in range(n) { c = Node(c) }
          var m = {}
          for i in range(n) { m = {"k": m} }
          var d = []
          for i in range(n) { d = [d, d] }
          var f = fn() => 0
          for i in range(n) { let g = f; f = fn() => g() }
          var b = nil
          for i in range(n) { b = Node(b).init }
          return [x, c, m, d, f, b]
        }
        deep(200000)
        """)
        if case .list(let l)? = v { XCTAssertEqual(l.count, 6) } else { XCTFail("not a list") }
        v = nil
        // Globals are freed with the interpreter, on this thread too.
        var interp2: Interpreter? = Interpreter()
        try interp2!.eval("var g = []\nfor i in range(200000) { g = [g] }")
        interp2 = nil
    }

    /// The VM (`unretained` in VM.swift) reads a Value's object at offset 0.
    func testReferenceCasesKeepTheirObjectAtOffsetZero() {
        let l = ListObj([.int(1)])
        let cases: [(Value, AnyObject)] = [
            (.list(l), l), (.map(MapObj()), MapObj()), (.str(StrObj("s")), StrObj("s")),
        ]
        for (value, _) in cases {
            var v = value
            let p = withUnsafeMutablePointer(to: &v) { UnsafeRawPointer($0).load(as: UnsafeRawPointer.self) }
            XCTAssertEqual(p, UnsafeRawPointer(Unmanaged.passUnretained(value.heapObject!).toOpaque()))
        }
        XCTAssertEqual(MemoryLayout<Value>.size, 9)
    }

    /// Host-chosen call depths are clamped, not trusted: no giant allocation, no
    /// overflow computing the frame capacity.
    func testCallDepthOptionIsClamped() throws {
        for depth in [Int.min, -1, 0, 1, 1_000_000_000, Int.max] {
            let interp = Interpreter(options: .init(maxCallDepth: depth))
            XCTAssertEqual(try interp.call(try interp.eval("fn(x) => x + 1"), [.int(41)]).description, "42")
            let r = try interp.eval("""
            fn d(n) { return d(n + 1) }
            var got = "none"
            try { d(0) } catch e: RecursionError { got = "recursion" }
            got
            """)
            XCTAssertEqual(r.description, "recursion")
        }
    }

    /// The uncaught error's report is complete after many catch-and-rethrow levels,
    /// and reading it while other threads throw the same error is safe.
    func testScriptErrorTraceAfterRethrows() throws {
        let interp = Interpreter()
        do {
            try interp.eval("""
            fn level(n) {
              if n == 0 { throw ValueError("bottom") }
              try { level(n - 1) } catch e { throw e }
            }
            level(5000)
            """, file: "t.weft")
            XCTFail("no error")
        } catch let e as ScriptError {
            XCTAssertEqual(e.kind, "ValueError")
            XCTAssertEqual(e.trace.count, 5002)
            XCTAssertEqual(e.trace.first?.function, "level")
            XCTAssertEqual(e.trace.first?.line, 2)
            XCTAssertEqual(e.trace.last?.function, "<main>")
            XCTAssertEqual(e.line, 2)
        }
    }
}
