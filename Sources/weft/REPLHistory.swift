// The REPL's persistent history: `~/.weft_history`, or `$WEFT_HISTORY` (an empty
// value turns persistence off).
//
// One entry per line; a multi-line entry is stored on one line with `\n` for its
// newlines and `\\` for backslashes. Each entry is appended as it is entered, under
// an exclusive flock, so REPLs running (and exiting) at the same time never
// interleave partial lines. The file is cut back to the newest `maxEntries` entries
// in place, under the same lock, when a session starts and when it ends.
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import FoundationEssentials

final class HistoryFile {
    static let maxEntries = 10_000

    /// nil when history is not persisted.
    let path: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let p = environment["WEFT_HISTORY"] {
            path = p.isEmpty ? nil : p
        } else if let home = environment["HOME"], !home.isEmpty {
            path = appendingPathComponent(home, ".weft_history")
        } else if let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir {
            path = appendingPathComponent(String(cString: dir), ".weft_history")
        } else {
            path = nil
        }
    }

    // MARK: Encoding

    static func encode(_ entry: String) -> String {
        var out = ""
        out.reserveCapacity(entry.utf8.count)
        for ch in entry.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func decode(_ line: Substring) -> String {
        var out = ""
        var escaped = false
        for ch in line.unicodeScalars {
            if escaped {
                switch ch {
                case "n": out += "\n"
                case "r": out += "\r"
                case "\\": out += "\\"
                default: out += "\\"; out.unicodeScalars.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        if escaped { out += "\\" }
        return out
    }

    // MARK: File access

    /// Opens the file and takes an exclusive lock; nil when that is impossible.
    private func openLocked(_ flags: Int32) -> Int32? {
        guard let path = path else { return nil }
        let fd = open(path, flags | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { return nil }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { close(fd); return nil }
        }
        return fd
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        _ = lseek(fd, 0, SEEK_SET)
        while true {
            let n = read(fd, &buf, buf.count)
            if n > 0 { data.append(contentsOf: buf[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return data
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// Cuts the file to the newest `maxEntries` lines, in place (lock held).
    /// Returns the entries kept.
    @discardableResult
    private static func trim(_ fd: Int32, _ data: [UInt8]) -> [Substring] {
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if lines.count > maxEntries {
            lines = Array(lines.suffix(maxEntries))
            let kept = Array((lines.joined(separator: "\n") + "\n").utf8)
            _ = lseek(fd, 0, SEEK_SET)
            if writeAll(fd, kept) { _ = ftruncate(fd, off_t(kept.count)) }
        }
        return lines
    }

    /// The stored entries, oldest first (trimming the file when it is too long).
    func load() -> [String] {
        guard let fd = openLocked(O_RDWR) else { return [] }
        defer { close(fd) }
        return HistoryFile.trim(fd, HistoryFile.readAll(fd)).map(HistoryFile.decode)
    }

    /// Appends one entry (one `write` under the lock).
    func append(_ entry: String) {
        guard let fd = openLocked(O_WRONLY | O_APPEND) else { return }
        defer { close(fd) }
        _ = HistoryFile.writeAll(fd, Array((HistoryFile.encode(entry) + "\n").utf8))
    }

    /// Trims the file to `maxEntries` (at exit).
    func compact() {
        guard let fd = openLocked(O_RDWR) else { return }
        defer { close(fd) }
        HistoryFile.trim(fd, HistoryFile.readAll(fd))
    }
}
