// Path-name operations for resolving imports (VM/Imports.swift), doing what the
// NSString path methods of swift-corelibs-foundation did when the library still
// linked Foundation, so module keys, error messages and module names are unchanged:
// runs of slashes collapse, a trailing slash is dropped, and `standardized` resolves
// `.`, `..` and symbolic links one component at a time.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum PathNames {
    /// Collapses runs of `/` and drops one trailing `/` (NSString's
    /// `_stringByFixingSlashes`). "/" stays "/".
    static func fixingSlashes(_ p: String) -> String {
        if p == "/" { return p }
        var out = ""
        out.reserveCapacity(p.utf8.count)
        var lastWasSlash = false
        for c in p {
            if c == "/" {
                if !lastWasSlash { out.append(c) }
                lastWasSlash = true
            } else {
                out.append(c)
                lastWasSlash = false
            }
        }
        if out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// "a/b.weft" -> "b.weft"; "/x/y/" -> "y"; "/" -> "/".
    static func lastComponent(_ p: String) -> String {
        let f = fixingSlashes(p)
        if f.utf8.count <= 1 { return f }
        guard let slash = f.lastIndex(of: "/") else { return f }
        return String(f[f.index(after: slash)...])
    }

    /// "a/b" -> "a"; "b" -> ""; "/b" -> "/"; "/" -> "/".
    static func deletingLastComponent(_ p: String) -> String {
        let f = fixingSlashes(p)
        if f == "/" || f.isEmpty { return f }
        guard let slash = f.lastIndex(of: "/") else { return "" }
        if slash == f.startIndex { return "/" }
        return String(f[..<slash])
    }

    /// "lib.v2.weft" -> "lib.v2"; ".hidden" and "noext" unchanged; "a." -> "a".
    static func deletingExtension(_ p: String) -> String {
        let f = fixingSlashes(p)
        if f.utf8.count <= 1 { return f }
        let start = f.lastIndex(of: "/").map { f.index(after: $0) } ?? f.startIndex
        guard let dot = f[start...].lastIndex(of: "."), dot != start else { return f }
        // ".." as a whole component has no extension.
        if f[start...] == ".." { return f }
        return String(f[..<dot])
    }

    /// `p` + "/" + `c`, with no doubled slash when `p` ends in one; either empty:
    /// the other.
    static func appending(_ p: String, _ c: String) -> String {
        if c.isEmpty { return p }
        if p.isEmpty { return c }
        return p.hasSuffix("/") ? p + c : p + "/" + c
    }

    /// An absolute path with `.` dropped, `..` taking off the component before it,
    /// and each symbolic link replaced by its (standardized) target as it is
    /// reached, so `link/..` is the target's parent, as the kernel sees it. Parts
    /// that do not exist, dangling links and link loops are kept as written. Like
    /// NSString, a leading `/private` or `/var/automount` goes when the path
    /// without it exists (macOS's firmlinks).
    ///
    /// One difference from swift-corelibs-foundation: it looked up a relative link
    /// target against the working directory instead of the link's folder (so such
    /// links mostly stayed unresolved); here it is the link's folder.
    static func standardized(_ path: String) -> String {
        guard path.hasPrefix("/") else { return path }
        var resolved = resolvingLinks(path)
        for prefix in ["/private", "/var/automount"] where resolved.hasPrefix(prefix) && resolved != prefix {
            let rest = String(resolved.dropFirst(prefix.count))
            if rest.hasPrefix("/") && access(rest, F_OK) == 0 { resolved = rest }
        }
        return resolved
    }

    private static func resolvingLinks(_ path: String) -> String {
        var resolved = "/"
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".":
                continue
            case "..":
                resolved = deletingLastComponent(resolved)
            default:
                resolved = appending(resolved, String(part))
                // stat follows the whole chain: it fails for a dangling link or a
                // loop, which stay as written (and so the recursion ends).
                var st = stat()
                if let target = readLink(resolved), stat(resolved, &st) == 0 {
                    resolved = resolvingLinks(target.hasPrefix("/") ? target
                                              : appending(deletingLastComponent(resolved), target))
                }
            }
        }
        return resolved
    }

    private static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
