// Size limits for results a script asks for in one operation (`[0] * n`,
// `"ab" * n`, `bytes(n)`): a request the allocator cannot satisfy would abort the
// process, so it raises MemoryError first (as Python does).
import Foundation

enum AllocationLimit {
    /// The most bytes one result may take: half the machine's physical memory (a
    /// block near or beyond it cannot be backed, Swift's allocator traps when an
    /// allocation fails, and the OOM killer ends the process when pages run out),
    /// and never more than 32 GiB, so the limit depends little on the machine.
    static let maxBytes: Int = min(Int(clamping: ProcessInfo.processInfo.physicalMemory / 2), 1 << 35)

    /// Raises MemoryError unless `count` elements of `stride` bytes may be allocated.
    static func check(_ count: Int, stride: Int, _ what: String) throws {
        let (bytes, o) = count.multipliedReportingOverflow(by: stride)
        if o || bytes > maxBytes {
            throw ScriptThrow(ErrorKinds.memoryError, "\(what) too large to allocate")
        }
    }
}
