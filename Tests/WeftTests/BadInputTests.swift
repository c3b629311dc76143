// Issue 7: bad input gets a clear error, never a crash, hang or Swift trap. These
// cover what the conformance scripts in Tests/Conformance/bad_input cannot: the
// host's own thread, the embedding API and the memory layout the VM relies on.

import XCTest
@testable import Weft

final class BadInputTests: XCTestCase {
    /// Deep structures handed to the host are freed on the host's thread (8 MiB
    /// here), iteratively: a recursive release would overflow that stack.
    func testDeepStructuresFreeOnTheHostThread() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads]))
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
        XCTAssertEqual(try v?.as([Value].self).count, 6)
        v = nil
        // Globals are freed with the interpreter, on this thread too.
        var interp2: Interpreter? = Interpreter(options: .init(capabilities: [.threads]))
        try interp2!.eval("var g = []\nfor i in range(200000) { g = [g] }")
        interp2 = nil
    }

    /// Values are one NaN-boxed word (docs/vm.md §2): every kind round-trips, ints
    /// past the inline range are boxed transparently, and no float collides with a tag.
    func testValuesAreOneWord() {
        XCTAssertEqual(MemoryLayout<Word>.size, 8)
        for i in [0, 1, -1, (1 << 47) - 1, -(1 << 47), 1 << 47, -(1 << 47) - 1, Int.max, Int.min] {
            let v = Word.int(i)
            XCTAssertTrue(v.isInt)
            XCTAssertEqual(v.asInt, i)
            XCTAssertEqual(v.isSmallInt, i >= -(1 << 47) && i < (1 << 47))
            XCTAssertTrue(v.isIdentical(to: .int(i)))
        }
        for d in [0.0, -0.0, 1.5, -1e308, .infinity, -.infinity, .nan,
                  Double(bitPattern: 0xFFFF_0000_0000_0001), Double(bitPattern: 0xFFF9_1234_0000_0000)] {
            let v = Word.float(d)
            XCTAssertTrue(v.isFloat)
            if d.isNaN { XCTAssertTrue(v.floatValue.isNaN) } else { XCTAssertEqual(v.floatValue.bitPattern, d.bitPattern) }
        }
        let l = ListObj([.int(1)]), m = MapObj(), s = StrObj("s")
        XCTAssertTrue(Word.list(l).asList === l)
        XCTAssertTrue(Word.map(m).asMap === m)
        XCTAssertTrue(Word.str(s).asStr === s)
        XCTAssertTrue(Word.object(s).asStr === s, "the tag follows the object's class")
        XCTAssertTrue(Word.nil.isNil && !Word.nil.isTruthy)
        XCTAssertEqual(Word.bool(true).asBool, true)
        XCTAssertEqual(Word.bool(false).asBool, false)
        XCTAssertNil(Word.int(1).asBool)
    }

    /// Host-chosen call depths are clamped, not trusted: no giant allocation, no
    /// overflow computing the frame capacity.
    func testCallDepthOptionIsClamped() throws {
        for depth in [Int.min, -1, 0, 1, 1_000_000_000, Int.max] {
            let interp = Interpreter(options: .init(maxCallDepth: depth, capabilities: [.threads]))
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
        let interp = Interpreter(options: .init(capabilities: [.threads]))
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
