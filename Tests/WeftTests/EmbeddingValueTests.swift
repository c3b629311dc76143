// The public `Value` (issue 10, deliverable 1): constructors, literals, printing,
// equality and every typed conversion both ways, with the path in failure messages.
// Plain `import Weft`: everything here must work from outside the module.
import Foundation
import XCTest
import Weft

final class EmbeddingValueTests: XCTestCase {
    /// The error a failing conversion throws, as text.
    private func failure(_ body: () throws -> Any) -> String {
        do {
            let v = try body()
            return "no error (got \(v))"
        } catch let e as ConversionError {
            return e.description
        } catch {
            return "other error: \(error)"
        }
    }

    func testConstructorsAndLiteralsBuildTheValuesScriptsSee() throws {
        let interp = Interpreter()
        let values: [(Value, String, String)] = [
            (.int(3), "int", "3"), (3, "int", "3"),
            (.double(2.5), "float", "2.5"), (.float(2.0), "float", "2.0"), (2.5, "float", "2.5"),
            (.bool(true), "bool", "true"), (false, "bool", "false"),
            (.string("Ada"), "str", "Ada"), ("Ada", "str", "Ada"),
            (.nil, "nil", "nil"), (nil, "nil", "nil"),
            (.bytes(Data([104, 105])), "bytes", "b\"hi\""),
            ([1, "two", nil], "list", "[1, \"two\", nil]"),
            (.list([.int(1), .list([])]), "list", "[1, []]"),
            (["retries": 3, "name": "demo"], "map", "{\"retries\": 3, \"name\": \"demo\"}"),
            (.map(["b": 2, "a": 1] as [String: Value]), "map", "{\"a\": 1, \"b\": 2}"),
        ]
        for (v, type, text) in values {
            XCTAssertEqual(v.typeName, type, text)
            XCTAssertEqual(v.description, text)
            // The script sees the same value.
            interp["v"] = v
            XCTAssertEqual(try interp.eval("type(v).name").as(String.self), type)
            XCTAssertEqual(try interp.eval("str(v)").as(String.self), text)
        }
        XCTAssertEqual(Value.string("a\"b").debugDescription, "\"a\\\"b\"")
    }

    func testKinds() throws {
        let interp = Interpreter()
        XCTAssertEqual(Value.int(1).kind, .int)
        XCTAssertEqual(Value.double(1).kind, .float)
        XCTAssertEqual(Value.nil.kind, .nil)
        XCTAssertEqual(Value.bytes(Data()).kind, .bytes)
        XCTAssertEqual(try interp.eval("fn(x) => x").kind, .function)
        XCTAssertEqual(try interp.eval("print").kind, .function)
        XCTAssertEqual(try interp.eval("class P {}\nP()").kind, .scriptObject)
        XCTAssertEqual(try interp.eval("queue()").kind, .other)
        XCTAssertTrue(Value.nil.isNil)
        XCTAssertFalse(Value.int(0).isNil)
    }

    func testEqualityFollowsWeftEqualsForData() throws {
        let interp = Interpreter()
        XCTAssertEqual(Value.int(1), Value.double(1.0))
        XCTAssertNotEqual(Value.int(1), Value.string("1"))
        XCTAssertEqual(try interp.eval("[1, {\"a\": [2.0]}]"), [1, ["a": [2]]])
        XCTAssertNotEqual(try interp.eval("[1, 2]"), [1, 2, 3])
        XCTAssertEqual(try interp.eval("\"ab\" + \"c\""), "abc")
        XCTAssertNotEqual(Value.double(.nan), Value.double(.nan))
        XCTAssertEqual(Value.bytes(Data([1, 2])), try interp.eval("bytes([1, 2])"))
        // Script objects compare by identity.
        try interp.eval("class P {}\nlet p = P()\nlet q = P()")
        XCTAssertEqual(try interp.global("p"), try interp.global("p"))
        XCTAssertNotEqual(try interp.global("p"), try interp.global("q"))
    }

    func testScalarConversionsBothWays() throws {
        let interp = Interpreter()
        XCTAssertEqual(try interp.eval("40 + 2").as(Int.self), 42)
        XCTAssertEqual(try Int(interp.eval("7")), 7)
        XCTAssertEqual(try interp.eval("9007199254740993").as(Int.self), 9007199254740993)   // boxed int
        XCTAssertEqual(try interp.eval("1.5").as(Double.self), 1.5)
        XCTAssertEqual(try Double(interp.eval("2")), 2.0, "an int widens to a double")
        XCTAssertEqual(try interp.eval("0.5").as(Float.self), 0.5)
        XCTAssertEqual(try interp.eval("1 < 2").as(Bool.self), true)
        XCTAssertEqual(try Bool(interp.eval("false")), false)
        XCTAssertEqual(try interp.eval("\"é\" * 2").as(String.self), "éé")
        XCTAssertEqual(try String(interp.eval("\"x\"")), "x")
        XCTAssertEqual(try interp.eval("bytes([1, 2, 255])").as(Data.self), Data([1, 2, 255]))
        // Swift to Weft.
        XCTAssertEqual(Value(42).description, "42")
        XCTAssertEqual(Value("s").typeName, "str")
        XCTAssertEqual(Value(true).typeName, "bool")
        XCTAssertEqual(Value(1.5).typeName, "float")
        XCTAssertEqual(Value(Data([0x41])).description, "b\"A\"")
    }

    func testContainerAndOptionalConversions() throws {
        let interp = Interpreter()
        XCTAssertEqual(try interp.eval("[1, 2, 3]").as([Int].self), [1, 2, 3])
        XCTAssertEqual(try [String](interp.eval("[\"a\", \"b\"]")), ["a", "b"])
        XCTAssertEqual(try interp.eval("[[1], [], [2, 3]]").as([[Int]].self), [[1], [], [2, 3]])
        XCTAssertEqual(try interp.eval("({\"a\": 1.5, \"b\": 2})").as([String: Double].self), ["a": 1.5, "b": 2])
        XCTAssertEqual(try [String: [Int]](interp.eval("({\"xs\": [1, 2]})")), ["xs": [1, 2]])
        XCTAssertEqual(try interp.eval("nil").as(Int?.self), nil)
        XCTAssertEqual(try interp.eval("5").as(Int?.self), 5)
        XCTAssertEqual(try Optional<String>(interp.eval("nil")), nil)
        XCTAssertEqual(try interp.eval("[1, nil, 3]").as([Int?].self), [1, nil, 3])
        XCTAssertEqual(try interp.eval("[1, \"x\"]").as([Value].self), [1, "x"])
        XCTAssertEqual(try interp.eval("({\"k\": [1]})").as([String: Value].self)["k"], [1])
        XCTAssertEqual(try interp.eval("3").as(Value.self), 3)
        // Swift to Weft.
        XCTAssertEqual(Value([1, 2]).description, "[1, 2]")
        XCTAssertEqual(Value(["a": [true]]).description, "{\"a\": [true]}")
        XCTAssertEqual(Value([Int?.none, 1]).description, "[nil, 1]")
        XCTAssertEqual(Value(Optional<Int>.none), .nil)
        // Round trips through a script.
        interp["xs"] = Value([[1, 2], [3]])
        XCTAssertEqual(try interp.eval("xs[0] + xs[1]").as([Int].self), [1, 2, 3])
        interp["m"] = Value(["x": 1.5])
        XCTAssertEqual(try interp.eval("m[\"x\"] * 2").as(Double.self), 3.0)
    }

    func testConversionFailuresNameTypeAndPath() throws {
        let interp = Interpreter()
        XCTAssertEqual(failure { try interp.eval("\"3\"").as(Int.self) }, "expected Int, got str")
        XCTAssertEqual(failure { try interp.eval("2.5").as(Int.self) }, "expected Int, got float")
        XCTAssertEqual(failure { try interp.eval("1").as(Bool.self) }, "expected Bool, got int")
        XCTAssertEqual(failure { try interp.eval("nil").as(String.self) }, "expected String, got nil")
        XCTAssertEqual(failure { try interp.eval("1").as(Data.self) }, "expected Data, got int")
        XCTAssertEqual(failure { try interp.eval("\"x\"").as(Int?.self) }, "expected Int?, got str")
        XCTAssertEqual(failure { try interp.eval("[1, 2, \"3\"]").as([Int].self) }, "[2]: expected Int, got str")
        XCTAssertEqual(failure { try interp.eval("({\"a\": 1})").as([Int].self) }, "expected [Int], got map")
        XCTAssertEqual(failure { try interp.eval("({1: 1})").as([String: Int].self) },
                       "expected [String: Int], got map with a int key")
        // The path starts at the global the value came from.
        try interp.eval("let order = {\"id\": 1, \"items\": [1, 2, \"three\"]}")
        let order = try interp.global("order")
        XCTAssertEqual(failure { try order.as([String: [Int]].self) }, "order.id: expected [Int], got int")
        XCTAssertEqual(failure { try order.attribute("nope") }, "other error: AttributeError: 'map' object has no attribute 'nope'")
        XCTAssertEqual(failure { try interp.global("order").as([String: Value].self)["items"]!.as([Int].self) },
                       "order.items[2]: expected Int, got str")
        do {
            _ = try interp.global("order").as(Int.self)
            XCTFail("no error")
        } catch let c as ConversionError {
            XCTAssertEqual(c.path, "order")
            XCTAssertEqual(c.expected, "Int")
            XCTAssertEqual(c.actual, "map")
        }
    }
}
