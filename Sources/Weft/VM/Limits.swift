// Size limits for results a script asks for in one operation (`[0] * n`,
// `"ab" * n`, `bytes(n)`): a request the allocator cannot satisfy would abort the
// process, so it raises MemoryError first (as Python does).
import Foundation

enum AllocationLimit {
    /// The most bytes one result may take: the machine's physical memory (a
    /// bigger block cannot be backed, and Swift's allocator traps on failure), and
    /// never more than 32 GiB, so the limit does not depend much on the machine.
    static let maxBytes: Int = min(Int(clamping: ProcessInfo.processInfo.physicalMemory), 1 << 35)

    /// Raises MemoryError unless `count` elements of `stride` bytes may be allocated.
    static func check(_ count: Int, stride: Int, _ what: String) throws {
        let (bytes, o) = count.multipliedReportingOverflow(by: stride)
        if o || bytes > maxBytes {
            throw ScriptThrow(ErrorKinds.memoryError, "\(what) too large to allocate")
        }
    }
}
