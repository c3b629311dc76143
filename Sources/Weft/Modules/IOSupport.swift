// Helpers shared by the I/O modules (`os`, `fs`): argument checks, OS error
// messages, and a cancellable wait on file descriptors.
#if canImport(Glibc)
import Glibc
#endif

enum IOSupport {
    /// The OS's reason for `code` ("No such file or directory").
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// `IOError: cannot open 'x.txt': No such file or directory`.
    static func ioError(_ action: String, _ path: String, _ code: Int32 = errno) -> ScriptThrow {
        ScriptThrow(ErrorKinds.ioError, "cannot \(action) '\(path)': \(reason(code))")
    }

    /// A path argument: a str without NUL characters.
    static func path(_ v: Word?, _ fn: String, _ param: String = "path") throws -> String {
        guard let v = v else { throw ScriptThrow.typeError("\(fn)() missing required argument '\(param)'") }
        guard case .str(let s) = v.unpacked else {
            throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be str, not \(v.typeName)")
        }
        if s.value.utf8.contains(0) {
            throw ScriptThrow.valueError("\(fn)() argument '\(param)' must not contain NUL characters")
        }
        return s.value
    }

    /// A str or nil argument.
    static func optionalStr(_ v: Word?, _ fn: String, _ param: String) throws -> String? {
        switch v?.unpacked {
        case nil, .nil?: return nil
        case .str(let s)?: return s.value
        case let other?:
            throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be str or nil, not \(other.typeName)")
        }
    }

    /// A bool argument with a default.
    static func bool(_ v: Word?, _ fn: String, _ param: String, default d: Bool) throws -> Bool {
        switch v?.unpacked {
        case nil, .nil?: return d
        case .bool(let b)?: return b
        case let other?:
            throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be bool, not \(other.typeName)")
        }
    }

    /// The bytes of a str (UTF-8) or bytes value.
    static func data(_ v: Word, _ fn: String, _ param: String) throws -> [UInt8] {
        switch v.unpacked {
        case .str(let s): return Array(s.value.utf8)
        case .object(let o as BytesObj): return o.bytes
        default:
            throw ScriptThrow.typeError("\(fn)() argument '\(param)' must be str or bytes, not \(v.typeName)")
        }
    }

    static func bytesValue(_ b: [UInt8]) -> Word { .object(BytesObj(b)) }

    /// How often a thread waiting on I/O looks for cancellation and interrupts.
    static let sliceMs: Int32 = 20

    /// Runs `body` with the thread shown as sleeping (§7.7: waiting on I/O counts
    /// as able to make progress).
    static func waitingOnIO<R>(_ vm: VM, _ body: () throws -> R) throws -> R {
        let t = vm.thread!
        try t.checkPending()
        t.setActivity(.sleeping)
        defer { t.setActivity(.running) }
        return try body()
    }

    /// Polls `fds` for at most one slice; retries on EINTR. Returns the count ready.
    static func pollSlice(_ fds: inout [pollfd], ms: Int32 = sliceMs) -> Int32 {
        if fds.isEmpty {
            var ts = timespec(tv_sec: 0, tv_nsec: Int(ms) * 1_000_000)
            nanosleep(&ts, nil)
            return 0
        }
        let n = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), ms) }
        return n < 0 ? 0 : n
    }

    /// Writes all of `bytes` to `fd` (blocking), retrying short writes and EINTR.
    /// Returns 0 or the errno.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            off += n
        }
        return 0
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Makes a map with str keys.
    static func map(_ vm: VM, _ pairs: [(String, Word)]) throws -> Word {
        let m = MapObj()
        for (k, v) in pairs { try vm.mapSet(m, .string(k), v) }
        return .map(m)
    }
}
