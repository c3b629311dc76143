// The text of a syntax or compile error report (§6), as `SourceError.description`,
// `weft --check`, the REPL and imports show it:
//
//   file:line:col: syntax error: message
//     the source line
//     ^ under the column
//
// Bounded whatever the input: at most `maxIssues` issues are shown, then one line
// "... and N more errors"; a long source line is cut to a window of `window` columns
// around the caret, with "..." where text was left out; a long message is cut too.
// (A 20 KB line of bad escapes once printed 20,000 errors, each echoing the line.)

enum SyntaxReport {
    static let maxIssues = 20
    /// Columns of a long source line shown around the caret.
    static let window = 80
    /// Lines up to this many columns are shown whole.
    static let maxLine = 100
    static let maxMessage = 300

    static func render(file: String, source: String, issues: [SyntaxIssue], isCompileError: Bool) -> String {
        let kind = isCompileError ? "error" : "syntax error"
        let lines = LineIndex(source)
        var out = ""
        for i in issues.prefix(maxIssues) {
            out += "\(file):\(i.pos.line):\(i.pos.col): \(kind): \(clip(i.message, maxMessage))\n"
            guard let text = lines.line(Int(i.pos.line)) else { continue }
            let (shown, caretPrefix) = excerpt(Array(text.unicodeScalars), col: Int(i.pos.col))
            out += "  \(shown)\n"
            out += "  \(caretPrefix)^\n"
        }
        if issues.count > maxIssues {
            let more = issues.count - maxIssues
            out += "... and \(more) more \(more == 1 ? "error" : "errors")\n"
        }
        return out
    }

    /// The part of a line to show and the text that puts the caret under column `col`
    /// (1-based, in Unicode scalars; tabs are kept so the caret lines up).
    static func excerpt(_ line: [Unicode.Scalar], col: Int) -> (String, String) {
        let at = min(max(col - 1, 0), line.count)
        var start = 0, end = line.count
        if line.count > maxLine {
            start = max(0, min(at - window / 2, line.count - window))
            end = min(line.count, start + window)
        }
        var shown = start > 0 ? "..." : ""
        var caret = start > 0 ? "   " : ""
        shown.unicodeScalars.append(contentsOf: line[start..<end])
        if end < line.count { shown += "..." }
        for s in line[start..<max(start, min(at, end))] { caret += s == "\t" ? "\t" : " " }
        return (shown, caret)
    }

    static func clip(_ s: String, _ limit: Int) -> String {
        let scalars = s.unicodeScalars
        guard scalars.count > limit else { return s }
        var out = String(String.UnicodeScalarView(scalars.prefix(limit)))
        out += "..."
        return out
    }
}

/// Finds source lines without splitting the whole text per issue.
private struct LineIndex {
    let bytes: [UInt8]
    var starts: [Int] = [0]

    init(_ source: String) {
        bytes = Array(source.utf8)
        for (k, b) in bytes.enumerated() where b == 0x0A { starts.append(k + 1) }
    }

    /// Line `n` (1-based) without its newline (nor a `\r` before it).
    func line(_ n: Int) -> String? {
        guard n >= 1 && n <= starts.count else { return nil }
        let s = starts[n - 1]
        var e = n < starts.count ? starts[n] - 1 : bytes.count
        if e > s && bytes[e - 1] == 0x0D { e -= 1 }
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }
}
