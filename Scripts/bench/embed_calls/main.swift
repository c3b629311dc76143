// embed_calls (issue 10, Speed): the cost of crossing the host/script boundary.
// 1. host -> script: Swift calls the script function `fn(x) => x + 1` N times.
// 2. script -> native: a script loop calls a Swift native function N times (the
//    loop's own cost, measured with a script function in its place, is printed too).
// Usage: embed-calls-bench [N]   (default 1,000,000). Scripts/bench/embed_calls/run.sh
// builds it in release mode and runs it next to the same loops against Lua 5.4.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Weft

let n = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let weft = Interpreter()
try weft.eval("fn inc(x) => x + 1")
let inc = try weft.global("inc")

// host -> script
var x: Value = 0
for _ in 0..<10_000 { x = try inc.call(x) }          // warm-up
x = 0
let hostToScript = try seconds {
    for _ in 0..<n { x = try inc.call(x) }
}
guard try x.as(Int.self) == n else { fatalError("wrong result \(x)") }

// script -> native
weft.define("native_inc", arity: 1...1) { args in .int(try args[0].as(Int.self) + 1) }
try weft.eval("""
    fn call_native(n) { var x = 0; var i = 0; while i < n { x = native_inc(x); i += 1 }; return x }
    fn call_script(n) { var x = 0; var i = 0; while i < n { x = inc(x); i += 1 }; return x }
    """)
_ = try weft.call("call_native", 10_000)
var r: Value = 0
let scriptToNative = try seconds { r = try weft.call("call_native", .int(n)) }
guard try r.as(Int.self) == n else { fatalError("wrong result \(r)") }
let scriptToScript = try seconds { r = try weft.call("call_script", .int(n)) }

// host -> script from a thread with a small stack (512 KiB, like Dispatch's): the
// calls run on a script pool thread, the caller waiting.
let small = max(1, n / 10)
var fromSmall = 0.0
let finished = DispatchSemaphore(value: 0)
final class Body { let run: () -> Void; init(_ run: @escaping () -> Void) { self.run = run } }
var attr = pthread_attr_t()
pthread_attr_init(&attr)
pthread_attr_setstacksize(&attr, 512 << 10)
var tid = pthread_t()
let started = pthread_create(&tid, &attr, { arg in
    Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().run()
    return nil
}, Unmanaged.passRetained(Body {
    var y: Value = 0
    fromSmall = (try? seconds { for _ in 0..<small { y = try inc.call(y) } }) ?? -1
    finished.signal()
}).toOpaque())
guard started == 0 else { fatalError("cannot start a thread") }
finished.wait()
pthread_join(tid, nil)

/// "%.3f" of `x`, through the C formatter (the benchmark links no Foundation).
func fixed3(_ x: Double) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    let n = withVaList([x]) { vsnprintf(&buf, buf.count, "%.3f", $0) }
    return String(decoding: buf[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

let us = { (s: Double) in fixed3(s * 1e6 / Double(n)) }
print("weft host->script   \(us(hostToScript)) us/call")
print("weft host->script from a 512 KiB thread (pool) \(fixed3(fromSmall * 1e6 / Double(small))) us/call")
print("weft script->native \(us(scriptToNative)) us/call")
print("weft script->script \(us(scriptToScript)) us/call (same loop calling a script function, for reference)")
