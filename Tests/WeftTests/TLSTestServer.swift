// A small HTTP/1.1 server for the https tests (HTTPSTests.swift): TLS through the
// same system OpenSSL as the client (or plain TCP), on 127.0.0.1 and a free port,
// one background thread per connection, canned answers chosen by a handler.
// Certificates: Tests/Fixtures/tls (see its README.md).
import Foundation
import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

final class TLSTestServer: @unchecked Sendable {
    struct Request {
        var method: String
        var path: String
        var headers: [String: String]   // lowercase names
        var body: [UInt8]
    }

    enum Reply {
        /// These bytes as they are (status line, headers, body), then close.
        case raw(String)
        /// Read nothing more, answer nothing, until the client goes away (or 30 s).
        case hang
    }

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()      // Tests/WeftTests
            .deletingLastPathComponent()      // Tests
            .appendingPathComponent("Fixtures/tls", isDirectory: true)
    }

    let port: Int
    private let listenFd: Int32
    private let ctx: OpaquePointer?
    private let lock = NSLock()
    private var stopped = false
    private var active = 0
    var handler: (Request) -> Reply = { _ in .raw("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") }

    var isTLS: Bool { ctx != nil }
    var base: String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)" }

    /// A server with the fixture certificate `cert` (`server`, `wronghost`), or
    /// plain HTTP when `cert` is nil.
    init(cert: String?) throws {
        signal(SIGPIPE, SIG_IGN)
        if let cert = cert {
            let dir = TLSTestServer.fixtures
            guard let c = SSL_CTX_new(TLS_server_method()) else { throw NSError(domain: "tls", code: 1) }
            let certPath = dir.appendingPathComponent("\(cert).pem").path
            let keyPath = dir.appendingPathComponent("\(cert).key").path
            guard weft_ssl_ctx_use_pem_chain_and_key(c, certPath, keyPath) == 1 else {
                SSL_CTX_free(c)
                throw NSError(domain: "tls", code: 2, userInfo: [NSLocalizedDescriptionKey: "cannot load \(certPath)"])
            }
            ctx = c
        } else {
            ctx = nil
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 64) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { Glibc.close(fd); throw NSError(domain: "tls", code: 3) }
        listenFd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    deinit { if let c = ctx { SSL_CTX_free(c) } }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Stops accepting and waits (up to 5 s) for the connections to finish.
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        for _ in 0..<500 {
            lock.lock()
            let n = active
            lock.unlock()
            if n == 0 { break }
            usleep(10_000)
        }
    }

    private func acceptLoop() {
        defer { Glibc.close(listenFd) }
        while !isStopped {
            var p = pollfd(fd: listenFd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) <= 0 { continue }
            let c = accept(listenFd, nil, nil)
            if c < 0 { continue }
            var tv = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            lock.lock()
            active += 1
            lock.unlock()
            let t = Thread { [self] in
                serve(c)
                Glibc.close(c)
                lock.lock()
                active -= 1
                lock.unlock()
            }
            t.start()
        }
    }

    // MARK: - One connection

    private func serve(_ fd: Int32) {
        var ssl: OpaquePointer? = nil
        if let ctx = ctx {
            ssl = SSL_new(ctx)
            SSL_set_fd(ssl, fd)
            if SSL_accept(ssl) != 1 {   // e.g. the client rejected the certificate
                ERR_clear_error()
                SSL_free(ssl)
                return
            }
        }
        defer {
            if let s = ssl {
                _ = SSL_shutdown(s)
                ERR_clear_error()
                SSL_free(s)
            }
        }
        func read(_ buf: UnsafeMutablePointer<UInt8>, _ n: Int) -> Int {
            if let s = ssl {
                let r = SSL_read(s, buf, Int32(n))
                if r <= 0 { ERR_clear_error() }
                return Int(r)
            }
            return Glibc.recv(fd, buf, n, 0)
        }
        func write(_ bytes: [UInt8]) {
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { b -> Int in
                    if let s = ssl { return Int(SSL_write(s, b.baseAddress! + off, Int32(b.count - off))) }
                    return Glibc.send(fd, b.baseAddress! + off, b.count - off, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { ERR_clear_error(); return }
                off += n
            }
        }
        // The request: head up to the empty line, then Content-Length bytes of body.
        var data: [UInt8] = []
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 65536)
        defer { buf.deallocate() }
        var headEnd: Int? = nil
        while headEnd == nil {
            let n = read(buf, 65536)
            if n <= 0 { return }
            data += UnsafeBufferPointer(start: buf, count: n)
            if let r = findCRLFCRLF(data) { headEnd = r }
        }
        let head = String(decoding: data[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let first = lines.removeFirst().split(separator: " ")
        guard first.count >= 2 else { return }
        var headers: [String: String] = [:]
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        let want = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(data[(headEnd! + 4)...])
        while body.count < want {
            let n = read(buf, 65536)
            if n <= 0 { return }
            body += UnsafeBufferPointer(start: buf, count: n)
        }
        let req = Request(method: String(first[0]), path: String(first[1]), headers: headers, body: body)
        switch handler(req) {
        case .raw(let text):
            write(Array(text.utf8))
        case .hang:
            for _ in 0..<600 where !isStopped {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 50) > 0 {
                    if read(buf, 65536) <= 0 { return }   // the client went away
                }
            }
        }
    }

    private func findCRLFCRLF(_ d: [UInt8]) -> Int? {
        if d.count < 4 { return nil }
        for i in 0...(d.count - 4) where d[i] == 13 && d[i + 1] == 10 && d[i + 2] == 13 && d[i + 3] == 10 {
            return i
        }
        return nil
    }
}
