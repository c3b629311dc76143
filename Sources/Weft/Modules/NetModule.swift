// `import net` (§8): TCP over IPv4 and IPv6. `listen(host, port, backlog: 128)`
// -> Server, `connect(host, port, timeout: nil)` -> Conn (SocketObj.swift). Both
// need the `network` capability. Addresses are strings "host:port" ("[::1]:80"
// for IPv6). Errors are IOErrors naming host:port and the OS's reason; refused
// connections, addresses in use and resets are the IOError subclasses
// ConnectionRefused, AddressInUse and ConnectionReset; timeouts raise Timeout.
#if canImport(Glibc)
import Glibc
#endif

enum NetModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        def("listen") { vm, _, args in
            try args.check(min: 0, max: 3, keywords: ["host", "port", "backlog"])
            try vm.require(.network, "net.listen")
            let host = try hostArg(try args.arg(0, "host"), "listen")
            let port = try portArg(try args.arg(1, "port"), "listen")
            var backlog = 128
            if let b = try args.arg(2, "backlog"), !b.isNil { backlog = try MethodSupport.int(b, "listen", "backlog") }
            return .object(try listen(host, port, backlog: max(1, min(backlog, 65535))))
        }
        def("connect") { vm, _, args in
            try args.check(min: 0, max: 3, keywords: ["host", "port", "timeout"])
            try vm.require(.network, "net.connect")
            let host = try hostArg(try args.arg(0, "host"), "connect")
            let port = try portArg(try args.arg(1, "port"), "connect")
            let timeout = try vm.timeoutArg(try args.arg(2, "timeout"), "connect")
            return .object(try connect(vm, host, port, timeout: timeout))
        }
        return ModuleObj(name: "net", globals: g)
    }

    // MARK: - Arguments

    static func hostArg(_ v: Word?, _ fn: String) throws -> String {
        let h = try IOSupport.path(v, fn, "host")
        return h
    }

    static func portArg(_ v: Word?, _ fn: String) throws -> Int {
        guard let v = v else { throw ScriptThrow.typeError("\(fn)() missing required argument 'port'") }
        let p = try MethodSupport.int(v, fn, "port")
        if p < 0 || p > 65535 { throw ScriptThrow.valueError("\(fn)(): port must be 0...65535, not \(p)") }
        return p
    }

    /// `host:port` as the script wrote it (IPv6 literals in brackets).
    static func endpoint(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    // MARK: - listen and connect

    static func listen(_ host: String, _ port: Int, backlog: Int) throws -> ServerObj {
        let ep = endpoint(host.isEmpty ? "0.0.0.0" : host, port)
        let addrs = try resolve(host.isEmpty ? nil : host, port, passive: true, "listen on \(ep)")
        defer { freeaddrinfo(addrs) }
        var lastError: Int32 = EADDRNOTAVAIL
        var ai: UnsafeMutablePointer<addrinfo>? = addrs
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, sockStream | sockNonblock | sockCloexec, 0)
            if fd < 0 { lastError = errno; continue }
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) != 0 || Glibc.listen(fd, Int32(backlog)) != 0 {
                lastError = errno
                Glibc.close(fd)
                continue
            }
            let local = localAddress(fd)
            let boundPort = Int(local.split(separator: ":").last.flatMap { Int($0) } ?? port)
            return ServerObj(fd: fd, local: local, port: boundPort)
        }
        throw error(lastError == EADDRINUSE ? ErrorKinds.addressInUse : ErrorKinds.ioError,
                    "cannot listen on \(ep)", lastError)
    }

    static func connect(_ vm: VM, _ host: String, _ port: Int, timeout: Double?) throws -> ConnObj {
        try vm.thread.checkPending()
        let ep = endpoint(host, port)
        let deadline = Deadline.after(timeout)
        let addrs = try resolve(host, port, passive: false, "connect to \(ep)")
        defer { freeaddrinfo(addrs) }
        var lastError: Int32 = ECONNREFUSED
        var ai: UnsafeMutablePointer<addrinfo>? = addrs
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, sockStream | sockNonblock | sockCloexec, 0)
            if fd < 0 { lastError = errno; continue }
            // Owned by a Conn at once, so every exit below closes it.
            let conn = ConnObj(fd: fd, local: "", peer: ep)
            var r = Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen)
            if r != 0 && errno == EINTR { errno = EINPROGRESS }
            if r != 0 && errno == EINPROGRESS {
                let ready: Bool
                do {
                    ready = try conn.using("connect") { _ in
                        try conn.waitReady(vm, fd, Int32(POLLOUT), deadline: deadline,
                                           what: "connect to \(ep)", fn: "connect")
                    }
                } catch {
                    conn.closeSocket()
                    throw error
                }
                if !ready {
                    conn.closeSocket()
                    throw ScriptThrow(ErrorKinds.timeout, "connect to \(ep) timed out after \(seconds(timeout)) s")
                }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err == 0 { r = 0 } else { errno = err }
            }
            if r == 0 {
                setNoDelay(fd)
                conn.local = localAddress(fd)
                var addr = sockaddr_storage()
                memcpy(&addr, a.pointee.ai_addr, Int(a.pointee.ai_addrlen))
                conn.peer = format(&addr)
                return conn
            }
            lastError = errno
            conn.closeSocket()
        }
        let kind = lastError == ECONNREFUSED ? ErrorKinds.connectionRefused : ErrorKinds.ioError
        throw error(kind, "cannot connect to \(ep)", lastError)
    }

    // MARK: - Helpers

    static func resolve(_ host: String?, _ port: Int, passive: Bool, _ action: String) throws -> UnsafeMutablePointer<addrinfo> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = sockStream
        hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG
        if host == "localhost" { hints.ai_flags &= ~AI_ADDRCONFIG }
        var res: UnsafeMutablePointer<addrinfo>?
        let r = getaddrinfo(host, String(port), &hints, &res)
        if r != 0 || res == nil {
            let reason = r == EAI_SYSTEM ? IOSupport.reason(errno) : String(cString: gai_strerror(r))
            throw ScriptThrow(ErrorKinds.ioError, "cannot \(action): \(reason)")
        }
        return res!
    }

    /// `IOError: cannot connect to 127.0.0.1:5000: Connection refused`.
    static func error(_ kind: ClassObj, _ context: String, _ code: Int32) -> ScriptThrow {
        ScriptThrow(kind, "\(context): \(IOSupport.reason(code))")
    }

    static func seconds(_ t: Double?) -> String {
        guard let t = t else { return "inf" }
        return Subprocess.formatSeconds(t)
    }

    static let sockStream = Int32(SOCK_STREAM.rawValue)
    static let sockNonblock = Int32(SOCK_NONBLOCK.rawValue)
    static let sockCloexec = Int32(SOCK_CLOEXEC.rawValue)

    static func accept4(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>,
                        _ flags: Int32) -> Int32 {
        if let f = accept4Fn { return f(fd, addr, len, flags) }
        let c = accept(fd, addr, len)
        if c >= 0 {
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK)
        }
        return c
    }
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>, Int32) -> Int32
    static let accept4Fn: Accept4? = dlsym(nil, "accept4").map { unsafeBitCast($0, to: Accept4.self) }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The socket's own address, "host:port".
    static func localAddress(_ fd: Int32) -> String {
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return r == 0 ? format(&addr) : "?"
    }

    /// "127.0.0.1:5000" or "[::1]:5000" (IPv4-mapped IPv6 addresses as IPv4).
    static func format(_ addr: inout sockaddr_storage) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var serv = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let len = socklen_t(addr.ss_family == sa_family_t(AF_INET6)
                            ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, len, &host, socklen_t(host.count), &serv, socklen_t(serv.count),
                            NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        if r != 0 { return "?" }
        var h = String(cString: host)
        let s = String(cString: serv)
        if h.hasPrefix("::ffff:") && h.contains(".") { h = String(h.dropFirst(7)) }
        return h.contains(":") ? "[\(h)]:\(s)" : "\(h):\(s)"
    }
}
