// The README's embedding example, compiled and run. Between the markers below is an
// exact copy of the README's code block (without its two imports, which are above);
// `testREADMEMatchesThisFile` fails when the two drift apart.
import Foundation
import XCTest
import Weft

// README BEGIN
struct Order: Codable { var id: Int; var items: [String] }

final class Counter: HostObject, @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) -> Int { lock.lock(); defer { lock.unlock() }; n += k; return n }
    static func describe(_ t: HostType<Counter>) {
        t.method("add") { this, args in .int(this.add(try args[0, default: 1])) }
        t.property("count", get: { .int($0.add(0)) })
    }
}

func embeddingExample() throws {
    let weft = Interpreter(options: .init(maxCallDepth: 10_000, capabilities: [.fileRead]))
    weft.output = { text in print(text, terminator: "") }   // where print() goes

    let three = try weft.eval("1 + 2")                      // a Value: 3
    let n = try weft.eval("40 + 2").as(Int.self)            // 42
    weft["config"] = ["retries": 3, "name": "demo"]         // literals build Values

    weft.define("fetch") { args in                          // callable from every script thread
        let url = try args[0].as(String.self)               // mismatch -> TypeError in the script
        let timeout = try args["timeout", default: 5.0]
        return .string("fetched \(url) within \(timeout)s")
    }
    weft.defineModule("inventory") { m in                   // `import inventory`
        m.define("count") { args in .int(try args[0].as(String.self).count) }
        m["VERSION"] = "1.0"
    }
    weft.register(Counter.self)                             // `Counter` for isinstance
    let hits = Counter()
    weft["hits"] = .object(hits)                            // a host object

    try weft.eval("""
        import inventory
        fn handle(id, name) {
          hits.add()
          return fetch(name, timeout: 1.5) + " v" + inventory.VERSION
        }
        """)
    let handle = try weft.global("handle")                  // a script function
    let reply = try handle.call(1, "x")                     // or weft.call("handle", 1, "x")

    weft["order"] = try weft.encode(Order(id: 1, items: ["a"]))
    let order = try weft.decode(Order.self, from: weft.eval("order"))

    do { _ = try weft.eval("1 / 0") }
    catch let e as ScriptError { print(e.kind, e.message, e.line, e.column, e.trace) }
    catch let e as SourceError { print(e) }                 // syntax/compile errors, with carets

    print(three, n, reply, order.items, hits.add(0))        // 3 42 fetched x within 1.5s v1.0 ["a"] 1
    try weft.waitForThreads()                               // what the CLI does at program end
}
// README END

final class EmbeddingReadmeTests: XCTestCase {
    func testREADMEExampleRuns() throws {
        XCTAssertNoThrow(try embeddingExample())
    }

    func testREADMEMatchesThisFile() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let mine = try String(contentsOf: here, encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "## Embedding\n"))
        let open = try XCTUnwrap(readme.range(of: "```swift\n", range: section.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "```\n", range: open.upperBound..<readme.endIndex))
        let block = String(readme[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "import Foundation\nimport Weft\n\n", with: "")
        let begin = try XCTUnwrap(mine.range(of: "// README BEGIN\n"))
        let end = try XCTUnwrap(mine.range(of: "// README END\n"))
        XCTAssertEqual(String(mine[begin.upperBound..<end.lowerBound]), block)
    }
}
