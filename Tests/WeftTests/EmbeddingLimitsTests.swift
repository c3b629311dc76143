// Issue 10, items 7 and 8: length limits on strings, lists, maps and bytes, the
// per-interpreter memory budget, and host-built containers that mix values of
// several interpreters.
import Foundation
import XCTest
@testable import Weft

final class EmbeddingLimitsTests: XCTestCase {
    private func scriptError(_ body: () throws -> Void) -> ScriptError? {
        do { try body(); return nil } catch let e as ScriptError { return e } catch { return nil }
    }

    // MARK: Length limits

    func testStringLengthLimitHoldsForEveryWayOfGrowingAString() throws {
        let interp = Interpreter(options: .init(maxStringLength: 100))
        let message = "LimitError: string length limit of 100 bytes exceeded"
        for script in [
            "var s = \"ab\"\nwhile true { s = s + s }",
            "var s = \"\"\nwhile true { s += \"0123456789\" }",
            "\"x\" * 101",
            "\"-\".join([\"abcdefghij\" for _ in 0..<20])",
            "let w = \"x\" * 60\n\"\\(w)\\(w)\"",
            "(\"a\" * 60).replace(\"a\", \"bb\")",
        ] {
            XCTAssertEqual(scriptError { try interp.eval(script) }?.description, message, script)
        }
        // At the limit is fine; the script can catch the error; the interpreter goes on.
        XCTAssertEqual(try interp.eval("len(\"x\" * 100)").as(Int.self), 100)
        XCTAssertEqual(try interp.eval("""
            fn f() { try { return "y" * 1000 } catch e: LimitError { return "caught" } }
            f()
            """).as(String.self), "caught")
        XCTAssertEqual(try interp.eval("\"ok\"").as(String.self), "ok")
    }

    func testListMapAndBytesLengthLimits() throws {
        let interp = Interpreter(options: .init(maxListLength: 50, maxMapLength: 20, maxBytesLength: 64))
        let list = "LimitError: list length limit of 50 exceeded"
        for script in [
            "var xs = []\nwhile true { xs.append(1) }",
            "[i for i in 0..<51]",
            "list(0..<51)",
            "[0] * 51",
            "[0] * 30 + [1] * 30",
            "let xs = [0] * 50\nxs.insert(0, 1)",
            "let xs = [0] * 40\nxs.extend(0..<11)",
            "var xs = []\nfor i in 0..<100 { xs.append(i) }",
        ] {
            XCTAssertEqual(scriptError { try interp.eval(script) }?.description, list, script)
        }
        let map = "LimitError: map length limit of 20 exceeded"
        for script in [
            "let m = {}\nfor i in 0..<21 { m[i] = i }",
            "let m = {i: i for i in 0..<21}",
        ] {
            XCTAssertEqual(scriptError { try interp.eval(script) }?.description, map, script)
        }
        // Replacing a key's value does not grow the map.
        XCTAssertEqual(try interp.eval("let m = {i: 0 for i in 0..<20}\nfor i in 0..<20 { m[i] = 1 }\nlen(m)").as(Int.self), 20)
        let bytes = "LimitError: bytes length limit of 64 exceeded"
        for script in ["bytes(65)", "(\"x\" * 65).encode()", "bytes(\"x\" * 40) + bytes(\"y\" * 40)", "bytes(\"x\" * 65)"] {
            XCTAssertEqual(scriptError { try interp.eval(script) }?.description, bytes, script)
        }
        XCTAssertEqual(try interp.eval("len(bytes(64)) + len([0] * 50)").as(Int.self), 114)
        // Nonsense limits are clamped, never a trap.
        let zero = Interpreter(options: .init(maxStringLength: -5, maxListLength: Int.min))
        XCTAssertEqual(scriptError { try zero.eval("[1]") }?.kind, nil, "a literal is not checked")
        XCTAssertEqual(scriptError { try zero.eval("[1] + [2]") }?.kind, "LimitError")
        // `+` on a list just made appends in place (VM concatSlice, concatFresh): still checked.
        let small = Interpreter(options: .init(maxListLength: 5))
        for script in ["let a = [1, 2, 3]\na[0:3] + a[0:3]", "let a = [1, 2, 3]\n[0, 0, 0] + a", "let a = [1, 2, 3]\na[:] + a"] {
            XCTAssertEqual(scriptError { try small.eval(script) }?.description, "LimitError: list length limit of 5 exceeded", script)
        }
        XCTAssertEqual(try small.eval("let a = [1, 2, 3]\nlen(a[0:2] + a[0:3])").as(Int.self), 5)
        XCTAssertEqual(scriptError { try zero.eval("\"a\" + \"b\"") }?.kind, "LimitError")
    }

    func testListLengthLimitHoldsWhenThreadsAppendTogether() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads], maxListLength: 1000))
        XCTAssertEqual(try interp.eval("""
            let xs = []
            fn fill() { try { while true { xs.append(1) } } catch e: LimitError { } }
            let ts = [spawn(fill) for _ in 0..<4]
            for t in ts { t.join() }
            len(xs)
            """).as(Int.self), 1000)
    }

    // MARK: Memory budget

    func testMemoryBudgetStopsAStringDoubledInALoop() throws {
        let interp = Interpreter(options: .init(memoryBudget: 8 << 20))
        let e = scriptError { try interp.eval("var s = \"x\"\nwhile true { s = s + s }") }
        XCTAssertEqual(e?.description, "MemoryError: memory budget of 8388608 bytes exceeded")
        XCTAssertEqual(try interp.eval("s = nil\n2 * 21").as(Int.self), 42)
    }

    func testMemoryBudgetCountsWhatStaysLiveAfterACollection() throws {
        let interp = Interpreter(options: .init(capabilities: [.threads], memoryBudget: 8 << 20))
        let reports = Locked<[String]>([])
        interp.threadErrorOutput = { r in reports.update { $0.append(r) } }
        // Many small objects, each far under the budget: the collector finds them live.
        let e = scriptError { try interp.eval("var keep = []\nwhile true { keep.append([1, 2, 3]) }") }
        XCTAssertEqual(e?.description, "MemoryError: memory budget of 8388608 bytes exceeded")
        XCTAssertGreaterThan(try interp.eval("len(keep)").as(Int.self), 10_000)
        XCTAssertEqual(try interp.eval("keep = nil\n1").as(Int.self), 1)
        // Garbage is not charged: 200,000 short-lived lists (far more than the
        // budget in total) run to the end.
        XCTAssertEqual(try interp.eval("""
            var n = 0
            for i in 0..<200_000 { let t = [i, i, "s\\(i)"]; n += len(t) }
            n
            """).as(Int.self), 600_000)
        // A spawned thread's allocations count for its interpreter too.
        let t = scriptError {
            try interp.eval("""
                let box = []
                join(spawn(fn() { while true { box.append({"k": [1, 2]}) } }))
                """)
        }
        XCTAssertEqual(t?.kind, "MemoryError", "\(String(describing: t))")
        XCTAssertEqual(reports.value.count, 1)
        XCTAssertTrue(reports.value.first?.contains("MemoryError: memory budget of 8388608 bytes exceeded") ?? false)
        XCTAssertEqual(try interp.eval("box.clear()\n\"usable\"").as(String.self), "usable")
    }

    func testOneInterpretersHeapIsNotChargedToAnother() throws {
        let big = Interpreter()
        _ = try big.eval("let hoard = [[i, i] for i in 0..<200_000]\nlen(hoard)")
        let small = Interpreter(options: .init(memoryBudget: 4 << 20))
        XCTAssertEqual(try small.eval("""
            var total = 0
            for round in 0..<20 { let xs = [i for i in 0..<10_000]; total += len(xs) }
            total
            """).as(Int.self), 200_000)
        XCTAssertEqual(try big.eval("len(hoard)").as(Int.self), 200_000)
    }

    // MARK: Host-built containers of several interpreters

    func testHostBuiltContainersOfAnotherInterpretersValuesAreCopied() throws {
        let a = Interpreter(), b = Interpreter()
        let xsA = try a.eval("let xs = [1, 2]\nxs")
        try b.eval("fn grow(holder) { holder[0].append(3); return len(holder[0]) }")
        // A list built in Swift around a's list belongs to a: b gets a copy.
        let wrapped: Value = [xsA, "tag"]
        XCTAssertEqual(try b.call("grow", wrapped).as(Int.self), 3)
        XCTAssertEqual(try a.eval("len(xs)").as(Int.self), 2, "b changed a's list")
        // Handed back to a it is a's own list, not a copy.
        try a.eval("fn grow(holder) { holder[0].append(3); return len(holder[0]) }")
        XCTAssertEqual(try a.call("grow", wrapped).as(Int.self), 3)
        XCTAssertEqual(try a.eval("len(xs)").as(Int.self), 3)

        // Values of two interpreters in one container: each gets a copy.
        let ysB = try b.eval("let ys = [10]\nys")
        let mixed = Value.map(["a": xsA, "b": ysB])
        try a.eval("fn touch(m) { m[\"a\"].append(4); m[\"b\"].append(11); return m }")
        XCTAssertEqual(try a.call("touch", mixed).description, #"{"a": [1, 2, 3, 4], "b": [10, 11]}"#)
        XCTAssertEqual(try a.eval("len(xs)").as(Int.self), 3)
        XCTAssertEqual(try b.eval("len(ys)").as(Int.self), 1)
        let nested: Value = [[xsA], ysB]
        try b.setGlobal("n", nested)
        XCTAssertEqual(try b.eval("n[1] is ys").as(Bool.self), false)
        // A function in a mixed container cannot be copied.
        let fnA = try a.eval("fn(x) => x")
        let bad: Value = [fnA, ysB]
        let e = scriptError { try b.setGlobal("bad", bad) }
        XCTAssertEqual(e?.kind, "TypeError")
        // Module members are copied the same way.
        b.defineModule("shared") { m in m["XS"] = xsA }
        XCTAssertEqual(try b.eval("import shared\nshared.XS.append(9)\nshared.XS").description, "[1, 2, 3, 9]")
        XCTAssertEqual(try a.eval("len(xs)").as(Int.self), 3)
    }
}
