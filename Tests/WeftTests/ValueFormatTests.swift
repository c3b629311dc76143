import XCTest
@testable import Weft

/// Printing of values (§2): str/repr of every kind, Python-style floats.
final class ValueFormatTests: XCTestCase {
    func testFloatsPrintLikePythonRepr() {
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1.0, "1.0"), (1e16, "1e+16"), (1.5e-5, "1.5e-05"), (123456.0, "123456.0"),
            (9.5e15, "9500000000000000.0"), (0.0001, "0.0001"), (1e-5, "1e-05"), (-0.0, "-0.0"),
            (.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf"), (0.1 + 0.2, "0.30000000000000004"),
            (1e22, "1e+22"), (12345678901234567.0, "1.2345678901234568e+16"), (5e-324, "5e-324"),
            (-2.5, "-2.5"), (100.0, "100.0"),
        ]
        for (d, s) in cases { XCTAssertEqual(d.weftDescription, s, "\(d)") }
    }

    func testContainersShowElementsWithRepr() throws {
        let list = Word.list(ListObj([.int(1), .string("a"), .nil, .float(2.5), .bool(true)]))
        XCTAssertEqual(list.description, #"[1, "a", nil, 2.5, true]"#)
        XCTAssertEqual(try list.format(repr: true, vm: nil), #"[1, "a", nil, 2.5, true]"#)
        XCTAssertEqual(Word.string("hi").description, "hi")
        XCTAssertEqual(try Word.string("a\"b\n").format(repr: true, vm: nil), #""a\"b\n""#)
    }

    func testSelfContainingListPrintsEllipsis() {
        let l = ListObj()
        l.appendUnlocked(.list(l))
        XCTAssertEqual(Word.list(l).description, "[[...]]")
    }

    func testInterpreterValuesThroughEval() throws {
        let w = Interpreter()
        XCTAssertEqual(try w.eval(#"({"a": 1, 2: [nil]})"#).description, #"{"a": 1, 2: [nil]}"#)
        XCTAssertEqual(try w.eval("class P {}\nP()").description, "<P>")
        XCTAssertEqual(try w.eval("0..<3").description, "0..<3")
        XCTAssertEqual(try w.eval("1...3").description, "1...3")
        XCTAssertEqual(try w.eval("int").description, "int")
    }
}

/// The VM decodes opcodes by bit-casting the low byte; that needs every case's
/// raw value to equal its position.
final class OpcodeTests: XCTestCase {
    func testOpcodeDecodingIsTheIdentity() {
        for (i, op) in Op.allCases.enumerated() {
            XCTAssertEqual(Int(op.rawValue), i)
            XCTAssertEqual(decodeOp(UInt32(op.rawValue) | 0xABCD00), op)
        }
    }

    private func w(_ op: Op, _ a: Int = 0) -> UInt32 { UInt32(op.rawValue) | UInt32(a) << 8 }

    /// Peephole.finalCode: pairs fuse, nops go, jumps follow, and a pair a jump
    /// lands inside, or with a slot beyond 12 bits, stays apart.
    func testPeepholeFusesPairsAndRetargetsJumps() {
        let p = SourcePos(line: 1, col: 1)
        func run(_ code: [UInt32]) -> [UInt32] {
            Peephole.finalCode(code, [SourcePos](repeating: p, count: code.count)).0
        }
        // 0 loadLocal 1; 1 loadLocal 2; 2 nop; 3 loadLocal 3; 4 getAttr 7; 5 jump 0
        XCTAssertEqual(run([w(.loadLocal, 1), w(.loadLocal, 2), w(.nop), w(.loadLocal, 3), w(.getAttr, 7), w(.jump, 0)]),
                       [w(.loadLocal2, 1 | 2 << 12), w(.getLocalAttr, 3), 7, w(.jump, 0)])
        // A jump to index 1 keeps 0 and 1 apart; the jump is retargeted past the nop.
        XCTAssertEqual(run([w(.loadLocal, 1), w(.loadLocal, 2), w(.pop), w(.nop), w(.jumpIfFalse, 1)]),
                       [w(.loadLocal, 1), w(.loadLocal, 2), w(.pop), w(.jumpIfFalse, 1)])
        // A jump landing on a nop lands on what follows it: no fusion across it.
        XCTAssertEqual(run([w(.loadLocal, 1), w(.nop), w(.loadLocal, 2), w(.jump, 1)]),
                       [w(.loadLocal, 1), w(.loadLocal, 2), w(.jump, 1)])
        // Slots of 4096 and up do not fit in half an operand.
        XCTAssertEqual(run([w(.loadLocal, 4096), w(.loadLocal, 1), w(.loadLocal, 2)]),
                       [w(.loadLocal, 4096), w(.loadLocal2, 1 | 2 << 12)])
        // Stores: two in a row, a store then a load; an indexed local read.
        XCTAssertEqual(run([w(.storeLocal, 1), w(.storeLocal, 2), w(.storeLocal, 3), w(.loadLocal, 4),
                            w(.loadLocal, 5), w(.indexImm, 1 << 23)]),
                       [w(.storeLocal2, 1 | 2 << 12), w(.storeLoadLocal, 3 | 4 << 12), w(.localIndexImm, 5), 1 << 23])
        // A jump back to an iterNext becomes jumpIterNext; other jumps stay.
        XCTAssertEqual(run([w(.iterNext, 0), 4, w(.pop), w(.jump, 0), w(.jump, 3)]),
                       [w(.iterNext, 0), 4, w(.pop), w(.jumpIterNext, 0), w(.jump, 3)])
        // A jump to the end of the code stays a jump.
        XCTAssertEqual(run([w(.pop), w(.jump, 2)]), [w(.pop), w(.jump, 2)])
        // Targets in the extra word (iterNext) are retargeted too.
        XCTAssertEqual(run([w(.nop), w(.iterNext, 0), 5, w(.loadLocal, 1), w(.loadLocal, 2), w(.ret)]),
                       [w(.iterNext, 0), 3, w(.loadLocal2, 1 | 2 << 12), w(.ret)])
    }
}
