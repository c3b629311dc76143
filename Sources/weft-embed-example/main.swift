// weft-embed-example: a Swift program that embeds Weft (see docs/embedding.md).
//
// It exposes a Swift function (`price`), a host object (`Stock`) and a Codable model
// (`Order` in, `Invoice` out), then runs a script whose `pool` prices an order's lines
// on several script threads at once, each calling back into Swift (four are inside
// the Swift function at the same time; it checks). Everything it
// prints is deterministic; EmbedExampleTests runs it and checks the output.
import Foundation
import Weft

// The Codable model: encoded into the script as maps and lists, decoded back.
struct Item: Codable { var sku: String; var qty: Int }
struct Order: Codable { var id: Int; var customer: String; var items: [Item] }
struct Line: Codable { var sku: String; var qty: Int; var amount: Double }
struct Invoice: Codable { var orderId: Int; var lines: [Line]; var total: Double }

// A host object: a Swift class scripts call methods on. The pool calls it from several
// threads at once, so it takes a lock.
final class Stock: HostObject, @unchecked Sendable {
    private let lock = NSLock()
    private var onHand: [String: Int]
    private var reservations = 0

    init(_ onHand: [String: Int]) { self.onHand = onHand }

    /// Takes `qty` of `sku` off the shelf; false when there is not enough.
    func reserve(_ sku: String, _ qty: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let have = onHand[sku], have >= qty else { return false }
        onHand[sku] = have - qty
        reservations += 1
        return true
    }

    func left(_ sku: String) -> Int { lock.lock(); defer { lock.unlock() }; return onHand[sku] ?? 0 }
    var reservationCount: Int { lock.lock(); defer { lock.unlock() }; return reservations }

    static func describe(_ t: HostType<Stock>) {
        t.method("reserve", arity: 2...2) { this, args in
            .bool(this.reserve(try args[0].as(String.self), try args[1].as(Int.self)))
        }
        t.method("left", arity: 1...1) { this, args in .int(this.left(try args[0].as(String.self))) }
        t.property("reservations", get: { .int($0.reservationCount) })
        t.description { "Stock(\($0.reservationCount) reservations)" }
    }
}

/// Counts calls of the native function across all script threads, and shows that they
/// run in parallel: the first calls wait (up to two seconds) until `expected` of them
/// are inside Swift at the same time, and `peak` is the most that ever were.
final class CallCounter: @unchecked Sendable {
    private let cond = NSCondition()
    private let expected: Int
    private var n = 0, inside = 0, peak = 0, opened = false
    init(expected: Int) { self.expected = expected }

    func enter() {
        cond.lock(); defer { cond.unlock() }
        n += 1; inside += 1; peak = max(peak, inside)
        let deadline = Date().addingTimeInterval(2)
        while !opened && inside < expected && cond.wait(until: deadline) {}
        opened = true
        cond.broadcast()
    }
    func leave() { cond.lock(); inside -= 1; cond.unlock() }
    var count: Int { cond.lock(); defer { cond.unlock() }; return n }
    var peakInside: Int { cond.lock(); defer { cond.unlock() }; return peak }
}

let prices: [String: Double] = ["apple": 0.5, "bread": 2.25, "cheese": 7.0, "dates": 3.5,
                                "eggs": 0.25, "flour": 1.75]

// `.threads` lets the script start a pool; nothing else is granted.
let weft = Interpreter(options: .init(capabilities: [.threads]))
weft.output = { text in print(text, terminator: "") }

// A native function, callable from every script thread concurrently.
let priceCalls = CallCounter(expected: 4)
weft.define("price", arity: 1...1) { args in
    // Waiting in Swift: `blocking` lets the script thread go meanwhile, so a
    // collection another thread asks for need not wait for this one.
    args.blocking { priceCalls.enter() }
    defer { priceCalls.leave() }
    let sku = try args[0].as(String.self)
    guard let unit = prices[sku] else { throw HostError("no price for \(sku)", kind: "KeyError") }
    return .double(unit)
}

// A host object, registered so scripts can name its type.
weft.register(Stock.self)
let stock = Stock(["apple": 10, "bread": 2, "cheese": 1, "dates": 8, "eggs": 24, "flour": 3])
weft["stock"] = .object(stock)

let script = """
    fn price_line(item) {
      let amount = price(item["sku"]) * item["qty"]
      if not stock.reserve(item["sku"], item["qty"]) {
        throw ValueError("out of stock: " + item["sku"])
      }
      return {"sku": item["sku"], "qty": item["qty"], "amount": amount}
    }

    fn invoice(order) {
      var lines = []
      with pool(workers: 4) as p {
        lines = p.map(price_line, order["items"])   # one task per line, on 4 threads
      }
      var total = 0.0
      for line in lines { total += line["amount"] }
      return {"orderId": order["id"], "lines": lines, "total": total}
    }

    print("script sees", type(stock).name, "for", order["customer"], "with", len(order["items"]), "items")
    """

do {
    let order = Order(id: 7, customer: "Ada", items: [
        Item(sku: "apple", qty: 6), Item(sku: "bread", qty: 2), Item(sku: "cheese", qty: 1),
        Item(sku: "dates", qty: 4), Item(sku: "eggs", qty: 12), Item(sku: "flour", qty: 2),
    ])
    weft["order"] = try weft.encode(order)                 // Codable -> Value
    try weft.eval(script, file: "invoice.weft")

    let result = try weft.call("invoice", weft.global("order"))
    let invoice = try weft.decode(Invoice.self, from: result)   // Value -> Codable
    for line in invoice.lines {
        print("\(line.sku) x\(line.qty) = \(String(format: "%.2f", line.amount))")
    }
    print("order \(invoice.orderId) total \(String(format: "%.2f", invoice.total))")
    print("price() called \(priceCalls.count) times by the pool's tasks, \(priceCalls.peakInside) at once")
    print("\(try weft.str(.object(stock))), \(stock.left("eggs")) eggs left")

    // A second order the shelf cannot fill: the script's error reaches Swift as a ScriptError.
    weft["order"] = try weft.encode(Order(id: 8, customer: "Grace", items: [Item(sku: "cheese", qty: 1)]))
    do {
        _ = try weft.call("invoice", weft.global("order"))
        print("order 8 unexpectedly succeeded")
    } catch let e as ScriptError {
        print("order 8 failed: \(e.kind): \(e.message)")
    }
    try weft.waitForThreads()
} catch {
    print("error: \(error)")
    exit(1)
}
