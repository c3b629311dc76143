// `net` through the library API: the network capability, cancellation from the
// host (Interrupted), what `:threads` shows for a thread waiting on a socket, and
// the echo load test (200 concurrent clients x 50 messages on a pool(128) echo
// server, every byte checked, no thread or descriptor left afterwards). The
// script-level cases are in Tests/Conformance/io/net_*.weft.
import XCTest
import Foundation
@testable import Weft

final class NetTests: XCTestCase {
    @discardableResult
    private func run(_ interp: Interpreter, _ source: String) throws -> String {
        var out = ""
        let lock = NSLock()
        interp.output = { s in lock.lock(); out += s; lock.unlock() }
        try interp.eval(source)
        lock.lock(); defer { lock.unlock() }
        return out
    }

    private func error(_ source: String, _ caps: Interpreter.Capabilities) -> ScriptError? {
        do { try run(Interpreter(options: .init(capabilities: caps)), source); return nil }
        catch let e as ScriptError { return e }
        catch { XCTFail("unexpected \(error)"); return nil }
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    static func osThreads() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    func testNetworkCapabilityIsRequired() {
        let denied: Interpreter.Capabilities = [.fileRead, .fileWrite, .subprocess, .environment]
        for (src, fn) in [("net.listen(\"127.0.0.1\", 0)", "net.listen"),
                          ("net.connect(\"127.0.0.1\", 80)", "net.connect")] {
            for caps in [[], denied] as [Interpreter.Capabilities] {
                let e = error("import net\n" + src, caps)
                XCTAssertEqual(e?.kind, "PermissionError", src)
                XCTAssertEqual(e?.message, "network is not granted (\(fn))", src)
            }
        }
        // Granted alone, it is enough.
        XCTAssertNil(error("import net\nnet.listen(\"127.0.0.1\", 0).close()", [.network]))
    }

    func testHostInterruptWakesABlockedAcceptAndRecv() throws {
        for blocking in ["idle.accept()", "c.recv()"] {
            let interp = Interpreter(options: .init(capabilities: [.network, .threads]))
            interp.output = { _ in }
            try interp.eval("""
                import net
                let srv = net.listen("127.0.0.1", 0)
                let c = net.connect("127.0.0.1", srv.port)
                let idle = net.listen("127.0.0.1", 0)
                """)
            let started = Date()
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { interp.interrupt() }
            XCTAssertThrowsError(try interp.eval(blocking)) { e in
                XCTAssertEqual((e as? ScriptError)?.kind, "Interrupted", blocking)
            }
            let took = Date().timeIntervalSince(started)
            XCTAssertLessThan(took, 1.5, blocking)
            try interp.eval("srv.close()\nc.close()\nidle.close()")
        }
    }

    func testThreadsShowsWaitingOnIO() throws {
        let interp = Interpreter(options: .init(capabilities: [.network, .threads]))
        interp.output = { _ in }
        try interp.eval("""
            import net
            let srv = net.listen("127.0.0.1", 0)
            let t = spawn(fn() { try { srv.accept() } catch e: IOError { } }, name: "acceptor")
            sleep(0.2)
            """)
        let port = try interp.eval("srv.port")
        let line = interp.threadSummaries().first { $0.hasPrefix("acceptor") }
        XCTAssertEqual(line, "acceptor [waiting on I/O (accept on 127.0.0.1:\(port))]")
        try interp.eval("srv.close()\nt.join()")
    }

    /// Closing sockets while other threads are blocked on them, or about to be,
    /// never crashes, never hangs, and leaves no descriptor open.
    func testCloseWhileOtherThreadsWait() throws {
        let fdsBefore = Self.openDescriptors()
        do {
            let interp = Interpreter(options: .init(capabilities: [.network, .threads]))
            let out = try run(interp, """
                import net
                let srv = net.listen("127.0.0.1", 0)
                let n = atomic(0)
                for round in 0..<30 {
                  let c = net.connect("127.0.0.1", srv.port)
                  let s = srv.accept()
                  let waiters = [spawn(fn() {
                    try { s.recv() } catch e: IOError { n.add() }
                  }) for _ in 0..<4]
                  let closer = spawn(fn() { sleep(0.001 * (round % 5)); s.close() })
                  join(waiters)
                  closer.join()
                  c.close()
                }
                srv.close()
                print(n.get())
                """)
            XCTAssertEqual(out, "120\n")
        }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertLessThanOrEqual(Self.openDescriptors(), fdsBefore, "descriptors left open")
    }

    /// The load test: every byte echoed back exactly, then nothing left behind.
    func testEchoServerLoad() throws {
        let fdsBefore = Self.openDescriptors()
        let threadsBefore = Self.osThreads()
        let started = Date()
        do {
            let interp = Interpreter(options: .init(capabilities: [.network, .threads]))
            let out = try run(interp, """
                import net
                let CLIENTS = 200
                let MESSAGES = 50
                let BASE = bytes([j % 251 for j in 0..<8300])

                fn handle(conn) {
                  with conn {
                    while true {
                      let data = conn.recv()
                      if not data { break }
                      conn.send(data)
                    }
                  }
                }

                fn serve(server) {
                  with pool(128) as p {
                    while true {
                      var conn
                      try { conn = server.accept() } catch e: IOError { break }
                      p.submit(handle, conn)
                    }
                  }
                }

                fn client(k, port) {
                  var echoed = 0
                  with net.connect("127.0.0.1", port, timeout: 30) as conn {
                    for i in 0..<MESSAGES {
                      # sizes 1 byte .. ~8 KB, different bytes per client and message
                      let start = (k * 7 + i * 13) % 256
                      let msg = BASE[start:start + 1 + (k * 31 + i * 97) % 8000]
                      conn.send(msg)
                      var back = bytes()
                      while len(back) < len(msg) {
                        let part = conn.recv(timeout: 30)
                        if not part { throw IOError("server hung up") }
                        back = back + part
                      }
                      if back != msg { throw ValueError("client \\(k) message \\(i) came back different") }
                      echoed += len(back)
                    }
                    conn.shutdown()
                    if conn.recv(timeout: 30) { throw ValueError("extra bytes") }
                  }
                  return echoed
                }

                let server = net.listen("127.0.0.1", 0, backlog: 256)
                let acceptor = spawn(serve, server, name: "acceptor")
                let clients = [spawn(client, k, server.port) for k in 0..<CLIENTS]
                let counts = join(clients)
                server.close()
                acceptor.join()
                var expected = 0
                for k in 0..<CLIENTS { for i in 0..<MESSAGES { expected += 1 + (k * 31 + i * 97) % 8000 } }
                print(sum(counts) == expected, len(counts), len(active_threads()))
                """)
            XCTAssertEqual(out, "true 200 1\n")
            XCTAssertEqual(interp.liveThreadCount(nonDaemonOnly: false), 0)
        }
        // OS threads end just after their script threads report finished.
        let deadline = Date().addingTimeInterval(5)
        while Self.osThreads() > threadsBefore && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertLessThanOrEqual(Self.osThreads(), threadsBefore, "threads left behind")
        XCTAssertLessThanOrEqual(Self.openDescriptors(), fdsBefore, "descriptors left open")
        print("echo load test: 200 clients x 50 messages in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
    }
}
