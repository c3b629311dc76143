// Runs the weft-embed-example executable (Sources/weft-embed-example) and checks what
// it prints: the Codable order priced by a script pool calling a Swift native and a
// host object, decoded back into an Invoice, and the failing second order.
import Foundation
import XCTest

final class EmbedExampleTests: XCTestCase {
    /// The example binary: a file named `weft-embed-example` in a folder at or above the
    /// test bundle (it is built next to it), else .build/{debug,release}.
    static func findExample() -> URL? {
        let name = "weft-embed-example"
        var starts = [Bundle(for: EmbedExampleTests.self).bundleURL, Bundle.main.bundleURL]
        if let arg0 = CommandLine.arguments.first, !arg0.isEmpty {
            starts.append(URL(fileURLWithPath: arg0).resolvingSymlinksInPath())
        }
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent(name)
                if ConformanceTests.isExecutableFile(candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        for config in ["debug", "release"] {
            let candidate = ConformanceTests.packageRoot.appendingPathComponent(".build/\(config)/\(name)")
            if ConformanceTests.isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    func testExamplePricesTheOrderOnAPoolAndDecodesTheInvoice() throws {
        let binary = try XCTUnwrap(Self.findExample(), "weft-embed-example was not built")
        let process = Process()
        process.executableURL = binary
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: stderr, as: UTF8.self))
        XCTAssertEqual(String(decoding: stdout, as: UTF8.self), """
            script sees Stock for Ada with 6 items
            apple x6 = 3.00
            bread x2 = 4.50
            cheese x1 = 7.00
            dates x4 = 14.00
            eggs x12 = 3.00
            flour x2 = 3.50
            order 7 total 35.00
            price() called 6 times by the pool's tasks, 4 at once
            Stock(6 reservations), 12 eggs left
            order 8 failed: ValueError: out of stock: cheese

            """)
    }
}
