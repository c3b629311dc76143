// How native functions receive their arguments: a view of the caller's stack
// (positional values, then keyword values), so calling a builtin allocates nothing.
import Synchronization

/// Keyword names of one call site, interned once when the code is compiled.
final class KeywordNames {
    let ids: [Int32]
    let names: [String]
    /// The address of the last native function that accepted these names
    /// (`Args.check`), so the next call from this site to it skips the check.
    /// Any thread may store it; a stale value only means checking again, and
    /// native functions are never freed, so an address names one function.
    let accepted = Atomic<Int>(0)
    init(_ names: [String]) { self.names = names; self.ids = names.map(Symbols.intern) }
}

/// The arguments of a native call. Valid only during the call.
struct Args {
    let base: UnsafePointer<Word>
    /// Number of positional arguments.
    let count: Int
    let keywords: KeywordNames?
    /// The function being called (kept alive by the caller's stack slot).
    unowned(unsafe) let function: NativeFn

    init(base: UnsafePointer<Word>, count: Int, keywords: KeywordNames?, function: NativeFn) {
        self.base = base; self.count = count; self.keywords = keywords; self.function = function
    }

    /// The function's name, for error messages.
    var fnName: String { function.name }

    /// Positional argument `i` (0-based); the caller checks `count` first.
    subscript(i: Int) -> Word { base[i] }

    var positional: [Word] { Array(UnsafeBufferPointer(start: base, count: count)) }

    var keywordCount: Int { keywords?.names.count ?? 0 }

    /// The `i`th keyword argument as (name, value).
    func keyword(at i: Int) -> (String, Word) {
        (keywords!.names[i], base[count + i])
    }

    /// Keyword argument `name`, if passed.
    func kw(_ name: String) -> Word? {
        guard let k = keywords else { return nil }
        for (i, n) in k.names.enumerated() where n == name { return base[count + i] }
        return nil
    }

    /// Parameter `name` at position `i`: passed positionally or by keyword.
    /// Passing both is a TypeError.
    func arg(_ i: Int, _ name: String) throws -> Word? {
        let k = kw(name)
        if i < count {
            if k != nil { throw ScriptThrow.typeError("\(fnName)() got multiple values for argument '\(name)'") }
            return base[i]
        }
        return k
    }

    /// Checks the positional count is in `min...max` and that no keyword was passed.
    @inline(__always)
    func check(min: Int, max: Int) throws {
        if count < min || count > max || keywords != nil { try failCheck(min: min, max: max, allowed: []) }
    }

    /// Checks the positional count is in `min...max` and every keyword is one of
    /// `allowed`. Inline, it is two compares and a test when no keyword was passed;
    /// `allowed` is an autoclosure so that such a call does not build (allocate) the
    /// array. Keywords a call site passed are checked once per function
    /// (`KeywordNames.accepted`), so a native function must check its keywords
    /// against one fixed list. (Checked on every call, out of line, building the
    /// array cost over 100 instructions: `m.get(k, default: 0)` is k-nucleotide's
    /// counting loop.)
    @inline(__always)
    func check(min: Int, max: Int, keywords allowed: @autoclosure () -> [String]) throws {
        if count < min || count > max { try failCheck(min: min, max: max, allowed: []) }
        if let k = keywords, k.accepted.load(ordering: .relaxed) != functionAddress {
            try failCheck(min: min, max: max, allowed: allowed())
            k.accepted.store(functionAddress, ordering: .relaxed)
        }
    }

    private var functionAddress: Int { Int(bitPattern: Unmanaged.passUnretained(function).toOpaque()) }

    /// The slow half of `check`: throws for a wrong count or an unexpected keyword.
    @inline(never)
    private func failCheck(min: Int, max: Int, allowed names: [String]) throws {
        if count < min || count > max {
            let want = min == max ? "\(min)" : (max == Int.max ? "at least \(min)" : "\(min) to \(max)")
            let s = (min == max && min == 1) ? "" : "s"
            throw ScriptThrow.typeError("\(fnName)() takes \(want) argument\(s) (\(count) given)")
        }
        if let k = keywords {
            for n in k.names where !names.contains(n) {
                throw ScriptThrow.typeError("\(fnName)() got an unexpected keyword argument '\(n)'")
            }
        }
    }
}
