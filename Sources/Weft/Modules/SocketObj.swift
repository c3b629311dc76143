// Socket objects of `net` (§8): `Server` (from `net.listen`) and `Conn` (from
// `net.connect` and `Server.accept`). Descriptors are non-blocking; a call that
// would block polls the socket together with the thread's wake eventfd
// (`ThreadObj.beginIOWait`), so `cancel()`, Ctrl-C (`Interrupted`), a deadlock
// verdict and a `close()` of the socket by another thread wake it at once. While
// it polls, the thread's activity is `.io(...)`: `:threads` shows
// `waiting on I/O (recv from 127.0.0.1:5000)`, and deadlock detection counts it
// as able to make progress (§7.7).
//
// A socket is closed by `close()`, by `exit()` (with-protocol) or when its object
// is freed. A close while other threads are inside a call on it wakes them (they
// raise IOError) and the descriptor itself is closed when the last one leaves, so
// a descriptor number is never reused under a thread still polling it.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

class SocketObj: Obj, @unchecked Sendable {
    private let mutex = PosixLock()
    private var fd: Int32
    private var closedFlag = false
    /// Calls in progress on `fd` (the descriptor is closed when the last ends).
    private var users = 0
    /// Threads polling this socket now (woken by `close`).
    private var waiters: [ThreadObj] = []
    /// This end's address (`"127.0.0.1:5000"`, `"[::1]:5000"`).
    /// (Set before the object is shared.)
    var local: String

    init(fd: Int32, local: String) {
        self.fd = fd
        self.local = local
        super.init()
        Heap.accountResource()
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Counts as `Heap.resourceBytes`, like an open file (FileObj.trace).
    override func trace(_ m: inout Marker) { m.countBytes(Heap.resourceBytes) }

    var isClosed: Bool { mutex.lock(); defer { mutex.unlock() }; return closedFlag }

    /// What an error about a closed socket calls this one.
    var label: String { local }

    func closedError(_ fn: String) -> ScriptThrow {
        ScriptThrow(ErrorKinds.ioError, "\(fn)(): \(label) is closed")
    }

    /// Runs `body` with the descriptor, which stays open until it returns.
    func using<R>(_ fn: String, _ body: (Int32) throws -> R) throws -> R {
        mutex.lock()
        if closedFlag { mutex.unlock(); throw closedError(fn) }
        users += 1
        let d = fd
        mutex.unlock()
        defer {
            mutex.lock()
            users -= 1
            if closedFlag && users == 0 && fd >= 0 { Glibc.close(fd); fd = -1 }
            mutex.unlock()
        }
        return try body(d)
    }

    /// Closes the socket; closing again does nothing. Threads blocked on it wake
    /// and raise IOError.
    func closeSocket() {
        mutex.lock()
        if closedFlag { mutex.unlock(); return }
        closedFlag = true
        if users == 0 && fd >= 0 { Glibc.close(fd); fd = -1 }
        let ws = unsharedUnderTSan(waiters)
        mutex.unlock()
        for t in ws { t.wake() }
    }

    /// Waits until `fd` is ready for `events`; false when `deadline` passes first
    /// (a deadline already passed still looks once).
    func waitReady(_ vm: VM, _ fd: Int32, _ events: Int32, deadline: Deadline?,
                   what: @autoclosure () -> String, fn: String) throws -> Bool {
        let t = vm.thread!
        try t.checkPending()
        mutex.lock()
        if closedFlag { mutex.unlock(); throw closedError(fn) }
        waiters.append(t)
        mutex.unlock()
        let wakeFd = t.beginIOWait(what())
        defer {
            t.endIOWait()
            mutex.lock()
            if let i = waiters.firstIndex(where: { $0 === t }) { waiters.remove(at: i) }
            mutex.unlock()
        }
        while true {
            try t.checkPending()
            if isClosed { throw closedError(fn) }
            var ms: Int32 = wakeFd < 0 ? IOSupport.sliceMs : -1
            if let d = deadline {
                let left = d.left
                let m = left <= 0 ? 0 : Int32(min((left * 1000).rounded(.up), 86_400_000))
                ms = ms < 0 ? m : min(ms, m)
            }
            var fds = [pollfd(fd: fd, events: Int16(events), revents: 0),
                       pollfd(fd: wakeFd, events: Int16(POLLIN), revents: 0)]
            Heap.park(vm)   // a blocking wait: the collector need not wait for us
            let n = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, 2, ms) }
            Heap.unpark(vm)
            if n < 0 && errno != EINTR { throw NetModule.error(ErrorKinds.ioError, "\(fn)() on \(label)", errno) }
            if fds[1].revents != 0 {
                var v: UInt64 = 0
                _ = Glibc.read(wakeFd, &v, 8)
            }
            if fds[0].revents != 0 { return true }
            if let d = deadline, d.left <= 0 {
                try t.checkPending()
                return false
            }
        }
    }

    // MARK: - Shared attributes and methods

    static let localSym = Symbols.intern("local")
    static let closedSym = Symbols.intern("closed")

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        switch sym {
        case SocketObj.localSym: return .string(local)
        case SocketObj.closedSym: return .bool(isClosed)
        default: return nil
        }
    }
}

/// A listening TCP socket: `accept(timeout:)`, `port`, `local`, `close`, with.
final class ServerObj: SocketObj, @unchecked Sendable {
    let port: Int

    init(fd: Int32, local: String, port: Int) {
        self.port = port
        super.init(fd: fd, local: local)
    }

    override var typeName: String { "Server" }
    override var label: String { "server on \(local)" }
    override func method(_ sym: Int32) -> NativeFn? { ServerObj.methods.find(sym) }
    override func methodNames() -> [String] { ServerObj.methods.names + ["port", "local", "closed"] }

    static let portSym = Symbols.intern("port")

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        if sym == ServerObj.portSym { return .int(port) }
        return try super.attribute(sym, vm: vm)
    }

    /// The next connection; Timeout when `timeout` passes first.
    func accept(_ vm: VM, timeout: Double?) throws -> ConnObj {
        try vm.thread.checkPending()
        let deadline = Deadline.after(timeout)
        return try using("accept") { fd in
            while true {
                var addr = sockaddr_storage()
                var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let c = withUnsafeMutablePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        NetModule.accept4(fd, $0, &len, NetModule.sockNonblock | NetModule.sockCloexec)
                    }
                }
                if c >= 0 {
                    NetModule.setNoDelay(c)
                    return ConnObj(fd: c, local: NetModule.localAddress(c), peer: NetModule.format(&addr))
                }
                let e = errno
                switch e {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EAGAIN, EWOULDBLOCK:
                    if !(try waitReady(vm, fd, Int32(POLLIN), deadline: deadline,
                                       what: "accept on \(local)", fn: "accept")) {
                        throw ScriptThrow(ErrorKinds.timeout,
                                          "accept on \(local) timed out after \(NetModule.seconds(timeout)) s")
                    }
                default:
                    throw NetModule.error(ErrorKinds.ioError, "cannot accept on \(local)", e)
                }
            }
        }
    }

    static func this(_ r: Word) throws -> ServerObj {
        if case .object(let o) = r.unpacked, let s = o as? ServerObj { return s }
        throw ScriptThrow.typeError("Server method needs a Server receiver, not \(r.typeName)")
    }

    static let methods = MethodList([
        NativeEntry("accept", { vm, r, args in
            try args.check(min: 0, max: 1, keywords: ["timeout"])
            let timeout = try vm.timeoutArg(try args.arg(0, "timeout"), "accept")
            return .object(try this(r).accept(vm, timeout: timeout))
        }),
        NativeEntry("close", { _, r, args in
            try args.check(min: 0, max: 0)
            try this(r).closeSocket()
            return .nil
        }),
        NativeEntry("enter", { _, r, args in
            try args.check(min: 0, max: 0)
            let s = try this(r)
            if s.isClosed { throw s.closedError("enter") }
            return r
        }),
        NativeEntry("exit", { _, r, _ in
            try this(r).closeSocket()
            return .nil
        }),
    ])
}

/// A TCP connection: `send`, `recv`, `close`, `peer`, `local`, with.
final class ConnObj: SocketObj, @unchecked Sendable {
    /// The other end's address.
    var peer: String
    /// Whether the last recv found nothing ready (a hint: poll first next time).
    private let recvWaited = Atomic<Bool>(false)

    init(fd: Int32, local: String, peer: String) {
        self.peer = peer
        super.init(fd: fd, local: local)
    }

    override var typeName: String { "Conn" }
    override var label: String { "connection to \(peer)" }
    override func method(_ sym: Int32) -> NativeFn? { ConnObj.methods.find(sym) }
    override func methodNames() -> [String] { ConnObj.methods.names + ["peer", "local", "closed"] }

    static let peerSym = Symbols.intern("peer")

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        if sym == ConnObj.peerSym { return .string(peer) }
        return try super.attribute(sym, vm: vm)
    }

    /// Up to `max` bytes; empty at end of stream. Timeout when `timeout` passes
    /// with nothing received.
    func recv(_ vm: VM, max: Int, timeout: Double?) throws -> Word {
        try vm.thread.checkPending()
        let deadline = Deadline.after(timeout)
        return try using("recv") { fd in
            // A connection whose last recv had to wait (request/response traffic)
            // polls first: poll + recv instead of recv + poll + recv.
            // (A full buffer — bulk traffic — goes back to trying first.)
            var waited = recvWaited.load(ordering: .relaxed)
            if waited {
                if !(try waitReady(vm, fd, Int32(POLLIN), deadline: deadline,
                                   what: "recv from \(peer)", fn: "recv")) {
                    throw ScriptThrow(ErrorKinds.timeout,
                                      "recv from \(peer) timed out after \(NetModule.seconds(timeout)) s")
                }
            }
            while true {
                var err: Int32 = 0
                // Received into scratch space, then copied to a right-sized array.
                let bytes: [UInt8] = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max) { buf in
                    let n = Glibc.recv(fd, buf.baseAddress, max, 0)
                    if n < 0 { err = errno; return [] }
                    return Array(buf[0..<n])
                }
                if err == 0 {
                    recvWaited.store(waited && bytes.count < max, ordering: .relaxed)
                    return IOSupport.bytesValue(bytes)
                }
                switch err {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK:
                    waited = true
                    if !(try waitReady(vm, fd, Int32(POLLIN), deadline: deadline,
                                       what: "recv from \(peer)", fn: "recv")) {
                        throw ScriptThrow(ErrorKinds.timeout,
                                          "recv from \(peer) timed out after \(NetModule.seconds(timeout)) s")
                    }
                case ECONNRESET:
                    throw NetModule.error(ErrorKinds.connectionReset, "recv from \(peer)", err)
                default:
                    throw NetModule.error(ErrorKinds.ioError, "recv from \(peer)", err)
                }
            }
        }
    }

    /// Sends all of `data`, waiting while the socket's buffer is full.
    func send(_ vm: VM, _ data: [UInt8], timeout: Double?) throws {
        try vm.thread.checkPending()
        let deadline = Deadline.after(timeout)
        try using("send") { fd in
            var off = 0
            while off < data.count {
                let n = data.withUnsafeBytes { b in
                    Glibc.send(fd, b.baseAddress! + off, b.count - off, Int32(MSG_NOSIGNAL))
                }
                if n >= 0 { off += n; continue }
                let e = errno
                switch e {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK:
                    if !(try waitReady(vm, fd, Int32(POLLOUT), deadline: deadline,
                                       what: "send to \(peer)", fn: "send")) {
                        throw ScriptThrow(ErrorKinds.timeout,
                                          "send to \(peer) timed out after \(NetModule.seconds(timeout)) s (\(off) of \(data.count) bytes sent)")
                    }
                case EPIPE, ECONNRESET:
                    throw NetModule.error(ErrorKinds.connectionReset, "send to \(peer)", e)
                default:
                    throw NetModule.error(ErrorKinds.ioError, "send to \(peer)", e)
                }
            }
        }
    }

    /// Ends this side's sending (the peer's `recv` then returns b""); receiving
    /// goes on.
    func shutdownWrite() throws {
        try using("shutdown") { fd in
            if Glibc.shutdown(fd, Int32(SHUT_WR)) != 0 && errno != ENOTCONN {
                throw NetModule.error(ErrorKinds.ioError, "shutdown of connection to \(peer)", errno)
            }
        }
    }

    static func this(_ r: Word) throws -> ConnObj {
        if case .object(let o) = r.unpacked, let c = o as? ConnObj { return c }
        throw ScriptThrow.typeError("Conn method needs a Conn receiver, not \(r.typeName)")
    }

    static let methods = MethodList([
        NativeEntry("send", { vm, r, args in
            try args.check(min: 0, max: 2, keywords: ["data", "timeout"])
            let data = try IOSupport.data(try MethodSupport.required(args, 0, "data"), "send", "data")
            let timeout = try vm.timeoutArg(try args.arg(1, "timeout"), "send")
            try this(r).send(vm, data, timeout: timeout)
            return .nil
        }),
        NativeEntry("recv", { vm, r, args in
            try args.check(min: 0, max: 2, keywords: ["max", "timeout"])
            var max = 65536
            if let v = try args.arg(0, "max"), !v.isNil { max = try MethodSupport.int(v, "recv", "max") }
            if max <= 0 { throw ScriptThrow.valueError("recv(): max must be positive, not \(max)") }
            max = min(max, 16 << 20)
            let timeout = try vm.timeoutArg(try args.arg(1, "timeout"), "recv")
            return try this(r).recv(vm, max: max, timeout: timeout)
        }),
        NativeEntry("shutdown", { _, r, args in
            try args.check(min: 0, max: 0)
            try this(r).shutdownWrite()
            return .nil
        }),
        NativeEntry("close", { _, r, args in
            try args.check(min: 0, max: 0)
            try this(r).closeSocket()
            return .nil
        }),
        NativeEntry("enter", { _, r, args in
            try args.check(min: 0, max: 0)
            let c = try this(r)
            if c.isClosed { throw c.closedError("enter") }
            return r
        }),
        NativeEntry("exit", { _, r, _ in
            try this(r).closeSocket()
            return .nil
        }),
    ])
}
