// `import "path.weft" as m` and `import name` (§4, §8): each module runs once per
// interpreter, however many threads import it; cycles raise ImportError.
import FoundationEssentials

extension VM {
    /// `key` is "file:<path as written>" or "mod:<name>".
    func importModule(_ key: String, from importer: String) throws -> Word {
        if key.hasPrefix("mod:") {
            let name = String(key.dropFirst(4))
            let m = try core.module(key, vm: self) {
                // Host-defined modules first (Embedding/HostModules.swift).
                guard let m = core.hostModules.module(name) ?? StdModules.make(name, core: core) else {
                    throw ScriptThrow(ErrorKinds.importError, "no module named '\(name)'")
                }
                return m
            }
            return .object(m)
        }
        let written = String(key.dropFirst(5))
        let path = resolveImportPath(written, from: importer)
        let m = try core.module("file:" + path, vm: self) {
            guard let data = FileManager.default.contents(atPath: path),
                  let source = String(data: data, encoding: .utf8) else {
                throw ScriptThrow(ErrorKinds.importError, "cannot import '\(written)': no readable file at \(path)")
            }
            let table = GlobalTable()
            let proto: FuncProto
            do {
                proto = try compileSource(source, file: displayPath(written, from: importer), globals: table)
            } catch let e as SourceError {
                throw ScriptThrow(ErrorKinds.syntaxError, e.issues.first.map {
                    "\(e.file):\($0.pos.line):\($0.pos.col): \(e.isCompileError ? "error" : "syntax error"): \($0.message)"
                } ?? "invalid module")
            }
            _ = try call(.function(Closure(proto: proto)), [])
            let stem = PathNames.lastComponent(written)
            return ModuleObj(name: PathNames.deletingExtension(stem), globals: table)
        }
        return .object(m)
    }

    /// Imports resolve against the importing file's folder (the working directory
    /// for code without a file, such as the REPL or `-e`).
    func resolveImportPath(_ written: String, from importer: String) -> String {
        if written.hasPrefix("/") { return PathNames.standardized(written) }
        let dir: String
        if importer.hasPrefix("<") {
            dir = FileManager.default.currentDirectoryPath
        } else {
            let d = PathNames.deletingLastComponent(importer)
            dir = d.hasPrefix("/") ? d : PathNames.appending(FileManager.default.currentDirectoryPath, d)
        }
        return PathNames.standardized(PathNames.appending(dir, written))
    }

    /// The module's file name as error reports show it (relative like the importer's).
    func displayPath(_ written: String, from importer: String) -> String {
        if written.hasPrefix("/") || importer.hasPrefix("<") { return written }
        let d = PathNames.deletingLastComponent(importer)
        return d.isEmpty ? written : PathNames.appending(d, written)
    }
}

/// Syntax or compile errors of one source text.
public struct SourceError: Error, CustomStringConvertible {
    /// The file name the source was given under.
    public let file: String
    /// The source text.
    public let source: String
    /// Every problem found, in source order.
    public let issues: [SyntaxIssue]
    /// True for compile errors (`error:`), false for syntax errors (`syntax error:`).
    public let isCompileError: Bool

    /// True when the only problem is that the input ended early (REPL continuation).
    public var isIncomplete: Bool { !issues.isEmpty && issues.allSatisfy(\.incomplete) }

    /// The report: `file:line:col: syntax error: message`, the line and a caret, per
    /// issue — at most `SyntaxReport.maxIssues` of them (Compiler/SyntaxReport.swift).
    public var description: String {
        SyntaxReport.render(file: file, source: source, issues: issues, isCompileError: isCompileError)
    }
}

/// Parses and compiles `source` into the top-level prototype for `globals`.
func compileSource(_ source: String, file: String, globals: GlobalTable,
                   builtins: [String: Word]? = nil, allowRedeclare: Bool = false) throws -> FuncProto {
    let (program, issues) = Parser.parse(source)
    if !issues.isEmpty {
        throw SourceError(file: file, source: source, issues: issues, isCompileError: false)
    }
    let compiler = Compiler(file: file, globals: globals, builtins: builtins ?? BuiltinTable.shared,
                            allowRedeclare: allowRedeclare)
    do {
        return try compiler.compileProgram(program)
    } catch let e as CompileError {
        throw SourceError(file: file, source: source, issues: e.issues, isCompileError: true)
    }
}

/// The global builtins every module sees.
enum BuiltinTable {
    static let shared: [String: Word] = {
        var b = Builtins.functions
        for k in ErrorKinds.all { b[k.name] = .object(k) }
        for (k, v) in RuntimeBuiltins.functions { b[k] = v }
        return b
    }()
}
