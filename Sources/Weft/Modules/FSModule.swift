// `import fs` (§8): whole-file reads and writes, folders, and `open` (FileObj.swift).
// Every function passes the capability gate first (reads need `fileRead`, changes
// `fileWrite`, `copy` both). Errors are IOErrors naming the path and the OS's
// reason: `IOError: cannot open 'x.txt': No such file or directory`. Relative
// paths resolve against the process's working directory.
//
// `write_text` and `write_bytes` are atomic: the data goes to a temporary file in
// the same folder, which is synced and then renamed over the target, so readers
// (and a crash) see the old file or the new one, never half of one.
#if canImport(Glibc)
import Glibc
#endif

enum FSModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        /// The one `path` argument of most functions, after the gate.
        func pathArg(_ vm: VM, _ args: Args, _ cap: Interpreter.Capabilities, _ name: String,
                     extra: [String] = [], max: Int = 1) throws -> String {
            try args.check(min: 0, max: max, keywords: ["path"] + extra)
            try vm.require(cap, "fs." + name)
            return try IOSupport.path(try args.arg(0, "path"), name)
        }

        def("read_text") { vm, _, args in
            let path = try pathArg(vm, args, .fileRead, "read_text")
            return try decode(try readAll(path), path, "read_text")
        }
        def("read_bytes") { vm, _, args in
            let path = try pathArg(vm, args, .fileRead, "read_bytes")
            return IOSupport.bytesValue(try readAll(path))
        }
        def("read_lines") { vm, _, args in
            let path = try pathArg(vm, args, .fileRead, "read_lines")
            let bytes = try readAll(path)
            _ = try decode(bytes, path, "read_lines")
            // Split the bytes: in Swift's String "\r\n" is one Character.
            var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { line -> Word in
                .string(String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self))
            }
            if bytes.isEmpty || bytes.last == 10 { lines.removeLast() }
            return .list(ListObj(lines))
        }
        def("write_text") { vm, _, args in
            let path = try pathArg(vm, args, .fileWrite, "write_text", extra: ["text"], max: 2)
            let text = try MethodSupport.str(try MethodSupport.required(args, 1, "text"), "write_text", "text")
            try atomicWrite(path, Array(text.value.utf8))
            return .nil
        }
        def("write_bytes") { vm, _, args in
            let path = try pathArg(vm, args, .fileWrite, "write_bytes", extra: ["data"], max: 2)
            let v = try MethodSupport.required(args, 1, "data")
            guard case .object(let b as BytesObj) = v.unpacked else {
                throw ScriptThrow.typeError("write_bytes() argument 'data' must be bytes, not \(v.typeName)")
            }
            try atomicWrite(path, b.bytes)
            return .nil
        }
        def("append_text") { vm, _, args in
            let path = try pathArg(vm, args, .fileWrite, "append_text", extra: ["text"], max: 2)
            let text = try MethodSupport.str(try MethodSupport.required(args, 1, "text"), "append_text", "text")
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
            if fd < 0 { throw IOSupport.ioError("open", path) }
            defer { close(fd) }
            let e = IOSupport.writeAll(fd, Array(text.value.utf8))
            if e != 0 { throw IOSupport.ioError("write", path, e) }
            return .nil
        }
        def("exists") { vm, _, args in
            let path = try pathArg(vm, args, .fileRead, "exists")
            var st = stat()
            return .bool(stat(path, &st) == 0)
        }
        def("stat") { vm, _, args in
            let path = try pathArg(vm, args, .fileRead, "stat")
            var st = stat()
            if stat(path, &st) != 0 { throw IOSupport.ioError("stat", path) }
            return try IOSupport.map(vm, [
                ("size", .int(Int(st.st_size))),
                ("mtime", .float(Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)),
                ("is_dir", .bool(st.st_mode & S_IFMT == S_IFDIR)),
            ])
        }
        def("list_dir") { vm, _, args in
            try args.check(min: 0, max: 1, keywords: ["path"])
            try vm.require(.fileRead, "fs.list_dir")
            let path = try IOSupport.path(try args.arg(0, "path") ?? .string("."), "list_dir")
            return .list(ListObj(try listDir(path).map { .string($0) }))
        }
        def("walk") { vm, _, args in
            try args.check(min: 0, max: 1, keywords: ["path"])
            try vm.require(.fileRead, "fs.walk")
            let path = try IOSupport.path(try args.arg(0, "path") ?? .string("."), "walk")
            var out: [Word] = []
            try walk(path, into: &out)
            return .list(ListObj(out))
        }
        def("mkdir") { vm, _, args in
            let path = try pathArg(vm, args, .fileWrite, "mkdir", extra: ["parents"], max: 2)
            let parents = try IOSupport.bool(try args.arg(1, "parents"), "mkdir", "parents", default: false)
            try makeDirectory(path, parents: parents)
            return .nil
        }
        def("remove") { vm, _, args in
            let path = try pathArg(vm, args, .fileWrite, "remove", extra: ["recursive"], max: 2)
            let recursive = try IOSupport.bool(try args.arg(1, "recursive"), "remove", "recursive", default: false)
            try remove(path, recursive: recursive)
            return .nil
        }
        def("rename") { vm, _, args in
            try args.check(min: 0, max: 2, keywords: ["src", "dst"])
            try vm.require(.fileWrite, "fs.rename")
            let src = try IOSupport.path(try args.arg(0, "src"), "rename", "src")
            let dst = try IOSupport.path(try args.arg(1, "dst"), "rename", "dst")
            if Glibc.rename(src, dst) != 0 {
                throw ScriptThrow(ErrorKinds.ioError, "cannot rename '\(src)' to '\(dst)': \(IOSupport.reason(errno))")
            }
            return .nil
        }
        def("copy") { vm, _, args in
            try args.check(min: 0, max: 2, keywords: ["src", "dst"])
            try vm.require([.fileRead, .fileWrite], "fs.copy")
            let src = try IOSupport.path(try args.arg(0, "src"), "copy", "src")
            let dst = try IOSupport.path(try args.arg(1, "dst"), "copy", "dst")
            return .string(try copy(src, dst))
        }
        def("open") { vm, _, args in
            try args.check(min: 0, max: 2, keywords: ["path", "mode"])
            let path = try IOSupport.path(try args.arg(0, "path"), "open")
            let mode = try args.arg(1, "mode").map { try MethodSupport.str($0, "open", "mode").value } ?? "r"
            return .object(try FileObj.open(path, mode: mode, vm: vm))
        }
        return ModuleObj(name: "fs", globals: g)
    }

    // MARK: - Implementation

    static func decode(_ bytes: [UInt8], _ path: String, _ fn: String) throws -> Word {
        if let s = String(validating: bytes, as: UTF8.self) { return .string(s) }
        throw ScriptThrow.valueError("\(fn)(): invalid UTF-8 in '\(path)' at byte \(BytesMethods.invalidUTF8Offset(bytes))")
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw IOSupport.ioError("open", path) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR { throw IOSupport.ioError("read", path, EISDIR) }
        var out: [UInt8] = []
        if st.st_size > 0 { out.reserveCapacity(Int(st.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { return out }
            if errno == EINTR { continue }
            throw IOSupport.ioError("read", path)
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over
    /// `path`. An existing file keeps its permission bits; a symbolic link is
    /// written through (its target is replaced, the link stays).
    static func atomicWrite(_ path: String, _ bytes: [UInt8]) throws {
        var target = path
        var st = stat()
        if lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK, let real = realpath(path, nil) {
            target = String(cString: real)
            free(real)
        }
        let exists = stat(target, &st) == 0
        if exists && st.st_mode & S_IFMT == S_IFDIR { throw IOSupport.ioError("write", path, EISDIR) }
        let slash = target.lastIndex(of: "/")
        let dir = slash.map { String(target[..<$0]) } ?? "."
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var tmp = ""
        var fd: Int32 = -1
        for _ in 0..<100 {
            tmp = (slash == nil ? "" : dir + "/") + "." + base + ".tmp-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        if fd < 0 { throw IOSupport.ioError("open", path) }
        var ok = false
        defer {
            if fd >= 0 { close(fd) }
            if !ok { unlink(tmp) }
        }
        if exists { fchmod(fd, st.st_mode & 0o7777) }
        var e = IOSupport.writeAll(fd, bytes)
        if e == 0 && fsync(fd) != 0 { e = errno }
        if e != 0 { throw IOSupport.ioError("write", path, e) }
        let c = close(fd)
        fd = -1
        if c != 0 { throw IOSupport.ioError("write", path) }
        if rename(tmp, target) != 0 { throw IOSupport.ioError("write", path) }
        ok = true
        // Make the rename itself durable.
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Names in a folder (without "." and ".."), sorted.
    static func listDir(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw IOSupport.ioError("list", path) }
        defer { closedir(d) }
        var names: [String] = []
        errno = 0
        while let ent = readdir(d) {
            let name = withUnsafePointer(to: &ent.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        if errno != 0 { throw IOSupport.ioError("list", path) }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    /// Top-down `[folder, [subfolders], [files]]` entries. Symbolic links to folders
    /// are listed with the subfolders but not followed.
    static func walk(_ path: String, into out: inout [Word]) throws {
        var dirs: [String] = [], files: [String] = [], descend: [String] = []
        for name in try listDir(path) {
            let full = join(path, name)
            var st = stat(), lst = stat()
            let isDir = stat(full, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
            if isDir {
                dirs.append(name)
                if lstat(full, &lst) == 0 && lst.st_mode & S_IFMT == S_IFDIR { descend.append(full) }
            } else {
                files.append(name)
            }
        }
        out.append(.list(ListObj([.string(path), .list(ListObj(dirs.map { .string($0) })),
                                  .list(ListObj(files.map { .string($0) }))])))
        for d in descend { try walk(d, into: &out) }
    }

    static func makeDirectory(_ path: String, parents: Bool) throws {
        if Glibc.mkdir(path, 0o777) == 0 { return }
        let e = errno
        var st = stat()
        if parents && e == EEXIST && stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR { return }
        if parents && e == ENOENT {
            var parent = path
            while parent.hasSuffix("/") && parent.count > 1 { parent.removeLast() }
            if let i = parent.lastIndex(of: "/"), i != parent.startIndex {
                try makeDirectory(String(parent[..<i]), parents: true)
                if Glibc.mkdir(path, 0o777) == 0 { return }
                if errno == EEXIST && stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR { return }
                throw IOSupport.ioError("create directory", path)
            }
        }
        throw IOSupport.ioError("create directory", path, e)
    }

    /// Removes a file, a symbolic link or an empty folder; with `recursive`, a
    /// folder and everything in it (links are removed, never followed).
    static func remove(_ path: String, recursive: Bool) throws {
        var st = stat()
        if lstat(path, &st) != 0 { throw IOSupport.ioError("remove", path) }
        if st.st_mode & S_IFMT == S_IFDIR {
            if recursive {
                for name in try listDir(path) { try remove(join(path, name), recursive: true) }
            }
            if rmdir(path) != 0 { throw IOSupport.ioError("remove", path) }
        } else if unlink(path) != 0 {
            throw IOSupport.ioError("remove", path)
        }
    }

    /// Copies a file's bytes and permission bits; a `dst` that is a folder gets a
    /// file of the same name inside it. Returns the path written.
    static func copy(_ src: String, _ dst: String) throws -> String {
        let input = open(src, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw IOSupport.ioError("open", src) }
        defer { close(input) }
        var st = stat()
        if fstat(input, &st) != 0 { throw IOSupport.ioError("read", src) }
        if st.st_mode & S_IFMT == S_IFDIR { throw IOSupport.ioError("copy", src, EISDIR) }
        var target = dst
        var dst_st = stat()
        if stat(dst, &dst_st) == 0 && dst_st.st_mode & S_IFMT == S_IFDIR {
            target = join(dst, String(src.split(separator: "/").last ?? Substring(src)))
        }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0o777)
        if output < 0 { throw IOSupport.ioError("open", target) }
        defer { close(output) }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOSupport.ioError("read", src)
            }
            let e = chunk.withUnsafeBytes { IOSupport.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if e != 0 { throw IOSupport.ioError("write", target, e) }
        }
        return target
    }
}
