// Trimming of white space at both ends of a string, as Foundation's
// `trimmingCharacters(in:)` did before the library stopped linking Foundation: it
// works on Unicode scalars (not characters) and uses CharacterSet's definitions.
// Package-wide: the REPL trims its input with it too.

extension StringProtocol {
    /// Without leading and trailing scalars for which `drop` is true.
    func trimmingScalars(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !drop($0) })!
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }

    /// CharacterSet.whitespaces: tab and the space separators (Zs), such as
    /// U+0020 and U+00A0.
    package func trimmingWhitespace() -> String {
        trimmingScalars(where: Whitespace.isBlank)
    }

    /// CharacterSet.whitespacesAndNewlines: those, plus U+000A-U+000D, U+0085,
    /// U+2028 and U+2029.
    package func trimmingWhitespaceAndNewlines() -> String {
        trimmingScalars(where: { Whitespace.isBlank($0) || Whitespace.isNewline($0) })
    }
}

enum Whitespace {
    static func isBlank(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s.properties.generalCategory == .spaceSeparator
    }

    static func isNewline(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
