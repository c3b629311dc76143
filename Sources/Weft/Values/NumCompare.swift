// Exact comparison of ints with floats over the whole range (as CPython's
// float_richcompare): converting the int to a double rounds above 2**53, and
// converting the double to an int traps beyond Int64, so neither is done blindly.

/// Compares `i` with `d` exactly: -1 (i < d), 0 (equal), 1 (i > d), or nil when
/// `d` is nan (unordered).
@inline(__always) func compareIntDouble(_ i: Int, _ d: Double) -> Int? {
    if d.isNaN { return nil }
    // Every Int is below 2**63 and at least -2**63 (both exact doubles).
    if d >= 9223372036854775808.0 { return -1 }
    if d < -9223372036854775808.0 { return 1 }
    // Here d (hence its integral part) lies in [-2**63, 2**63): the conversion is exact.
    let t = d.rounded(.towardZero)
    let ti = Int(t)
    if i < ti { return -1 }
    if i > ti { return 1 }
    let frac = d - t
    return frac > 0 ? -1 : (frac < 0 ? 1 : 0)
}

/// `i == d`, exactly (no rounding of either side).
@inline(__always) func intEqualsDouble(_ i: Int, _ d: Double) -> Bool {
    guard let j = Int(exactly: d) else { return false }
    return i == j
}

/// The order `op` (.lt/.le/.gt/.ge) between an int and a float, exactly; false
/// for nan, like every ordered comparison with nan.
@inline(__always) func orderIntDouble(_ op: Op, _ i: Int, _ d: Double) -> Bool {
    guard let c = compareIntDouble(i, d) else { return false }
    switch op {
    case .lt: return c < 0
    case .le: return c <= 0
    case .gt: return c > 0
    default: return c >= 0
    }
}

/// The same with the float on the left: `d op i`.
@inline(__always) func orderDoubleInt(_ op: Op, _ d: Double, _ i: Int) -> Bool {
    guard let c = compareIntDouble(i, d) else { return false }
    switch op {
    case .lt: return c > 0
    case .le: return c >= 0
    case .gt: return c < 0
    default: return c <= 0
    }
}
