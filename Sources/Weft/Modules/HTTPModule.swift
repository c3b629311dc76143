// `import http` (§8): a small HTTP/1.1 client for `http://` and `https://` URLs,
// built on the `net` socket layer (SocketObj.swift) so that a thread blocked in it
// wakes at once on `cancel()`, Ctrl-C (`Interrupted`) and a deadlock verdict, and
// shows as waiting on I/O (`waiting on I/O (http GET http://...)`), which deadlock
// detection counts as able to make progress (§7.7). For `https://` the same
// framing runs over TLS from the system OpenSSL (TLSClient.swift), whose waits are
// the same cancellable socket waits; certificates and host names are verified.
//
//   get(url, headers: nil, timeout: nil)
//   request(method, url, body: nil, headers: nil, timeout: nil)
//     -> {"status": int, "headers": {lowercase name: str}, "body": bytes}
//
// One connection per request (`Connection: close`); bodies framed by
// Content-Length, chunked transfer coding or the end of the stream; redirects
// (301, 302, 303, 307, 308) followed up to 5 times (303, and 301/302 after a
// POST, become a GET without body, as browsers and Python do). `timeout` bounds
// the whole call: connecting, sending, every redirect and the whole body.
// Errors: ValueError for a malformed or unsupported URL (it is named),
// ConnectionRefused, Timeout, IOError for malformed responses, too many
// redirects, a certificate that does not verify and other TLS failures. Needs
// the `network` capability.
#if canImport(Glibc)
import Glibc
#endif

enum HTTPModule {
    static let maxRedirects = 5
    static let maxHeaderBytes = 64 * 1024

    static func make() -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        def("get") { vm, _, args in
            try args.check(min: 0, max: 3, keywords: ["url", "headers", "timeout"])
            try vm.require(.network, "http.get")
            let url = try IOSupport.path(try args.arg(0, "url"), "get", "url")
            let headers = try headersArg(try args.arg(1, "headers"), "get")
            let timeout = try vm.timeoutArg(try args.arg(2, "timeout"), "get")
            return try fetch(vm, "GET", url, body: nil, headers: headers, timeout: timeout)
        }
        def("request") { vm, _, args in
            try args.check(min: 0, max: 5, keywords: ["method", "url", "body", "headers", "timeout"])
            try vm.require(.network, "http.request")
            let method = try IOSupport.path(try args.arg(0, "method"), "request", "method").uppercased()
            if method.isEmpty || !method.utf8.allSatisfy(isTokenByte) {
                throw ScriptThrow.valueError("request(): invalid method \(quoteString(method))")
            }
            let url = try IOSupport.path(try args.arg(1, "url"), "request", "url")
            var body: [UInt8]? = nil
            if let b = try args.arg(2, "body"), !b.isNil { body = try IOSupport.data(b, "request", "body") }
            let headers = try headersArg(try args.arg(3, "headers"), "request")
            let timeout = try vm.timeoutArg(try args.arg(4, "timeout"), "request")
            return try fetch(vm, method, url, body: body, headers: headers, timeout: timeout)
        }
        return ModuleObj(name: "http", globals: g)
    }

    // MARK: - Arguments

    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    /// `headers:`: nil or a map of str names to str (or int) values.
    static func headersArg(_ v: Word?, _ fn: String) throws -> [(String, String)] {
        guard let v = v, !v.isNil else { return [] }
        guard case .map(let m) = v.unpacked else {
            throw ScriptThrow.typeError("\(fn)() argument 'headers' must be map or nil, not \(v.typeName)")
        }
        var out: [(String, String)] = []
        for (k, val) in m.entries {
            guard case .str(let name) = k.unpacked else {
                throw ScriptThrow.typeError("\(fn)(): header names must be str, not \(k.typeName)")
            }
            if name.value.isEmpty || !name.value.utf8.allSatisfy(isTokenByte) {
                throw ScriptThrow.valueError("\(fn)(): invalid header name \(quoteString(name.value))")
            }
            let value: String
            switch val.unpacked {
            case .str(let s): value = s.value
            case .int(let i): value = String(i)
            default:
                throw ScriptThrow.typeError("\(fn)(): header \(quoteString(name.value)) must be str or int, not \(val.typeName)")
            }
            if value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
                throw ScriptThrow.valueError("\(fn)(): header \(quoteString(name.value)) must not contain CR, LF or NUL")
            }
            out.append((name.value, value))
        }
        return out
    }

    // MARK: - URLs

    struct URLParts {
        var tls: Bool           // https://
        var host: String        // without brackets
        var port: Int
        var target: String      // path and query, "/" at least
        var hostHeader: String  // "host" or "host:port" ("[::1]:8080")
        var text: String        // the URL as given (for messages)
    }

    static func invalid(_ url: String, _ why: String) -> ScriptThrow {
        ScriptThrow.valueError("invalid URL \(quoteString(url)): \(why)")
    }

    static func parseURL(_ url: String) throws -> URLParts {
        if url.unicodeScalars.contains(where: { $0.value <= 32 || $0.value == 127 }) {
            throw invalid(url, "it contains spaces or control characters")
        }
        guard let sep = url.firstRange(of: "://") else { throw invalid(url, "no scheme (expected http://host/...)") }
        let scheme = url[..<sep.lowerBound].lowercased()
        if scheme != "http" && scheme != "https" {
            throw invalid(url, "unsupported scheme \(quoteString(scheme)) (only http:// and https://)")
        }
        let tls = scheme == "https"
        var rest = Substring(url[sep.upperBound...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authEnd]
        var target = String(rest[authEnd...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        if authority.contains("@") { throw invalid(url, "user information is not supported") }
        var host: String
        var portText: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid(url, "unclosed [ in host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid(url, "bad text after ]") }
                portText = after.dropFirst()
            }
            if host.isEmpty || !host.contains(":") { throw invalid(url, "bad IPv6 address") }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                portText = authority[authority.index(after: colon)...]
            } else {
                host = String(authority)
            }
            if host.contains(":") { throw invalid(url, "bad host") }
        }
        if host.isEmpty { throw invalid(url, "no host") }
        let defaultPort = tls ? 443 : 80
        var port = defaultPort
        if let p = portText, !p.isEmpty {
            guard p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p), n >= 1, n <= 65535 else {
                throw invalid(url, "bad port \(quoteString(String(p)))")
            }
            port = n
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let hostHeader = port == defaultPort ? bracketed : "\(bracketed):\(port)"
        return URLParts(tls: tls, host: host, port: port, target: target, hostHeader: hostHeader, text: url)
    }

    /// `location` resolved against `base` (absolute, scheme-relative, absolute-path
    /// or relative-path references).
    static func resolve(_ location: String, against base: URLParts) -> String {
        if location.contains("://") { return location }
        let scheme = base.tls ? "https:" : "http:"
        if location.hasPrefix("//") { return scheme + location }
        let origin = scheme + "//" + base.hostHeader
        if location.hasPrefix("/") { return origin + location }
        var path = base.target
        if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
        if location.hasPrefix("?") { return origin + path + location }
        if let slash = path.lastIndex(of: "/") { path = String(path[...slash]) } else { path = "/" }
        return origin + path + location
    }

    // MARK: - The request

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? {
            let vals = headers.filter { $0.0 == name }.map { $0.1 }
            return vals.isEmpty ? nil : vals.joined(separator: ", ")
        }
    }

    static func fetch(_ vm: VM, _ method: String, _ url: String, body: [UInt8]?,
                      headers: [(String, String)], timeout: Double?) throws -> Word {
        try vm.thread.checkPending()
        let deadline = Deadline.after(timeout)
        var parts = try parseURL(url)
        var method = method
        var body = body
        var redirects = 0
        while true {
            let r = try once(vm, method, parts, body: body, headers: headers, deadline: deadline,
                             timeout: timeout, original: url)
            if [301, 302, 303, 307, 308].contains(r.status), let loc = r.header("location"), !loc.isEmpty {
                if redirects == maxRedirects {
                    throw ScriptThrow(ErrorKinds.ioError,
                                      "too many redirects (more than \(maxRedirects)) fetching \(url)")
                }
                redirects += 1
                let next = resolve(loc, against: parts)
                do { parts = try parseURL(next) } catch {
                    throw ScriptThrow(ErrorKinds.ioError, "\(url) redirects to an unsupported URL \(quoteString(next))")
                }
                if r.status == 303 || ((r.status == 301 || r.status == 302) && method == "POST") {
                    if method != "HEAD" { method = "GET" }
                    body = nil
                }
                continue
            }
            let m = MapObj()
            var seen: [String] = []
            for (k, _) in r.headers where !seen.contains(k) { seen.append(k) }
            for k in seen { try vm.mapSet(m, .string(k), .string(r.header(k)!)) }
            return try IOSupport.map(vm, [("status", .int(r.status)), ("headers", .map(m)),
                                          ("body", IOSupport.bytesValue(r.body))])
        }
    }

    static func timedOut(_ url: String, _ timeout: Double?) -> ScriptThrow {
        ScriptThrow(ErrorKinds.timeout, "http request to \(url) timed out after \(NetModule.seconds(timeout)) s")
    }

    /// One request and response on a fresh connection.
    static func once(_ vm: VM, _ method: String, _ u: URLParts, body: [UInt8]?, headers: [(String, String)],
                     deadline: Deadline?, timeout: Double?, original: String) throws -> Response {
        let conn: ConnObj
        do {
            conn = try NetModule.connect(vm, u.host, u.port, timeout: deadline?.left)
        } catch let e as ScriptThrow where e.kindName == "Timeout" {
            throw timedOut(original, timeout)
        }
        defer { conn.closeSocket() }
        let label = "http \(method) \(u.text)"
        let waits = TLSClient.Waits(deadline: deadline, label: label, timedOut: { timedOut(original, timeout) })
        var tls: TLSClient? = nil
        if u.tls {
            tls = try TLSClient.handshake(vm, conn: conn, host: u.host, port: u.port, waits: waits)
        }
        defer { tls?.close() }
        var head = "\(method) \(u.target) HTTP/1.1\r\n"
        var defaults: [(String, String)] = [("Host", u.hostHeader), ("User-Agent", "weft-http/1"),
                                             ("Accept", "*/*"), ("Accept-Encoding", "identity")]
        let given = Set(headers.map { $0.0.lowercased() })
        defaults.removeAll { given.contains($0.0.lowercased()) }
        for (k, v) in defaults { head += "\(k): \(v)\r\n" }
        for (k, v) in headers {
            let l = k.lowercased()
            if l == "connection" || l == "content-length" || l == "transfer-encoding" { continue }
            head += "\(k): \(v)\r\n"
        }
        head += "Connection: close\r\n"
        if let b = body { head += "Content-Length: \(b.count)\r\n" }
        else if ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        var out = Array(head.utf8)
        if let b = body { out += b }
        do {
            if let tls = tls { try tls.send(vm, out, waits) } else { try conn.send(vm, out, timeout: deadline?.left) }
        } catch let e as ScriptThrow where e.kindName == "Timeout" {
            throw timedOut(original, timeout)
        } catch let e as ScriptThrow where e.kindName == "ConnectionReset" {
            // The server may have answered early and closed: read what it sent.
            _ = e
        }
        let reader = Reader(vm: vm, conn: conn, tls: tls, deadline: deadline, timeout: timeout, url: original,
                            label: label)
        while true {
            let (status, hs) = try reader.readHead()
            if status >= 100 && status < 200 && status != 101 { continue }   // 100 Continue etc.
            var resp = Response(status: status, headers: hs, body: [])
            if method == "HEAD" || status == 204 || status == 304 || (status >= 100 && status < 200) {
                return resp
            }
            let te = resp.header("transfer-encoding")?.lowercased()
            if let te = te, te.split(separator: ",").last?.trimmingWhitespace() == "chunked" {
                resp.body = try reader.readChunked()
            } else if let cl = resp.header("content-length") {
                let first = cl.split(separator: ",").first.map { $0.trimmingWhitespace() } ?? ""
                guard let n = Int(first), n >= 0, first.allSatisfy({ $0.isASCII && $0.isNumber }),
                      cl.split(separator: ",").allSatisfy({ $0.trimmingWhitespace() == first }) else {
                    throw reader.malformed("bad Content-Length \(quoteString(cl))")
                }
                resp.body = try reader.readExactly(n)
            } else {
                resp.body = try reader.readToEnd()
            }
            return resp
        }
    }

    /// Buffered reading of a response from a connection, every wait cancellable.
    final class Reader {
        let vm: VM
        let conn: ConnObj
        let tls: TLSClient?
        let deadline: Deadline?
        let timeout: Double?
        let url: String
        let label: String
        var buf: [UInt8] = []
        var pos = 0
        var eof = false

        init(vm: VM, conn: ConnObj, tls: TLSClient?, deadline: Deadline?, timeout: Double?, url: String, label: String) {
            self.vm = vm; self.conn = conn; self.tls = tls; self.deadline = deadline; self.timeout = timeout
            self.url = url; self.label = label
        }

        func malformed(_ why: String) -> ScriptThrow {
            ScriptThrow(ErrorKinds.ioError, "malformed HTTP response from \(url): \(why)")
        }

        /// Reads more into `buf`; false at end of stream.
        func fill() throws -> Bool {
            if eof { return false }
            if pos > 0 && pos == buf.count { buf.removeAll(keepingCapacity: true); pos = 0 }
            if let tls = tls {
                let got = try tls.recv(vm, TLSClient.Waits(deadline: deadline, label: label,
                                                           timedOut: { HTTPModule.timedOut(self.url, self.timeout) }))
                if got.isEmpty { eof = true; return false }
                buf += got
                return true
            }
            let got: [UInt8] = try conn.using("recv") { fd in
                while true {
                    var err: Int32 = 0
                    let bytes: [UInt8] = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { b in
                        let n = Glibc.recv(fd, b.baseAddress, 65536, 0)
                        if n < 0 { err = errno; return [] }
                        return Array(b[0..<n])
                    }
                    if err == 0 { return bytes }
                    switch err {
                    case EINTR: continue
                    case EAGAIN, EWOULDBLOCK:
                        if !(try conn.waitReady(vm, fd, Int32(POLLIN), deadline: deadline,
                                                what: label, fn: "recv")) {
                            throw HTTPModule.timedOut(url, timeout)
                        }
                    case ECONNRESET:
                        throw NetModule.error(ErrorKinds.connectionReset, "recv from \(conn.peer)", err)
                    default:
                        throw NetModule.error(ErrorKinds.ioError, "recv from \(conn.peer)", err)
                    }
                }
            }
            if got.isEmpty { eof = true; return false }
            buf += got
            return true
        }

        /// One line without its CRLF (or LF); nil at end of stream before any byte.
        func line(limit: Int) throws -> String? {
            var scanned = 0   // bytes after `pos` already looked at (`fill` may move `pos`)
            while true {
                if let nl = buf[(pos + scanned)...].firstIndex(of: 10) {
                    var end = nl
                    if end > pos && buf[end - 1] == 13 { end -= 1 }
                    let s = String(decoding: buf[pos..<end], as: UTF8.self)
                    pos = nl + 1
                    return s
                }
                scanned = buf.count - pos
                if scanned > limit { throw malformed("line too long") }
                if !(try fill()) {
                    if pos == buf.count { return nil }
                    throw malformed("connection closed in the middle of a line")
                }
            }
        }

        /// The status line and headers (names lowercased).
        func readHead() throws -> (Int, [(String, String)]) {
            guard let statusLine = try line(limit: HTTPModule.maxHeaderBytes) else {
                throw malformed("connection closed with no response")
            }
            let fields = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), fields[1].count == 3,
                  let status = Int(fields[1]), fields[1].allSatisfy({ $0.isASCII && $0.isNumber }), status >= 100 else {
                throw malformed("bad status line \(quoteString(String(statusLine.prefix(80))))")
            }
            var headers: [(String, String)] = []
            var total = 0
            while true {
                guard let l = try line(limit: HTTPModule.maxHeaderBytes) else {
                    throw malformed("connection closed in the headers")
                }
                if l.isEmpty { break }
                total += l.utf8.count
                if total > HTTPModule.maxHeaderBytes { throw malformed("headers too large") }
                if l.first == " " || l.first == "\t", let lastIdx = headers.indices.last {
                    headers[lastIdx].1 += " " + l.trimmingWhitespace()   // obsolete folding
                    continue
                }
                guard let colon = l.firstIndex(of: ":") else {
                    throw malformed("bad header line \(quoteString(String(l.prefix(80))))")
                }
                let name = l[..<colon]
                if name.isEmpty || !name.utf8.allSatisfy(HTTPModule.isTokenByte) {
                    throw malformed("bad header name \(quoteString(String(name.prefix(80))))")
                }
                headers.append((name.lowercased(),
                                String(l[l.index(after: colon)...]).trimmingScalars(where: { $0 == " " || $0 == "\t" })))
            }
            return (status, headers)
        }

        func readExactly(_ n: Int) throws -> [UInt8] {
            while buf.count - pos < n {
                if !(try fill()) {
                    throw malformed("body ended after \(buf.count - pos) of \(n) bytes")
                }
            }
            let out = Array(buf[pos..<(pos + n)])
            pos += n
            return out
        }

        func readToEnd() throws -> [UInt8] {
            while try fill() {}
            let out = Array(buf[pos...])
            pos = buf.count
            return out
        }

        func readChunked() throws -> [UInt8] {
            var out: [UInt8] = []
            while true {
                guard let sizeLine = try line(limit: 4096) else { throw malformed("chunked body ended early") }
                let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
                guard !hex.isEmpty, hex.count <= 15, let size = Int(hex, radix: 16), size >= 0 else {
                    throw malformed("bad chunk size \(quoteString(String(sizeLine.prefix(80))))")
                }
                if size == 0 {
                    // Trailers, up to the empty line (a missing one at end of stream is tolerated).
                    while let t = try line(limit: HTTPModule.maxHeaderBytes), !t.isEmpty {}
                    return out
                }
                out += try readExactly(size)
                guard let end = try line(limit: 2), end.isEmpty else { throw malformed("chunk not followed by CRLF") }
            }
        }
    }
}
