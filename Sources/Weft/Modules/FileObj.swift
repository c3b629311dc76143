// File objects returned by `fs.open(path, mode: "r")` (§8): `read(n)`,
// `read_line()`, `write`, `flush`, `seek`, `tell`, `close`, iteration by line and
// the with-protocol. Writes go straight to the OS (there is no write buffer, so
// `flush` has nothing to do and a crash loses nothing written); reads are
// buffered. Each operation holds the file's own mutex, so a File shared by threads
// never tears a line. The descriptor is closed by `close()`, by `exit()`, or when
// the object is freed.
#if canImport(Glibc)
import Glibc
#endif

final class FileObj: Obj, @unchecked Sendable {
    let path: String
    let mode: String
    let binary: Bool
    let readable: Bool
    let writable: Bool
    private let mutex = PosixLock()
    private var fd: Int32
    /// Read buffer: `buf[pos..<end]` is read from the OS but not yet by the script.
    private var buf: [UInt8] = []
    private var pos = 0
    private var end = 0
    /// File offset of `buf[0]` (-1 when the file is not seekable).
    private var bufStart = 0
    private var eof = false

    private init(path: String, mode: String, fd: Int32, binary: Bool, readable: Bool, writable: Bool) {
        self.path = path; self.mode = mode; self.fd = fd
        self.binary = binary; self.readable = readable; self.writable = writable
        super.init()
        Heap.accountResource()
    }

    deinit { if fd >= 0 { close(fd) } }

    override var typeName: String { "File" }
    /// An open file counts as `Heap.resourceBytes` wherever the collector counts
    /// bytes, so promoting dropped files soon brings a major collection that closes them.
    override func trace(_ m: inout Marker) { m.countBytes(Heap.resourceBytes) }
    override var rescannedWhenOld: Bool { false }
    override func method(_ sym: Int32) -> NativeFn? { FileObj.methods.find(sym) }
    override func methodNames() -> [String] { FileObj.methods.names + ["path", "mode", "closed"] }

    static let pathSym = Symbols.intern("path")
    static let modeSym = Symbols.intern("mode")
    static let closedSym = Symbols.intern("closed")

    override func attribute(_ sym: Int32, vm: VM) throws -> Word? {
        switch sym {
        case FileObj.pathSym: return .string(path)
        case FileObj.modeSym: return .string(mode)
        case FileObj.closedSym: return .bool(isClosed)
        default: return nil
        }
    }

    override func makeIterator(_ vm: VM) throws -> IteratorObj? { FileLines(self) }

    var isClosed: Bool { mutex.lock(); defer { mutex.unlock() }; return fd < 0 }

    // MARK: - Opening

    /// `mode`: one of r w a x, then optionally b and/or + (in any order).
    static func open(_ path: String, mode: String, vm: VM) throws -> FileObj {
        var kind: Character?
        var binary = false, plus = false
        for c in mode {
            switch c {
            case "r", "w", "a", "x":
                if kind != nil { kind = "?"; break }
                kind = c
            case "b" where !binary: binary = true
            case "+" where !plus: plus = true
            default: kind = "?"
            }
        }
        guard let k = kind, k != "?" else {
            throw ScriptThrow.valueError("open(): invalid mode \(quoteString(mode)) (use r, w, a or x, optionally with b and +)")
        }
        var needed: Interpreter.Capabilities = k == "r" ? .fileRead : .fileWrite
        if plus { needed.formUnion([.fileRead, .fileWrite]) }
        try vm.require(needed, "fs.open")
        var flags: Int32 = O_CLOEXEC
        switch k {
        case "r": flags |= plus ? O_RDWR : O_RDONLY
        case "w": flags |= (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC
        case "a": flags |= (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND
        default: flags |= (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL
        }
        let fd = Glibc.open(path, flags, 0o666)
        if fd < 0 { throw IOSupport.ioError("open", path) }
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw IOSupport.ioError("open", path, EISDIR)
        }
        let f = FileObj(path: path, mode: mode, fd: fd, binary: binary,
                        readable: k == "r" || plus, writable: k != "r" || plus)
        if k == "a" { f.bufStart = Int(lseek(fd, 0, SEEK_END)) }
        return f
    }

    // MARK: - Operations (each holds the mutex)

    private func checkOpen(reading: Bool? = nil, _ fn: String) throws {
        if fd < 0 { throw ScriptThrow(ErrorKinds.ioError, "\(fn)(): file '\(path)' is closed") }
        if reading == true && !readable {
            throw ScriptThrow(ErrorKinds.ioError, "\(fn)(): file '\(path)' is not open for reading (mode \(quoteString(mode)))")
        }
        if reading == false && !writable {
            throw ScriptThrow(ErrorKinds.ioError, "\(fn)(): file '\(path)' is not open for writing (mode \(quoteString(mode)))")
        }
    }

    private var unread: Int { end - pos }

    /// Reads more from the OS into the buffer; false at end of file.
    private func fill() throws -> Bool {
        if eof { return false }
        if pos > 0 {
            if bufStart >= 0 { bufStart += pos }
            let (p, n) = (pos, unread)
            buf.withUnsafeMutableBytes { b in _ = memmove(b.baseAddress!, b.baseAddress! + p, n) }
            pos = 0
            end = n
        }
        if buf.count - end < 16384 { buf.append(contentsOf: [UInt8](repeating: 0, count: max(65536, buf.count))) }
        var n: Int
        repeat {
            n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + end, $0.count - end) }
        } while n < 0 && errno == EINTR
        if n < 0 { throw IOSupport.ioError("read", path) }
        end += n
        if n == 0 { eof = true }
        return n > 0
    }

    /// Takes `count` unread bytes.
    private func take(_ count: Int) -> ArraySlice<UInt8> {
        let s = buf[pos..<(pos + count)]
        pos += count
        return s
    }

    private func text(_ bytes: ArraySlice<UInt8>, at offset: Int, _ fn: String) throws -> Word {
        if let s = String(validating: bytes, as: UTF8.self) { return .string(s) }
        let bad = BytesMethods.invalidUTF8Offset(Array(bytes))
        let whereText = bufStart >= 0 ? " at byte \(offset + bad)" : ""
        throw ScriptThrow.valueError("\(fn)(): invalid UTF-8 in '\(path)'\(whereText)")
    }

    /// `read(n)`: up to `n` bytes (binary) or characters (text); nil or negative
    /// `n` reads to the end. Empty at end of file.
    func read(_ n: Int?) throws -> Word {
        mutex.lock(); defer { mutex.unlock() }
        try checkOpen(reading: true, "read")
        let start = bufStart + pos
        if binary {
            if let n = n, n >= 0 {
                while unread < n, try fill() {}
                return IOSupport.bytesValue(Array(take(min(n, unread))))
            }
            while try fill() {}
            return IOSupport.bytesValue(Array(take(unread)))
        }
        guard let n = n, n >= 0 else {
            while try fill() {}
            return try text(take(unread), at: start, "read")
        }
        // The end of the n-th character: the n+1-th lead byte, or the end of file.
        while true {
            var leads = 0
            var i = pos
            while i < end {
                if buf[i] & 0xC0 != 0x80 {
                    if leads == n { return try text(take(i - pos), at: start, "read") }
                    leads += 1
                }
                i += 1
            }
            if !(try fill()) { return try text(take(unread), at: start, "read") }
        }
    }

    /// `read_line()`: the next line without its `\n` (or `\r\n`); nil at end of file.
    func readLine() throws -> Word {
        mutex.lock(); defer { mutex.unlock() }
        try checkOpen(reading: true, "read_line")
        let start = bufStart + pos
        var scanned = pos
        while true {
            if let nl = buf[scanned..<end].firstIndex(of: 10) {
                var line = take(nl - pos + 1).dropLast()
                if line.last == 13 { line = line.dropLast() }
                return binary ? IOSupport.bytesValue(Array(line)) : try text(line, at: start, "read_line")
            }
            scanned = end
            let base = pos
            if !(try fill()) {
                if unread == 0 { return .nil }
                var line = take(unread)
                if line.last == 13 { line = line.dropLast() }
                return binary ? IOSupport.bytesValue(Array(line)) : try text(line, at: start, "read_line")
            }
            scanned -= base - pos   // fill() moved the unread bytes to the front
        }
    }

    /// `write(data)`: str in text mode, bytes in binary mode; returns the count
    /// written (characters or bytes).
    func write(_ v: Word) throws -> Word {
        mutex.lock(); defer { mutex.unlock() }
        try checkOpen(reading: false, "write")
        let bytes: [UInt8]
        let count: Int
        switch v.unpacked {
        case .str(let s) where !binary: bytes = Array(s.value.utf8); count = s.count
        case .object(let b as BytesObj) where binary: bytes = b.bytes; count = b.bytes.count
        default:
            throw ScriptThrow.typeError("write() argument must be \(binary ? "bytes" : "str") for a file opened with mode \(quoteString(mode)), not \(v.typeName)")
        }
        try dropReadBuffer()
        let e = IOSupport.writeAll(fd, bytes)
        if e != 0 { throw IOSupport.ioError("write", path, e) }
        return .int(count)
    }

    /// Moves the OS offset back over buffered, unread bytes and forgets them.
    private func dropReadBuffer() throws {
        if unread > 0 && lseek(fd, off_t(-unread), SEEK_CUR) < 0 { throw IOSupport.ioError("seek in", path) }
        pos = 0
        end = 0
        eof = false
        bufStart = Int(lseek(fd, 0, SEEK_CUR))
    }

    /// `seek(offset, whence: 0)`: 0 from the start, 1 from here, 2 from the end;
    /// returns the new offset (in bytes, in text mode too).
    func seek(_ offset: Int, _ whence: Int) throws -> Word {
        mutex.lock(); defer { mutex.unlock() }
        try checkOpen("seek")
        let w: Int32
        switch whence {
        case 0: w = SEEK_SET
        case 1: w = SEEK_CUR
        case 2: w = SEEK_END
        default: throw ScriptThrow.valueError("seek(): whence must be 0, 1 or 2, not \(whence)")
        }
        try dropReadBuffer()
        let r = lseek(fd, off_t(offset), w)
        if r < 0 { throw IOSupport.ioError("seek in", path) }
        bufStart = Int(r)
        return .int(Int(r))
    }

    func tell() throws -> Word {
        mutex.lock(); defer { mutex.unlock() }
        try checkOpen("tell")
        let r = lseek(fd, 0, SEEK_CUR)
        if r < 0 { throw IOSupport.ioError("tell in", path) }
        return .int(Int(r) - unread)
    }

    func flush() throws {
        mutex.lock(); defer { mutex.unlock() }
        try checkOpen("flush")
    }

    /// Closes the descriptor; closing again does nothing.
    func closeFile() throws {
        mutex.lock(); defer { mutex.unlock() }
        guard fd >= 0 else { return }
        let r = close(fd)
        let e = errno
        fd = -1
        buf = []
        pos = 0
        end = 0
        if r != 0 && e != EINTR { throw IOSupport.ioError("close", path, e) }
    }

    // MARK: - Method table

    static func this(_ r: Word) throws -> FileObj {
        if case .object(let o) = r.unpacked, let f = o as? FileObj { return f }
        throw ScriptThrow.typeError("File method needs a File receiver, not \(r.typeName)")
    }

    static let methods = MethodList([
        NativeEntry("read", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["n"])
            var n: Int?
            if let v = try args.arg(0, "n"), !v.isNil { n = try MethodSupport.int(v, "read", "n") }
            return try this(r).read(n)
        }),
        NativeEntry("read_line", { _, r, args in
            try args.check(min: 0, max: 0)
            return try this(r).readLine()
        }),
        NativeEntry("write", { _, r, args in
            try args.check(min: 0, max: 1, keywords: ["data"])
            return try this(r).write(try MethodSupport.required(args, 0, "data"))
        }),
        NativeEntry("flush", { _, r, args in
            try args.check(min: 0, max: 0)
            try this(r).flush()
            return .nil
        }),
        NativeEntry("seek", { _, r, args in
            try args.check(min: 0, max: 2, keywords: ["offset", "whence"])
            let off = try MethodSupport.int(try MethodSupport.required(args, 0, "offset"), "seek", "offset")
            let whence = try args.arg(1, "whence").map { try MethodSupport.int($0, "seek", "whence") } ?? 0
            return try this(r).seek(off, whence)
        }),
        NativeEntry("tell", { _, r, args in
            try args.check(min: 0, max: 0)
            return try this(r).tell()
        }),
        NativeEntry("close", { _, r, args in
            try args.check(min: 0, max: 0)
            try this(r).closeFile()
            return .nil
        }),
        NativeEntry("enter", { _, r, args in
            try args.check(min: 0, max: 0)
            let f = try this(r)
            if f.isClosed { throw ScriptThrow(ErrorKinds.ioError, "enter(): file '\(f.path)' is closed") }
            return r
        }),
        NativeEntry("exit", { _, r, _ in
            try this(r).closeFile()
            return .nil
        }),
    ])
}

/// `for line in f`: `read_line()` until it returns nil.
final class FileLines: IteratorObj {
    let file: FileObj
    init(_ f: FileObj) { file = f }

    override func next(_ vm: VM) throws -> Word? {
        let v = try file.readLine()
        return v.isNil ? nil : v
    }
}
