// `http` through the library API: the network capability, cancellation from the
// host (Interrupted) of a thread blocked in http.get, what `:threads` shows for
// it, and no descriptor left behind. The script-level cases are in
// Tests/Conformance/io/http_*.weft.
import XCTest
import Foundation
@testable import Weft

final class HTTPTests: XCTestCase {
    private func error(_ source: String, _ caps: Interpreter.Capabilities) -> ScriptError? {
        do {
            let interp = Interpreter(options: .init(capabilities: caps))
            interp.output = { _ in }
            try interp.eval(source)
            return nil
        } catch let e as ScriptError { return e }
        catch { XCTFail("unexpected \(error)"); return nil }
    }

    func testNetworkCapabilityIsRequired() {
        let denied: Interpreter.Capabilities = [.fileRead, .fileWrite, .subprocess, .environment]
        for (src, fn) in [("http.get(\"http://127.0.0.1:9/\")", "http.get"),
                          ("http.request(\"GET\", \"http://127.0.0.1:9/\")", "http.request")] {
            for caps in [[], denied] as [Interpreter.Capabilities] {
                let e = error("import http\n" + src, caps)
                XCTAssertEqual(e?.kind, "PermissionError", src)
                XCTAssertEqual(e?.message, "network is not granted (\(fn))", src)
            }
        }
        // The capability is checked before the arguments: nothing is learnt without it.
        XCTAssertEqual(error("import http\nhttp.get(\"nonsense\")", [])?.kind, "PermissionError")
        // Granted alone, it is enough (a refused connection, not a PermissionError).
        let probe = """
            import net
            import http
            let p = net.listen("127.0.0.1", 0)
            let port = p.port
            p.close()
            http.get("http://127.0.0.1:\\(port)/")
            """
        XCTAssertEqual(error(probe, [.network])?.kind, "ConnectionRefused")
    }

    func testHostInterruptWakesABlockedGetAndThreadsShowsIt() throws {
        try HTTPTests.checkHostInterruptWakesAFetch(scheme: "http")
    }

    /// In-process, for `scheme` (HTTPSTests uses it too): `:threads` shows a fetch
    /// waiting on a silent server, the host's interrupt wakes a blocked fetch at once,
    /// and no descriptor is left open.
    static func checkHostInterruptWakesAFetch(scheme: String) throws {
        let fdsBefore = NetTests.openDescriptors()
        do {
            let interp = Interpreter(options: .init(capabilities: [.network, .threads]))
            interp.output = { _ in }
            try interp.eval("""
                import net
                import http
                let silent = net.listen("127.0.0.1", 0)
                let url = "\(scheme)://127.0.0.1:\\(silent.port)/x"
                let t = spawn(fn() { try { http.get(url) } catch e: Cancelled { } }, name: "fetcher")
                sleep(0.3)
                """)
            let port = try interp.eval("silent.port")
            let line = interp.threadSummaries().first { $0.hasPrefix("fetcher") }
            XCTAssertEqual(line, "fetcher [waiting on I/O (http GET \(scheme)://127.0.0.1:\(port)/x)]")
            try interp.eval("t.cancel()\nt.join()")

            let started = Date()
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { interp.interrupt() }
            XCTAssertThrowsError(try interp.eval("http.get(url)")) { e in
                XCTAssertEqual((e as? ScriptError)?.kind, "Interrupted")
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
            try interp.eval("silent.close()")
        }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertLessThanOrEqual(NetTests.openDescriptors(), fdsBefore, "descriptors left open")
    }
}
