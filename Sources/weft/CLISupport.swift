// The few things the tool took from full Foundation (FileHandle, Thread, NSString
// paths), done over libc instead, so that the `weft` binary links only
// FoundationEssentials: full Foundation (with ICU and CoreFoundation) cost about
// 6.5 MiB of resident memory at start-up (docs/vm.md §8). Each does what the Foundation call it replaces did. The lock,
// the thread start, printf formatting and trimming are the library's own
// (`package` access: shared inside this package, not part of the public API).
import Weft
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

// MARK: - A thread

/// Runs `body` on a new detached thread with a `stackSize`-byte stack. Should the
/// system refuse a thread, `body` runs on the calling thread instead (Foundation's
/// Thread.start ignored the failure, and the REPL then waited forever).
func startThread(stackSize: Int, _ body: @escaping () -> Void) {
    do { try NativeThread.start(stackSize: stackSize, body) } catch { body() }
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
