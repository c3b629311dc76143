// TLS for `https://` in the `http` module (HTTPModule.swift), with the system's
// OpenSSL 3, loaded on the first https request (the CWeftTLS target: every OpenSSL
// call goes through its `weft_openssl` table; a process that never uses https never
// maps libssl). The HTTP/1.1 framing stays Weft's own; this file only turns a
// connected `Conn` into an encrypted stream.
//
// OpenSSL never touches the socket: it reads from and writes to two memory BIOs,
// and this file moves the bytes between them and the non-blocking descriptor with
// `recv`/`send(MSG_NOSIGNAL)`. Every wait for the socket is `SocketObj.waitReady`
// (poll on the socket and the thread's wake eventfd), so a thread blocked in the
// handshake, a read or a write wakes at once on `cancel()`, Ctrl-C and a deadlock
// verdict, exactly like one blocked in `Conn.recv`, and no SIGPIPE can be raised.
//
// Certificates are verified: the trust store is OpenSSL's default
// (`SSL_CTX_set_default_verify_paths`, which honours the SSL_CERT_FILE and
// SSL_CERT_DIR environment variables), the host name is checked (`SSL_set1_host`,
// or the IP address for an IP literal) and sent as SNI; TLS 1.2 at least.
import CWeftTLS
#if canImport(Glibc)
import Glibc
#endif

/// One TLS client session over a connected `ConnObj` (used by one thread).
final class TLSClient {
    /// What a wait is shown as (`:threads`) and what a timeout raises.
    struct Waits {
        var deadline: Deadline?
        var label: String
        var timedOut: () -> ScriptThrow
    }

    let conn: ConnObj
    /// `host:port`, for messages.
    let endpoint: String
    private let ssl: OpaquePointer
    private let rbio: OpaquePointer   // socket -> OpenSSL
    private let wbio: OpaquePointer   // OpenSSL -> socket
    private var socketEOF = false
    /// Set after a fatal TLS error (no close_notify may be sent then).
    private var failed = false
    private let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: TLSClient.bufSize)
    static let bufSize = 65536

    private init(conn: ConnObj, endpoint: String, ssl: OpaquePointer, rbio: OpaquePointer, wbio: OpaquePointer) {
        self.conn = conn; self.endpoint = endpoint; self.ssl = ssl; self.rbio = rbio; self.wbio = wbio
    }

    deinit {
        weft_openssl.SSL_free(ssl)   // frees the BIOs too
        buf.deallocate()
    }

    // MARK: - The shared context

    private static let ctxLock = PosixLock()
    /// The client context and the SSL_CERT_FILE/SSL_CERT_DIR it was made with (a
    /// change of either makes a new one).
    nonisolated(unsafe) private static var cached: (key: String, ctx: OpaquePointer)?

    /// The OpenSSL errors queued on this thread, as one line (the queue is emptied).
    static func errors() -> String {
        var parts: [String] = []
        while true {
            let e = weft_openssl.ERR_get_error()
            if e == 0 { break }
            if let r = weft_openssl.ERR_reason_error_string(e) {
                parts.append(String(cString: r))
            } else {
                var b = [CChar](repeating: 0, count: 256)
                weft_openssl.ERR_error_string_n(e, &b, b.count)
                parts.append(String(cString: b))
            }
        }
        var seen: [String] = []
        for p in parts where !seen.contains(p) { seen.append(p) }
        return seen.joined(separator: "; ")
    }

    private static func env(_ name: String) -> String {
        getenv(name).map { String(cString: $0) } ?? ""
    }

    /// A new SSL object from the (cached) client context. The first one loads
    /// OpenSSL; IOError when it cannot be loaded.
    private static func newSSL() throws -> OpaquePointer {
        guard weft_openssl_load() == 1 else {
            throw ScriptThrow(ErrorKinds.ioError, "https is not available: \(String(cString: weft_openssl_error()))")
        }
        ctxLock.lock()
        defer { ctxLock.unlock() }
        let key = env("SSL_CERT_FILE") + "\u{0}" + env("SSL_CERT_DIR")
        if cached?.key != key {
            weft_openssl.ERR_clear_error()
            guard let ctx = weft_openssl.SSL_CTX_new(weft_openssl.TLS_client_method()) else {
                throw ScriptThrow(ErrorKinds.ioError, "cannot set up TLS: \(errors())")
            }
            guard weft_ssl_ctx_set_min_tls12(ctx) == 1, weft_openssl.SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                let why = errors()
                weft_openssl.SSL_CTX_free(ctx)
                throw ScriptThrow(ErrorKinds.ioError, "cannot set up TLS: \(why)")
            }
            weft_ssl_ctx_set_client_options(ctx)
            weft_openssl.SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            if let old = cached { weft_openssl.SSL_CTX_free(old.ctx) }   // SSL objects keep their own reference
            cached = (key, ctx)
        }
        weft_openssl.ERR_clear_error()
        guard let ssl = weft_openssl.SSL_new(cached!.ctx) else {
            throw ScriptThrow(ErrorKinds.ioError, "cannot set up TLS: \(errors())")
        }
        return ssl
    }

    /// Whether `host` is an IPv4 or IPv6 literal.
    static func isIPLiteral(_ host: String) -> Bool {
        var a4 = in_addr()
        var a6 = in6_addr()
        return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1
    }

    // MARK: - Handshake

    /// Runs the TLS handshake on `conn` for `host` (the name in the URL, checked
    /// against the certificate). IOError when the certificate does not verify or
    /// the handshake fails; Timeout (from `waits`) when the deadline passes.
    static func handshake(_ vm: VM, conn: ConnObj, host: String, port: Int, waits: Waits) throws -> TLSClient {
        let endpoint = NetModule.endpoint(host, port)
        let ssl = try newSSL()
        let rb = weft_openssl.BIO_new(weft_openssl.BIO_s_mem()), wb = weft_openssl.BIO_new(weft_openssl.BIO_s_mem())
        guard let rbio = rb, let wbio = wb else {
            if let b = rb { weft_openssl.BIO_free(b) }
            if let b = wb { weft_openssl.BIO_free(b) }
            weft_openssl.SSL_free(ssl)
            throw ScriptThrow(ErrorKinds.ioError, "cannot set up TLS: out of memory")
        }
        weft_bio_set_mem_eof_return(rbio, -1)   // empty: "retry" until the socket ends
        weft_openssl.SSL_set_bio(ssl, rbio, wbio)
        let tls = TLSClient(conn: conn, endpoint: endpoint, ssl: ssl, rbio: rbio, wbio: wbio)
        weft_openssl.ERR_clear_error()
        var ok: Bool
        if isIPLiteral(host) {
            ok = weft_openssl.X509_VERIFY_PARAM_set1_ip_asc(weft_openssl.SSL_get0_param(ssl), host) == 1
        } else {
            weft_openssl.SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            ok = weft_openssl.SSL_set1_host(ssl, host) == 1 && weft_ssl_set_sni(ssl, host) == 1
        }
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        ok = ok && weft_openssl.SSL_set_alpn_protos(ssl, alpn, UInt32(alpn.count)) == 0
        if !ok {
            throw ScriptThrow(ErrorKinds.ioError, "cannot set up TLS for \(quoteString(host)): \(errors())")
        }
        weft_openssl.SSL_set_connect_state(ssl)
        let (r, err) = try tls.drive(vm, waits) { weft_openssl.SSL_connect(ssl) }
        if r != 1 {
            let verify = weft_openssl.SSL_get_verify_result(ssl)
            let queued = errors()
            if verify != X509_V_OK {
                let reason = String(cString: weft_openssl.X509_verify_cert_error_string(verify)!)
                throw ScriptThrow(ErrorKinds.ioError,
                                  "TLS certificate verification failed for \(endpoint): \(reason)")
            }
            var why = queued
            if why.isEmpty {
                why = err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN || tls.socketEOF
                    ? "the server closed the connection" : "error \(err)"
            }
            throw ScriptThrow(ErrorKinds.ioError, "TLS handshake with \(endpoint) failed: \(why)")
        }
        return tls
    }

    // MARK: - Reading and writing

    /// Sends all of `data` (encrypted).
    func send(_ vm: VM, _ data: [UInt8], _ waits: Waits) throws {
        var off = 0
        while off < data.count {
            let n = min(data.count - off, 16384)
            let (r, err) = try data.withUnsafeBytes { b in
                try drive(vm, waits) { weft_openssl.SSL_write(ssl, b.baseAddress! + off, Int32(n)) }
            }
            if r <= 0 { throw failure("writing to", err) }
            off += Int(r)
        }
    }

    /// The next decrypted bytes; empty at the end of the stream.
    func recv(_ vm: VM, _ waits: Waits) throws -> [UInt8] {
        let (r, err) = try drive(vm, waits) { weft_openssl.SSL_read(ssl, buf, Int32(TLSClient.bufSize)) }
        if r > 0 { return Array(UnsafeBufferPointer(start: buf, count: Int(r))) }
        if err == SSL_ERROR_ZERO_RETURN { return [] }
        let why = TLSClient.errors()
        if err == SSL_ERROR_SYSCALL && why.isEmpty { return [] }   // ended without close_notify
        throw ScriptThrow(ErrorKinds.ioError, "TLS error reading from \(endpoint): \(why.isEmpty ? "error \(err)" : why)")
    }

    /// Sends close_notify if the socket takes it at once (best effort, no wait).
    func close() {
        if failed { return }
        weft_openssl.ERR_clear_error()
        if weft_openssl.SSL_shutdown(ssl) < 0 { weft_openssl.ERR_clear_error() }
        let n = weft_openssl.BIO_read(wbio, buf, Int32(TLSClient.bufSize))
        if n > 0 {
            _ = try? conn.using("close") { fd in
                Glibc.send(fd, buf, Int(n), Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
        }
    }

    private func failure(_ what: String, _ err: Int32) -> ScriptThrow {
        let why = TLSClient.errors()
        return ScriptThrow(ErrorKinds.ioError, "TLS error \(what) \(endpoint): \(why.isEmpty ? "error \(err)" : why)")
    }

    /// Runs `op` (an SSL call) until it is done or fails, moving bytes between the
    /// memory BIOs and the socket and waiting (cancellably) for the socket as needed.
    /// Returns op's result and its SSL_get_error code.
    private func drive(_ vm: VM, _ waits: Waits, _ op: () -> Int32) throws -> (Int32, Int32) {
        while true {
            weft_openssl.ERR_clear_error()
            let r = op()
            let err = r > 0 ? SSL_ERROR_NONE : weft_openssl.SSL_get_error(ssl, r)
            do { try flush(vm, waits) } catch { failed = true; throw error }
            switch err {
            case SSL_ERROR_NONE:
                return (r, err)
            case SSL_ERROR_WANT_READ:
                if socketEOF { return (r, SSL_ERROR_SYSCALL) }
                do { try readSocket(vm, waits) } catch { failed = true; throw error }
            case SSL_ERROR_WANT_WRITE:
                continue   // flushed above
            default:
                if err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL { failed = true }
                return (r, err)
            }
        }
    }

    /// Sends everything OpenSSL has written to the socket.
    private func flush(_ vm: VM, _ waits: Waits) throws {
        while weft_bio_pending(wbio) > 0 {
            let n = weft_openssl.BIO_read(wbio, buf, Int32(TLSClient.bufSize))
            if n <= 0 { return }
            try sendRaw(vm, UnsafeRawBufferPointer(start: buf, count: Int(n)), waits)
        }
    }

    private func sendRaw(_ vm: VM, _ data: UnsafeRawBufferPointer, _ waits: Waits) throws {
        try conn.using("send") { fd in
            var off = 0
            while off < data.count {
                let n = Glibc.send(fd, data.baseAddress! + off, data.count - off, Int32(MSG_NOSIGNAL))
                if n >= 0 { off += n; continue }
                let e = errno
                switch e {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK:
                    if !(try conn.waitReady(vm, fd, Int32(POLLOUT), deadline: waits.deadline,
                                            what: waits.label, fn: "send")) {
                        throw waits.timedOut()
                    }
                case EPIPE, ECONNRESET:
                    throw NetModule.error(ErrorKinds.connectionReset, "send to \(conn.peer)", e)
                default:
                    throw NetModule.error(ErrorKinds.ioError, "send to \(conn.peer)", e)
                }
            }
        }
    }

    /// Reads what the socket has (waiting for something) into OpenSSL's input.
    private func readSocket(_ vm: VM, _ waits: Waits) throws {
        try conn.using("recv") { fd in
            while true {
                let n = Glibc.recv(fd, buf, TLSClient.bufSize, 0)
                if n > 0 {
                    _ = weft_openssl.BIO_write(rbio, buf, Int32(n))
                    return
                }
                if n == 0 {
                    socketEOF = true
                    weft_bio_set_mem_eof_return(rbio, 0)
                    return
                }
                let e = errno
                switch e {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK:
                    if !(try conn.waitReady(vm, fd, Int32(POLLIN), deadline: waits.deadline,
                                            what: waits.label, fn: "recv")) {
                        throw waits.timedOut()
                    }
                case ECONNRESET:
                    throw NetModule.error(ErrorKinds.connectionReset, "recv from \(conn.peer)", e)
                default:
                    throw NetModule.error(ErrorKinds.ioError, "recv from \(conn.peer)", e)
                }
            }
        }
    }
}
