// Host objects (issue 10, deliverable 3): a Swift class used from scripts with
// methods and properties, its type name, isinstance, printing, identity across
// round trips, and scripts keeping it alive.
import Foundation
import XCTest
import Weft

/// A thread-safe counter scripts can use.
final class ScriptCounter: HostObject, @unchecked Sendable {
    private let lock = NSLock()
    private var _count = 0
    var label: String
    let created = "today"
    static let liveCount = LiveCount()

    init(label: String = "c", start: Int = 0) {
        self.label = label; _count = start
        ScriptCounter.liveCount.add(1)
    }
    deinit { ScriptCounter.liveCount.add(-1) }

    var count: Int {
        get { lock.lock(); defer { lock.unlock() }; return _count }
        set { lock.lock(); _count = newValue; lock.unlock() }
    }

    func add(_ n: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        _count += n
        return _count
    }

    static var scriptTypeName: String { "Counter" }

    static func describe(_ t: HostType<ScriptCounter>) {
        t.property("count", \.count)
        t.property("label", \.label)
        t.property("created", \.created)
        t.property("double", get: { .int($0.count * 2) })
        t.method("add", arity: 0...1) { this, args in .int(this.add(try args[0, default: 1])) }
        t.method("same", arity: 1...1) { this, args in .bool(try args[0].as(ScriptCounter.self) === this) }
        t.method("me") { this, _ in .object(this) }
        t.method("fail") { _, _ in throw HostError("counter broke", kind: "ValueError") }
        t.initializer { args in ScriptCounter(label: try args["label", default: "new"], start: try args[0, default: 0]) }
        t.description { "Counter(\($0.label)=\($0.count))" }
    }
}

final class LiveCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ d: Int) { lock.lock(); n += d; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

/// A host class without an initializer or description.
final class Opaque: HostObject {
    static func describe(_ t: HostType<Opaque>) {}
}

final class EmbeddingHostObjectTests: XCTestCase {
    func outcome(_ interp: Interpreter, _ source: String) -> String {
        do { return try interp.eval(source).description } catch let e as ScriptError { return "\(e.kind): \(e.message)" } catch {
            return "other: \(error)"
        }
    }

    func testMethodsPropertiesTypeAndPrinting() throws {
        let interp = Interpreter()
        interp.register(ScriptCounter.self)
        let c = ScriptCounter(label: "hits")
        interp["c"] = .object(c)
        XCTAssertEqual(outcome(interp, "c.add()\nc.add(5)"), "6")
        XCTAssertEqual(c.count, 6)
        XCTAssertEqual(outcome(interp, "c.count = 10\nc.count + c.double"), "30")
        XCTAssertEqual(c.count, 10)
        XCTAssertEqual(outcome(interp, "c.label"), "hits")
        XCTAssertEqual(outcome(interp, "type(c).name + \" \" + str(type(c))"), "Counter Counter")
        XCTAssertEqual(outcome(interp, "isinstance(c, Counter)"), "true")
        XCTAssertEqual(outcome(interp, "isinstance(1, Counter)"), "false")
        XCTAssertEqual(outcome(interp, "str(c) + \" \" + repr([c])"), "Counter(hits=10) [Counter(hits=10)]")
        XCTAssertEqual(try interp.global("c").description, "Counter(hits=10)")
        XCTAssertEqual(try interp.global("c").kind, .hostObject)
        XCTAssertEqual(try interp.global("c").typeName, "Counter")
        // Errors: wrong types, read-only and unknown members, thrown errors.
        XCTAssertEqual(outcome(interp, "c.count = \"x\""), "TypeError: Counter.count: expected Int, got str")
        XCTAssertEqual(outcome(interp, "c.created = \"x\""), "AttributeError: 'Counter.created' is read-only")
        XCTAssertEqual(outcome(interp, "c.double = 1"), "AttributeError: 'Counter.double' is read-only")
        XCTAssertEqual(outcome(interp, "c.nope"), "AttributeError: 'Counter' object has no attribute 'nope'")
        XCTAssertEqual(outcome(interp, "c.add(1, 2)"), "TypeError: Counter.add() takes 0 to 1 arguments (2 given)")
        XCTAssertEqual(outcome(interp, "c.add(\"x\")"), "TypeError: Counter.add() argument 1: expected Int, got str")
        XCTAssertEqual(outcome(interp, "c.same(1)"), "TypeError: Counter.same() argument 1: expected Counter, got int")
        XCTAssertEqual(outcome(interp, "var r = nil\ntry { c.fail() } catch e: ValueError { r = e.message }\nr"), "counter broke")
        // A bound method is a value.
        XCTAssertEqual(outcome(interp, "let f = c.add\nf(2)"), "12")
    }

    func testScriptsCreateInstancesThroughTheInitializer() throws {
        let interp = Interpreter()
        interp.register(ScriptCounter.self)
        interp.register(Opaque.self)
        XCTAssertEqual(outcome(interp, "let d = Counter(3, label: \"made\")\nd.add()\nstr(d)"), "Counter(made=4)")
        let d = try XCTUnwrap(try interp.global("d").hostObject(ScriptCounter.self))
        XCTAssertEqual(d.count, 4)
        XCTAssertEqual(try interp.global("d").as(ScriptCounter.self).label, "made")
        XCTAssertEqual(outcome(interp, "Opaque()"), "TypeError: cannot create 'Opaque' instances")
        interp["o"] = .object(Opaque())
        XCTAssertEqual(outcome(interp, "str(o) + \" \" + type(o).name"), "<Opaque> Opaque")
        XCTAssertThrowsError(try interp.global("o").as(ScriptCounter.self)) { e in
            XCTAssertEqual("\(e)", "o: expected Counter, got Opaque")
        }
    }

    func testIdentityIsPreservedAcrossRoundTrips() throws {
        let interp = Interpreter()
        let c = ScriptCounter()
        interp["a"] = .object(c)
        interp["b"] = .object(c)
        XCTAssertEqual(outcome(interp, "a is b"), "true")
        XCTAssertEqual(outcome(interp, "a.me() is a"), "true")
        XCTAssertEqual(outcome(interp, "a.same(b)"), "true")
        XCTAssertTrue(try interp.eval("a.me()").hostObject(ScriptCounter.self) === c)
        XCTAssertEqual(try interp.eval("a"), Value.object(c))
        // A different Swift object is a different script object.
        interp["z"] = .object(ScriptCounter())
        XCTAssertEqual(outcome(interp, "a is z"), "false")
        // Identity holds across collections too.
        XCTAssertEqual(outcome(interp, "import gc\ngc.collect()\na.me() is b"), "true")
    }

    func testAScriptHoldingAHostObjectKeepsItAlive() throws {
        let interp = Interpreter()
        let before = ScriptCounter.liveCount.value
        do {
            let c = ScriptCounter(label: "kept", start: 41)
            interp["kept"] = .object(c)
            interp["dropped"] = .object(ScriptCounter(label: "gone"))
        }
        XCTAssertEqual(ScriptCounter.liveCount.value, before + 2)
        try interp.eval("dropped = nil\nimport gc\ngc.collect()\ngc.collect()")
        // Released by the collector once nothing refers to it.
        let deadline = Date().addingTimeInterval(5)
        while ScriptCounter.liveCount.value > before + 1 && Date() < deadline { usleep(1000) }
        XCTAssertEqual(ScriptCounter.liveCount.value, before + 1, "the dropped counter was freed, the kept one not")
        XCTAssertEqual(outcome(interp, "kept.add()"), "42")
    }
}

/// A host class whose description itself uses another host class (the type table
/// is not locked while `describe` runs, so this does not deadlock).
final class Shelf: HostObject {
    static let sample = Value.object(Opaque())
    static func describe(_ t: HostType<Shelf>) {
        let item = sample
        t.method("item") { _, _ in item }
    }
}

extension EmbeddingHostObjectTests {
    func testDescribeMayUseOtherHostTypes() throws {
        let interp = Interpreter()
        interp["s"] = .object(Shelf())
        XCTAssertEqual(outcome(interp, "type(s.item()).name + \" \" + str(s.item() is s.item())"), "Opaque true")
    }
}
