// The three forms a string object keeps its bytes in (Sources/Weft/Values/StrObj.swift,
// docs/vm.md §5): a small Swift String (up to 15 bytes), the bytes themselves in the
// object (16 to 24) and a Swift String's storage (longer). Every way of making a
// string must give the same bytes, count, hash, equality and order whatever the
// form, and a dead string must release what its form holds.
import XCTest
@testable import Weft
import CWeftSupport

final class StringFormsTests: XCTestCase {
    private func address(_ o: AnyObject) -> UInt { UInt(bitPattern: Unmanaged.passUnretained(o).toOpaque()) }

    /// Texts at and around each boundary, ASCII and not.
    private let texts: [String] = [
        "", "a", "fifteen bytes!!", "sixteen bytes!!!", "eighteen-byte key!",
        "twenty-four bytes, just!", "twenty-five bytes, just!!", "ünïcödé ✓ sixteen",
        "naïve café ✓ 24 bytes!", String(repeating: "long text ", count: 10),
    ]

    /// Up to 24 bytes, the bytes are lent from inside the object, right after the
    /// header and flag bytes (`contentsOffset`); `value` gives back the text.
    func testStringsOfUpTo24BytesKeepTheirBytesInTheObject() {
        for text in texts {
            let s = StrObj(text)
            let (at, bytes) = s.withUTF8Bytes { (UInt(bitPattern: $0.baseAddress), Array($0)) }
            XCTAssertEqual(bytes, Array(text.utf8), text)
            XCTAssertEqual(s.value, text)
            XCTAssertEqual(s.count, text.unicodeScalars.count)
            XCTAssertEqual(s.utf8Count, text.utf8.count)
            if text.utf8.count <= StrObj.inlineCapacity {
                XCTAssertEqual(at, address(s) + UInt(StrObj.contentsOffset), "\(text): bytes not in the object")
            } else {
                XCTAssertFalse(at >= address(s) && at < address(s) + 80, "\(text): long bytes in the object?")
            }
        }
    }

    /// Slicing, joining, concatenation and `str()` of each text give strings equal to
    /// it, with its hash and count, whichever path made them.
    func testEveryWayOfMakingAStringAgrees() throws {
        let interp = Interpreter()
        for text in texts {
            let made = StrObj(text)
            let lit = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            let n = text.unicodeScalars.count
            let ways = [
                "\"\(lit)\"",
                "(\"<\" + \"\(lit)\" + \">\")[1:\(n + 1)]",
                "\"\".join([\"\(lit)\"[:\(n / 2)], \"\(lit)\"[\(n / 2):]])",
                "\"\(lit)\"[:\(n / 3)] + \"\(lit)\"[\(n / 3):]",
                "\"\\(\"\(lit)\")\"",
            ]
            for way in ways {
                let w = try interp.eval(way).word
                XCTAssertTrue(w.isStr, way)
                w.withObject(StrObj.self) { s in
                    XCTAssertEqual(s.value, text, way)
                    XCTAssertEqual(s.count, made.count, way)
                    XCTAssertTrue(strEqual(s, made), way)
                    XCTAssertEqual(s.hashValue32, made.hashValue32, way)
                }
            }
        }
    }

    /// Order compares the bytes in place: code-point order, shorter first on a tie,
    /// the same as on Swift's UTF-8 views, across every pair of forms.
    func testOrderIsCodePointOrderAcrossForms() {
        let all = texts + ["sixteen bytes!!", "sixteen bytes!!!!", "eighteen-byte key", "é", "e"]
        for a in all {
            for b in all {
                XCTAssertEqual(strLess(StrObj(a), StrObj(b)), strLess(a, b), "\(a) < \(b)")
            }
        }
    }

    /// A rope whose suffix is of each form flattens to the right text.
    func testRopesFlattenWithSuffixesOfEveryForm() {
        let head = StrObj(String(repeating: "h", count: StrObj.ropeThreshold))
        for text in texts where !text.isEmpty {
            let rope = StrObj.concat(StrObj.concat(head, StrObj(text)), StrObj(text))
            XCTAssertEqual(rope.utf8Count, head.utf8Count + 2 * text.utf8.count)
            XCTAssertEqual(rope.value, head.value + text + text)
            XCTAssertTrue(strEqual(rope, StrObj(head.value + text + text)))
        }
    }

    /// A dead long string releases its Swift storage: the storage object's count
    /// falls back to the one reference the test keeps. (The sweep frees strings
    /// directly, with `releaseOwnedStorage`, so the String in the object must be
    /// released there.)
    func testDeadLongStringsReleaseTheirStorage() throws {
        let interp = Interpreter()
        let text = String(repeating: "storage ", count: 8)
        var storage: UnsafeRawPointer?
        do {
            let s = StrObj(text)
            // A native Swift string's bytes follow its 32-byte storage header.
            storage = s.withUTF8Bytes { UnsafeRawPointer($0.baseAddress!) - 32 }
            XCTAssertEqual(weft_held_only_by_collector(storage!), 0, "the text and the object")
        }
        _ = try interp.eval("import gc\ngc.collect()")
        XCTAssertEqual(weft_held_only_by_collector(storage!), 1, "the dead string kept its storage")
        XCTAssertEqual(text.count, 64)
    }

    /// `str(i)`, interpolation and printing write an int's digits themselves
    /// (`StrObj.withDecimal`): the same text as Swift's `String(i)` at every length,
    /// both signs and both ends of the range, in the form the length picks.
    func testIntsAreWrittenAsSwiftWritesThem() throws {
        var values = [0, 1, -1, 9, 10, -10, 99, 100, Int.max, Int.min, Int.min + 1]
        var p = 1
        for _ in 0..<18 { p *= 10; values += [p - 1, p, -p, -(p - 1)] }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 { values.append(Int.random(in: Int.min...Int.max, using: &rng) >> Int.random(in: 0...62, using: &rng)) }
        for i in values {
            let s = StrObj.decimal(i)
            XCTAssertEqual(s.value, String(i))
            XCTAssertEqual(s.count, String(i).count)
            XCTAssertEqual(StrObj.decimalString(i), String(i))
            XCTAssertTrue(strEqual(s, StrObj(String(i))))
            XCTAssertEqual(s.hashValue32, StrObj(String(i)).hashValue32)
        }
        let interp = Interpreter()
        XCTAssertEqual(try interp.eval("[str(-9223372036854775807 - 1), \"\\(10 ** 15)\", str(-42)]").description,
                       "[\"-9223372036854775808\", \"1000000000000000\", \"-42\"]")
    }

    /// k-nucleotide's case: slices of 16 to 24 ASCII bytes used as map keys find
    /// the keys made by other paths, survive collections and compare by content.
    func testMediumKeysSurviveCollections() throws {
        let interp = Interpreter()
        let out = try interp.eval("""
            import gc
            let seq = "GGTATTTTAATTTATAGTGGTATTTTAATTTATAGT"
            let m = {}
            for i in 0..<len(seq) - 17 { let k = seq[i:i + 18]; m[k] = m.get(k, default: 0) + 1 }
            gc.collect()
            [m["GGTATTTTAATTTATAGT"], m.get("GGTATTTTAATTTATAG" + "T", default: -1), len(m), sorted(m.keys())[0]]
            """)
        XCTAssertEqual(out.description, "[2, 2, 18, \"AATTTATAGTGGTATTTT\"]")
    }
}
