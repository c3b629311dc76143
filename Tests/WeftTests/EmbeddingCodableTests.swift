// `encode`/`decode` of Codable Swift types through the real Encoder and Decoder
// (issue 10, deliverable 1): structs, enums, nesting, optionals, dates as ISO-8601
// strings, Data as bytes, and failures that name the path.
import Foundation
import XCTest
import Weft

final class EmbeddingCodableTests: XCTestCase {
    struct Order: Codable, Equatable {
        var id: Int
        var items: [String]
        var note: String?
        var customer: Customer
        var status: Status
        var placed: Date
        var signature: Data
        var weights: [String: Double]
        var shipping: Shipping?
    }
    struct Customer: Codable, Equatable { var name: String; var vip: Bool }
    enum Status: String, Codable, Equatable { case open, shipped }
    enum Shipping: Codable, Equatable {
        case pickup
        case courier(company: String, days: Int)
    }

    private let sample = Order(
        id: 7, items: ["tea", "cup"], note: nil, customer: Customer(name: "Ada", vip: true),
        status: .shipped, placed: Date(timeIntervalSince1970: 1_700_000_000), signature: Data([1, 2, 3]),
        weights: ["tea": 0.25], shipping: .courier(company: "Swift", days: 2))

    func testStructsRoundTripAndScriptsSeeMaps() throws {
        let interp = Interpreter()
        let v = try interp.encode(sample)
        XCTAssertEqual(v.typeName, "map")
        interp["order"] = v
        XCTAssertEqual(try interp.eval("order[\"id\"]").as(Int.self), 7)
        XCTAssertEqual(try interp.eval("order[\"items\"][1]").as(String.self), "cup")
        XCTAssertEqual(try interp.eval("\"note\" in order").as(Bool.self), false, "a nil optional is left out")
        XCTAssertEqual(try interp.eval("order[\"customer\"][\"name\"]").as(String.self), "Ada")
        XCTAssertEqual(try interp.eval("order[\"status\"]").as(String.self), "shipped")
        XCTAssertEqual(try interp.eval("order[\"placed\"]").as(String.self), "2023-11-14T22:13:20Z")
        XCTAssertEqual(try interp.eval("type(order[\"signature\"]).name").as(String.self), "bytes")
        XCTAssertEqual(try interp.eval("order[\"shipping\"][\"courier\"][\"days\"]").as(Int.self), 2)
        XCTAssertEqual(try interp.decode(Order.self, from: v), sample)
        // A script changes it; Swift reads the change.
        try interp.eval("order[\"items\"].append(\"pot\")\norder[\"note\"] = \"fragile\"\norder[\"shipping\"] = {\"pickup\": {}}")
        let back = try interp.decode(Order.self, from: interp.global("order"))
        XCTAssertEqual(back.items, ["tea", "cup", "pot"])
        XCTAssertEqual(back.note, "fragile")
        XCTAssertEqual(back.shipping, .pickup)
    }

    func testScriptBuiltValuesDecode() throws {
        let interp = Interpreter()
        let v = try interp.eval("""
            ({"id": 1, "items": [], "customer": {"name": "Bo", "vip": false}, "status": "open",
              "placed": "2024-02-29T12:00:00.5Z", "signature": bytes([]), "weights": {}, "shipping": nil})
            """)
        let o = try interp.decode(Order.self, from: v)
        XCTAssertEqual(o.customer.name, "Bo")
        XCTAssertNil(o.shipping)
        XCTAssertEqual(o.placed.timeIntervalSince1970, 1_709_208_000.5, accuracy: 0.001)
        // Fractional seconds survive a round trip.
        XCTAssertEqual(try interp.decode(Date.self, from: interp.encode(o.placed)), o.placed)
    }

    func testTopLevelScalarsArraysAndDictionaries() throws {
        XCTAssertEqual(try Value.encode(5), 5)
        XCTAssertEqual(try Value.encode([1, 2]), [1, 2])
        XCTAssertEqual(try Value.encode(["a": [true]]), ["a": [true]])
        XCTAssertEqual(try Value.encode(Status.open), "open")
        XCTAssertEqual(try Value.encode(UInt8(200)), 200)
        XCTAssertEqual(try Value.int(3).decode(Int16.self), 3)
        XCTAssertEqual(try Value.list([1, 2]).decode([Int].self), [1, 2])
        XCTAssertEqual(try Value.nil.decode(Int?.self), nil)
        XCTAssertThrowsError(try Value.encode(UInt64.max)) { e in
            XCTAssertTrue(e is EncodingError, "\(e)")
        }
    }

    func testDecodeFailuresNameThePath() throws {
        let interp = Interpreter()
        try interp.eval("""
            let order = {"id": 1, "items": ["a", "b", 3], "customer": {"name": "Bo", "vip": 1},
                         "status": "lost", "placed": "yesterday", "signature": bytes([]), "weights": {}}
            """)
        func message<T: Decodable>(_ type: T.Type, _ source: String) -> String {
            do {
                let v = try interp.eval(source)
                _ = try interp.decode(type, from: v)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let order = try interp.global("order")
        struct Items: Decodable { var items: [String] }
        struct Wrapper: Decodable { var order: Items }
        XCTAssertThrowsError(try interp.decode(Items.self, from: order)) { e in
            XCTAssertEqual("\(e)", "order.items[2]: expected String, got int")
        }
        XCTAssertThrowsError(try interp.decode([String: Customer].self, from: order)) { e in
            XCTAssertEqual("\(e)", "order.id: expected a keyed container (map), got int")
        }
        struct Nested: Decodable { var customer: Customer }
        XCTAssertThrowsError(try interp.decode(Nested.self, from: order)) { e in
            XCTAssertEqual("\(e)", "order.customer.vip: expected Bool, got int")
        }
        XCTAssertEqual(message(Wrapper.self, "({\"order\": {\"items\": [1]}})"), "order.items[0]: expected String, got int")
        XCTAssertEqual(message(Customer.self, "({\"name\": \"x\"})"), "vip: expected a value, got missing key")
        XCTAssertTrue(message(Status.self, "\"lost\"").contains("Cannot initialize Status from invalid String value lost"))
        XCTAssertEqual(message(Date.self, "\"yesterday\""), "expected Date, got str that is not an ISO-8601 date")
        XCTAssertEqual(message(Int8.self, "300"), "expected Int8, got int 300 out of range")
        XCTAssertEqual(message([Int].self, "({})"), "expected an unkeyed container (list), got map")
    }
}

extension EmbeddingCodableTests {
    indirect enum Nest: Decodable { case leaf, node([Nest]) }

    /// A hostile script's deeply nested value fails to decode into a recursive type
    /// instead of overflowing the host's stack.
    func testDeeplyNestedValuesFailToDecode() throws {
        let interp = Interpreter()
        let deep = try interp.eval("var x = {\"leaf\": {}}\nfor i in 0..<2000 { x = {\"node\": {\"_0\": [x]}} }\nx")
        XCTAssertThrowsError(try interp.decode(Nest.self, from: deep)) { e in
            XCTAssertTrue("\(e)".hasSuffix("expected Nest, got a value nested more than 512 deep"), "\(e)")
        }
        let shallow = try interp.eval("({\"node\": {\"_0\": [{\"leaf\": {}}, {\"node\": {\"_0\": []}}]}})")
        guard case .node(let kids) = try interp.decode(Nest.self, from: shallow) else { return XCTFail() }
        XCTAssertEqual(kids.count, 2)
    }
}
