// The few things the tool took from full Foundation (FileHandle, NSLock, Thread,
// String(format:), NSString paths, trimmingCharacters), done over libc instead, so
// that the `weft` binary links only FoundationEssentials: full Foundation (with
// ICU and CoreFoundation) cost about 6.5 MiB of resident memory at start-up
// (docs/vm.md §8). Each does what the Foundation call it replaces did.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Standard streams

/// Writes all of `text` to `fd` (as FileHandle.write did), retrying after signals.
func writeAll(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        off += n
    }
}

/// Everything left on standard input (FileHandle.readDataToEndOfFile).
func readAllStandardInput() -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return out }
        out.append(contentsOf: chunk[0..<n])
    }
}

// MARK: - Threads and a lock

/// A non-recursive mutex (what NSLock was), in an allocation of its own so that
/// the pthread mutex never moves.
final class CLILock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a new detached thread with a `stackSize`-byte stack. Should the
/// system refuse a thread, `body` runs on the calling thread instead (Foundation's
/// Thread.start ignored the failure, and the REPL then waited forever).
func startThread(stackSize: Int, _ body: @escaping () -> Void) {
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setstacksize(&attr, stackSize)
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, &attr, { arg in
        Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box)
    if rc != 0 {
        Unmanaged<ThreadBody>.fromOpaque(box).takeRetainedValue().run()
    }
}

// MARK: - Text

/// `format` (one conversion taking a double, such as "%.3f ms") applied to `x`,
/// through the C formatter String(format:) used.
func formatDouble(_ format: String, _ x: Double) -> String {
    let needed = withVaList([x]) { vsnprintf(nil, 0, format, $0) }
    guard needed >= 0 else { return "" }
    var buf = [CChar](repeating: 0, count: Int(needed) + 1)
    _ = buf.withUnsafeMutableBufferPointer { b in
        withVaList([x]) { vsnprintf(b.baseAddress, b.count, format, $0) }
    }
    return String(decoding: buf[0..<Int(needed)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension StringProtocol {
    /// Without leading and trailing scalars for which `drop` is true
    /// (trimmingCharacters(in:), which works on scalars).
    private func trimmingScalars(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !drop($0) })!
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }

    /// trimmingCharacters(in: .whitespaces): tab and the space separators (Zs).
    func trimmingWhitespace() -> String {
        trimmingScalars { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// trimmingCharacters(in: .whitespacesAndNewlines): those, plus U+000A-U+000D,
    /// U+0085, U+2028 and U+2029.
    func trimmingWhitespaceAndNewlines() -> String {
        trimmingScalars {
            switch $0.value {
            case 0x09...0x0D, 0x85, 0x2028, 0x2029: return true
            default: return $0.properties.generalCategory == .spaceSeparator
            }
        }
    }
}

// MARK: - Paths

/// `dir` + "/" + `name`, with no doubled slash (NSString.appendingPathComponent).
func appendingPathComponent(_ dir: String, _ name: String) -> String {
    if name.isEmpty { return dir }
    if dir.isEmpty { return name }
    return dir.hasSuffix("/") ? dir + name : dir + "/" + name
}

/// `~` and `~/x` with the home folder ($HOME, else the password database), `~user/x`
/// with that user's; then one trailing slash dropped (NSString.expandingTildeInPath).
/// Anything else, or an unknown user, is returned as given (less a trailing slash
/// for an unknown user, as NSString did).
func expandingTilde(_ path: String) -> String {
    guard path.hasPrefix("~") else { return path }
    let endOfUser = path.firstIndex(of: "/") ?? path.endIndex
    let user = String(path[path.index(after: path.startIndex)..<endOfUser])
    var home: String?
    if user.isEmpty, let h = getenv("HOME"), h.pointee != 0 {
        home = String(cString: h)
    } else if let pw = user.isEmpty ? getpwuid(getuid()) : getpwnam(user), let dir = pw.pointee.pw_dir {
        home = String(cString: dir)
    }
    var result = home.map { $0 + path[endOfUser...] } ?? path
    if result.utf8.count > 1 && result.hasSuffix("/") { result.removeLast() }
    return result
}
