// `import math` (§8): constants and functions on ints and floats, with Python's
// error behaviour: a result that is undefined for the input ("math domain error",
// sqrt(-1), log(0)) raises ValueError, one too large to represent raises
// OverflowError ("math range error"), and floor/ceil/trunc return ints.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum MathModule {
    static func make() -> ModuleObj {
        let g = GlobalTable()
        g.set("pi", .float(Double.pi))
        g.set("e", .float(M_E))
        g.set("tau", .float(2 * Double.pi))
        g.set("inf", .float(Double.infinity))
        g.set("nan", .float(Double.nan))

        func def(_ name: String, _ body: @escaping NativeBody) {
            g.set(name, .object(NativeFn(name, body)))
        }
        /// A one-argument float function with domain/range checks.
        func unary(_ name: String, poleIsDomainError: Bool = false, _ f: @escaping (Double) -> Double) {
            def(name) { _, _, args in
                try args.check(min: 1, max: 1)
                let x = try MethodSupport.number(args[0], name, "x")
                return .float(try checked(f(x), input: x, poleIsDomainError: poleIsDomainError))
            }
        }

        unary("sqrt") { $0.squareRoot() }
        unary("exp") { Glibc.exp($0) }
        unary("sin") { Glibc.sin($0) }
        unary("cos") { Glibc.cos($0) }
        unary("tan") { Glibc.tan($0) }
        unary("asin") { Glibc.asin($0) }
        unary("acos") { Glibc.acos($0) }
        unary("atan") { Glibc.atan($0) }
        unary("log2", poleIsDomainError: true) { x in x < 0 ? .nan : Glibc.log2(x) }
        unary("log10", poleIsDomainError: true) { x in x < 0 ? .nan : Glibc.log10(x) }
        unary("degrees") { $0 * 180 / Double.pi }
        unary("radians") { $0 * Double.pi / 180 }

        def("log") { _, _, args in
            try args.check(min: 1, max: 2, keywords: ["base"])
            let x = try MethodSupport.number(args[0], "log", "x")
            let lx = try checked(x < 0 ? .nan : Glibc.log(x), input: x, poleIsDomainError: true)
            guard let bv = try args.arg(1, "base") else { return .float(lx) }
            let b = try MethodSupport.number(bv, "log", "base")
            let lb = try checked(b < 0 ? .nan : Glibc.log(b), input: b, poleIsDomainError: true)
            if lb == 0 { throw ScriptThrow.zeroDivision("float division by zero") }
            return .float(lx / lb)
        }
        def("pow") { _, _, args in
            try args.check(min: 2, max: 2)
            let x = try MethodSupport.number(args[0], "pow", "x")
            let y = try MethodSupport.number(args[1], "pow", "y")
            let r = Glibc.pow(x, y)
            if x.isFinite && y.isFinite {
                if r.isNaN { throw domainError }
                if r.isInfinite { throw x == 0 ? domainError : rangeError }
            }
            return .float(r)
        }
        def("atan2") { _, _, args in
            try args.check(min: 2, max: 2)
            let y = try MethodSupport.number(args[0], "atan2", "y")
            let x = try MethodSupport.number(args[1], "atan2", "x")
            return .float(Glibc.atan2(y, x))
        }
        def("hypot") { _, _, args in
            try args.check(min: 0, max: Int.max)
            var xs: [Double] = []
            for i in 0..<args.count { xs.append(try MethodSupport.number(args[i], "hypot", "x")) }
            if xs.contains(where: { $0.isInfinite }) { return .float(.infinity) }
            if xs.contains(where: { $0.isNaN }) { return .float(.nan) }
            var r = 0.0
            for x in xs { r = Glibc.hypot(r, x) }
            if r.isInfinite { throw rangeError }
            return .float(r)
        }
        for (name, rule) in [("floor", FloatingPointRoundingRule.down), ("ceil", .up), ("trunc", .towardZero)] {
            def(name) { _, _, args in
                try args.check(min: 1, max: 1)
                switch args[0].unpacked {
                case .int: return args[0]
                case .float(let d): return .int(try toInt(d.rounded(rule)))
                default:
                    throw ScriptThrow.typeError("\(name)() argument 'x' must be int or float, not \(args[0].typeName)")
                }
            }
        }
        def("isnan") { _, _, args in
            try args.check(min: 1, max: 1)
            return .bool(try MethodSupport.number(args[0], "isnan", "x").isNaN)
        }
        def("isinf") { _, _, args in
            try args.check(min: 1, max: 1)
            return .bool(try MethodSupport.number(args[0], "isinf", "x").isInfinite)
        }
        def("isfinite") { _, _, args in
            try args.check(min: 1, max: 1)
            return .bool(try MethodSupport.number(args[0], "isfinite", "x").isFinite)
        }
        return ModuleObj(name: "math", globals: g)
    }

    static var domainError: ScriptThrow { ScriptThrow.valueError("math domain error") }
    static var rangeError: ScriptThrow { ScriptThrow.overflow("math range error") }

    /// Python's checks on a libm result: NaN from non-NaN input is a domain error;
    /// infinity from finite input is a range error, or a domain error at a pole (log(0)).
    /// (One input, not an array of them: an array was an allocation per `math.sin`.)
    static func checked(_ r: Double, input: Double, poleIsDomainError: Bool) throws -> Double {
        if r.isNaN && !input.isNaN { throw domainError }
        if r.isInfinite && input.isFinite {
            throw poleIsDomainError ? domainError : rangeError
        }
        return r
    }

    /// An integral float as an int: NaN is a ValueError, infinity or too large an OverflowError.
    static func toInt(_ d: Double) throws -> Int {
        if d.isNaN { throw ScriptThrow.valueError("cannot convert float nan to integer") }
        if d.isInfinite { throw ScriptThrow.overflow("cannot convert float infinity to integer") }
        guard d >= -9.223372036854775808e18 && d < 9.223372036854775808e18 else {
            throw ScriptThrow.overflow("float \(d.weftDescription) is too large to convert to int")
        }
        return Int(d)
    }
}
