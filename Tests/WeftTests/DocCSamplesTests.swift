// The code samples of the DocC catalog (Sources/Weft/Weft.docc: Weft.md and
// EmbeddingGuide.md), compiled and run with their results checked. Keep them in step
// with the articles when either changes.
import Foundation
import XCTest
import Weft

final class DocCSamplesTests: XCTestCase {
    func testCatalogSamplesCompileAndRun() throws {
        do {
            let weft = Interpreter(options: .init(capabilities: [.threads], instructionBudget: 1_000_000))
            weft.define("greet") { args in .string("hello, " + (try args[0].as(String.self))) }
            let text = try weft.eval("greet(\"Ada\")").as(String.self)     // "hello, Ada"
            XCTAssertEqual(text, "hello, Ada")
        }
        do {
            let weft = Interpreter(options: .init(maxCallDepth: 10_000, capabilities: [.fileRead]))
            weft.output = { text in print(text, terminator: "") }    // where print() goes
            weft.input = { prompt in readLine() }                     // input(); nil is end of input
            let three = try weft.eval("1 + 2")                        // a Value
            XCTAssertEqual(three, 3)
            let a: Value = 3
            let c: Value = ["retries": 3, "name": "demo", "tags": ["x", nil]]
            let d = Value.string("Ada"), e = Value.bytes(Data([1, 2])), f = Value.nil
            _ = (a, d, e, f)
            weft["config"] = c                                        // a global
            let n = try weft.eval("40 + 2").as(Int.self)              // or: try Int(value)
            let xs = try weft.eval("[\"a\", \"b\"]").as([String].self)
            let maybe = try weft.eval("nil").as(Int?.self)            // nil
            XCTAssertEqual(n, 42); XCTAssertEqual(xs, ["a", "b"]); XCTAssertNil(maybe)
            struct Order: Codable { var id: Int; var items: [String] }
            weft["order"] = try weft.encode(Order(id: 1, items: ["a"]))
            let back = try weft.decode(Order.self, from: weft.eval("order"))
            XCTAssertEqual(back.items, ["a"])
            weft.define("fetch", arity: 1...2, keywords: ["timeout"]) { args in
                let url = try args[0].as(String.self)                 // mismatch: TypeError in the script
                let retries = try args[1, default: 0]
                let timeout = try args["timeout", default: 5.0]
                return .string("fetched \(url) within \(timeout)s after \(retries) retries")
            }
            XCTAssertEqual(try weft.eval("fetch(\"u\", 2, timeout: 1.5)").as(String.self), "fetched u within 1.5s after 2 retries")
            weft.defineModule("inventory") { m in                     // `import inventory`
                m.define("count") { args in .int(try args[0].as(String.self).count) }
                m["VERSION"] = "1.0"
            }
            XCTAssertEqual(try weft.eval("import inventory\ninventory.count(\"abc\")").as(Int.self), 3)
            weft.register(DocCounter.self)
            let hits = DocCounter()
            weft["hits"] = .object(hits)
            let same = try weft.global("hits").as(DocCounter.self)
            XCTAssertTrue(same === hits)
            XCTAssertEqual(try weft.eval("hits.add(2)\nstr(hits) + \" \" + str(isinstance(hits, DocCounter)) + \" \" + type(hits).name").as(String.self), "DocCounter(2) true DocCounter")
            try weft.eval("fn handle(id, name, sep = \"-\") { return str(id) + sep + name }")
            let r1 = try weft.call("handle", 1, "x")
            let r2 = try weft.call("handle", arguments: [1, "x"], keywords: ["sep": "+"])
            let handle = try weft.global("handle")
            let r3 = try handle.call(1, "x")
            XCTAssertEqual([r1, r2, r3].map(\.description), ["1-x", "1+x", "1-x"])
        }
        do {
            let weft = Interpreter(options: .init(capabilities: [.threads]))
            weft.define("square") { args in .int(try args[0].as(Int.self) * (try args[0].as(Int.self))) }
            let squares = try weft.eval("""
                let p = pool(workers: 4)
                let results = p.map(square, [1, 2, 3, 4])    # square runs on 4 script threads
                p.shutdown(wait: true)
                results
                """).as([Int].self)                                   // [1, 4, 9, 16]
            try weft.waitForThreads()                                 // what the CLI does at program end
            XCTAssertEqual(squares, [1, 4, 9, 16])
        }
        do {
            let sandbox = Interpreter(options: .init(
                maxCallDepth: 1_000,              // RecursionError
                capabilities: [],
                maxThreads: 8,                    // LimitError: thread limit of 8 reached
                instructionBudget: 1_000_000,     // LimitError: instruction budget of 1000000 exceeded
                wallTimeLimit: 2.5,               // LimitError: wall time limit of 2.5 s exceeded
                progressInterval: 100_000,
                onProgress: { progress in progress.instructions > 500_000 ? .stop : .continue }))
            XCTAssertThrowsError(try sandbox.eval("while true {}"))
            XCTAssertThrowsError(try sandbox.eval("import http\nhttp.get(\"http://x\")")) { error in
                XCTAssertEqual((error as? ScriptError)?.description, "PermissionError: network is not granted (http.get)")
            }
        }
    }
}
final class DocCounter: HostObject, @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) -> Int { lock.lock(); defer { lock.unlock() }; n += k; return n }
    static func describe(_ t: HostType<DocCounter>) {
        t.method("add") { this, args in .int(this.add(try args[0, default: 1])) }
        t.property("count", get: { .int($0.add(0)) })
        t.description { "DocCounter(\($0.add(0)))" }
    }
}
