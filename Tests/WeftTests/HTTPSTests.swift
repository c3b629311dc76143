// `https://` in the `http` module, offline on loopback: Weft scripts (run by the
// `weft` executable, with SSL_CERT_FILE naming the test CA unless a test wants
// the certificate untrusted) against TLSTestServer (OpenSSL, in this process)
// with the fixture certificates of Tests/Fixtures/tls. Plus, in-process, a host
// interrupt of a thread blocked in a TLS handshake.
import XCTest
import Foundation
@testable import Weft

final class HTTPSTests: XCTestCase {
    private var tls: TLSTestServer!
    private var plain: TLSTestServer!
    private var wrong: TLSTestServer!

    override func setUpWithError() throws {
        tls = try TLSTestServer(cert: "server")
        plain = try TLSTestServer(cert: nil)
        wrong = try TLSTestServer(cert: "wronghost")
        let (tlsPort, plainPort) = (tls.port, plain.port)
        let handler: (TLSTestServer.Request) -> TLSTestServer.Reply = { req in
            func ok(_ body: String, _ extra: String = "") -> TLSTestServer.Reply {
                .raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            }
            func redirect(_ status: String, _ to: String) -> TLSTestServer.Reply {
                .raw("HTTP/1.1 \(status)\r\nLocation: \(to)\r\nContent-Length: 0\r\n\r\n")
            }
            switch req.path {
            case "/plain": return ok("hello over tls", "X-Served: yes\r\n")
            case "/echo":
                return ok("method=\(req.method) host=\(req.headers["host"] ?? "-") "
                          + "length=\(req.headers["content-length"] ?? "-") x-test=\(req.headers["x-test"] ?? "-") "
                          + "body=\(String(decoding: req.body, as: UTF8.self))")
            case "/chunked":
                let big = String(repeating: "x", count: 40000)
                return .raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "6\r\nhello \r\n8;ext=1\r\nchunked \r\n"
                            + String(40000, radix: 16) + "\r\n" + big + "\r\n4\r\n end\r\n0\r\nX-Trailer: t\r\n\r\n")
            case "/big": return ok(String(repeating: "ab", count: 150000))
            case "/eof": return .raw("HTTP/1.0 200 OK\r\n\r\nuntil the end")
            case "/start": return redirect("302 Found", "https://127.0.0.1:\(tlsPort)/hop/3")
            case "/hop/3": return redirect("301 Moved Permanently", "/hop/2")
            case "/hop/2": return redirect("307 Temporary Redirect", "//127.0.0.1:\(tlsPort)/hop/1")
            case "/hop/1": return redirect("308 Permanent Redirect", "0")
            case "/hop/0": return redirect("302 Found", "http://127.0.0.1:\(plainPort)/final")
            case "/final": return ok("final over http, scheme was \(req.headers["host"] == "127.0.0.1:\(plainPort)" ? "ok" : "?")")
            case "/to-http": return redirect("302 Found", "http://127.0.0.1:\(plainPort)/final")
            case "/see-other": return redirect("303 See Other", "/echo")
            case "/loop": return redirect("302 Found", "/loop")
            case "/slow": return .hang
            default: return .raw("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
            }
        }
        for s in [tls!, plain!, wrong!] { s.handler = handler }
    }

    override func tearDown() {
        for s in [tls, plain, wrong] { s?.stop() }
        tls = nil; plain = nil; wrong = nil
    }

    /// Runs `source` with the `weft` executable; SSL_CERT_FILE is the test CA when
    /// `trustTestCA`, unset otherwise (OpenSSL's default store). Returns stdout.
    private func weft(_ source: String, trustTestCA: Bool = true, timeout: TimeInterval = 60,
                      file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let bin = ConformanceTests.findWeft() else {
            XCTFail("cannot find the weft executable: build it first (swift build) or set WEFT_BIN", file: file, line: line)
            return ""
        }
        let fm = FileManager.default
        let tmp = fm.temporaryDirectory.appendingPathComponent("weft-https-\(UUID().uuidString)")
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: tmp) }
        let script = tmp.appendingPathComponent("t.weft")
        try source.write(to: script, atomically: true, encoding: .utf8)
        let outURL = tmp.appendingPathComponent("out"), errURL = tmp.appendingPathComponent("err")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        p.executableURL = bin
        p.arguments = [script.path]
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["SSL_CERT_DIR"] = nil
        env["SSL_CERT_FILE"] = trustTestCA ? TLSTestServer.fixtures.appendingPathComponent("ca.pem").path : nil
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            _ = done.wait(timeout: .now() + 5)
            XCTFail("weft timed out", file: file, line: line)
        }
        try? out.close(); try? err.close()
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, "weft failed:\n\(stdout)\n\(stderr)", file: file, line: line)
        return stdout
    }

    private func lines(_ s: String) -> [String] {
        s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    func testGetPostChunkedAndLongBodies() throws {
        let out = try weft("""
            import http
            let base = "\(tls.base)"
            let r = http.get(base + "/plain")
            print(r["status"], r["headers"]["content-type"], r["headers"]["x-served"], r["body"])
            print(http.get("https://localhost:\(tls.port)/plain")["body"])
            let p = http.request("POST", base + "/echo", body: "some payload", headers: {"X-Test": "yes"})
            print(p["body"].decode())
            let c = http.get(base + "/chunked")["body"].decode()
            print(len(c), c[:20], c[-8:])
            let big = http.get(base + "/big", timeout: 20)["body"]
            print(len(big), big.decode() == "ab" * 150000)
            print(http.get(base + "/eof")["body"])
            print(http.get(base + "/nothing")["status"])
            let so = http.request("POST", base + "/see-other", body: "dropped")
            print(so["body"].decode())
            """)
        XCTAssertEqual(lines(out), [
            "200 text/plain yes b\"hello over tls\"",
            "b\"hello over tls\"",
            "method=POST host=127.0.0.1:\(tls.port) length=12 x-test=yes body=some payload",
            "40018 hello chunked xxxxxx xxxx end",
            "300000 true",
            "b\"until the end\"",
            "404",
            "method=GET host=127.0.0.1:\(tls.port) length=- x-test=- body=",
        ])
    }

    func testRedirectsBetweenHTTPAndHTTPS() throws {
        let out = try weft("""
            import http
            # http -> https -> (absolute path, scheme-relative, relative) -> http: 5 redirects
            let r = http.get("\(plain.base)/start")
            print(r["status"], r["body"].decode())
            print(http.get("\(tls.base)/to-http")["body"].decode())
            try { http.get("\(tls.base)/loop") } catch e: IOError { print(type(e), e.message) }
            """)
        XCTAssertEqual(lines(out), [
            "200 final over http, scheme was ok",
            "final over http, scheme was ok",
            "IOError too many redirects (more than 5) fetching \(tls.base)/loop",
        ])
    }

    func testUntrustedCertificateIsRefused() throws {
        let out = try weft("""
            import http
            try { http.get("\(tls.base)/plain") } catch e: IOError { print(type(e), e.message) }
            try { http.get("https://localhost:\(tls.port)/plain") } catch e: IOError { print(type(e), e.message) }
            """, trustTestCA: false)
        XCTAssertEqual(lines(out), [
            "IOError TLS certificate verification failed for 127.0.0.1:\(tls.port): unable to get local issuer certificate",
            "IOError TLS certificate verification failed for localhost:\(tls.port): unable to get local issuer certificate",
        ])
    }

    func testWrongHostNameIsRefused() throws {
        let out = try weft("""
            import http
            try { http.get("\(wrong.base)/plain") } catch e: IOError { print(type(e), e.message) }
            try { http.get("https://localhost:\(wrong.port)/plain") } catch e: IOError { print(type(e), e.message) }
            """)
        XCTAssertEqual(lines(out), [
            "IOError TLS certificate verification failed for 127.0.0.1:\(wrong.port): IP address mismatch",
            "IOError TLS certificate verification failed for localhost:\(wrong.port): hostname mismatch",
        ])
    }

    func testNotTLSAndUnsupportedURLs() throws {
        let out = try weft("""
            import http
            import net
            # a server that answers in plain HTTP at once: the handshake fails
            let srv = net.listen("127.0.0.1", 0)
            spawn(fn() {
              let c = srv.accept()
              c.send("HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nhi")
              sleep(0.5)
              c.close()
            }, daemon: true)
            try { http.get("https://127.0.0.1:\\(srv.port)/") }
            catch e: IOError { print(type(e), e.message.starts_with("TLS handshake with 127.0.0.1:\\(srv.port) failed: ")) }
            for u in ["https://", "ftp://x/", "https://[::1/"] {
              try { http.get(u) } catch e: ValueError { print(e.message) }
            }
            """)
        XCTAssertEqual(lines(out), [
            "IOError true",
            "invalid URL \"https://\": no host",
            "invalid URL \"ftp://x/\": unsupported scheme \"ftp\" (only http:// and https://)",
            "invalid URL \"https://[::1/\": unclosed [ in host",
        ])
    }

    func testTimeouts() throws {
        let out = try weft("""
            import http
            import net
            import time
            # no answer after the handshake
            let t0 = time.monotonic()
            try { http.get("\(tls.base)/slow", timeout: 0.5) }
            catch e: Timeout { print(type(e), e.message, time.monotonic() - t0 < 3) }
            # no handshake: a listener that never accepts
            let silent = net.listen("127.0.0.1", 0)
            let u = "https://127.0.0.1:\\(silent.port)/"
            let t1 = time.monotonic()
            try { http.get(u, timeout: 0.4) }
            catch e: Timeout { print(type(e), e.message == "http request to \\(u) timed out after 0.4 s", time.monotonic() - t1 < 3) }
            silent.close()
            """)
        XCTAssertEqual(lines(out), [
            "Timeout http request to \(tls.base)/slow timed out after 0.5 s true",
            "Timeout true true",
        ])
    }

    func testCancelWakesAThreadBlockedInHTTPS() throws {
        let out = try weft("""
            import http
            import net
            import time
            fn cancel_after(f, what) {
              let t = spawn(f, name: what)
              sleep(0.3)
              let t0 = time.monotonic()
              t.cancel()
              try { t.join() } catch e: Cancelled { print(what, "->", type(e), "prompt:", time.monotonic() - t0 < 0.5) }
            }
            # blocked reading the response (after the handshake)
            cancel_after(fn() => http.get("\(tls.base)/slow"), "read")
            cancel_after(fn() => http.get("\(tls.base)/slow", timeout: 30), "read(timeout: 30)")
            cancel_after(fn() => http.request("POST", "\(tls.base)/slow", body: "x" * 100000), "post")
            # blocked in the handshake
            let silent = net.listen("127.0.0.1", 0)
            cancel_after(fn() => http.get("https://127.0.0.1:\\(silent.port)/"), "handshake")
            silent.close()
            # waiting on I/O is progress: joining a thread blocked in https is no deadlock
            let lone = spawn(fn() { try { http.get("\(tls.base)/slow", timeout: 0.6) } catch e: Timeout { return "timed out, no deadlock" } })
            print(lone.join())
            """)
        XCTAssertEqual(lines(out), [
            "read -> Cancelled prompt: true",
            "read(timeout: 30) -> Cancelled prompt: true",
            "post -> Cancelled prompt: true",
            "handshake -> Cancelled prompt: true",
            "timed out, no deadlock",
        ])
    }

    func testConcurrentFetchesShareOneContext() throws {
        let out = try weft("""
            import http
            let ts = [spawn(fn() {
              let bodies = []
              for j in range(5) { bodies.append(http.get("\(tls.base)/plain")["body"]) }
              return bodies
            }) for i in range(8)]
            let all = [b for t in ts for b in t.join()]
            print(len(all), all == [b"hello over tls"] * 40)
            """)
        XCTAssertEqual(lines(out), ["40 true"])
    }

    /// In-process: `:threads` shows the TLS wait, the host's interrupt wakes a
    /// handshake at once, and no descriptor is left open.
    func testHostInterruptWakesAHandshake() throws {
        try HTTPTests.checkHostInterruptWakesAFetch(scheme: "https")
    }
}
