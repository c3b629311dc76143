// The library's stand-ins for what it took from full Foundation (docs/vm.md §8),
// checked against Foundation itself, which the tests may still link: path names,
// trimming, printf formatting and ISO-8601 dates must come out the same; and the
// pthread condition's timed wait must keep NSCondition's contract.
import Foundation
import XCTest
@testable import Weft

final class NoFoundationTests: XCTestCase {
    func testPathNamesMatchNSString() {
        // "a/" and other one-character results are left out: NSString traps on them.
        let paths = ["a/b.weft", "b.weft", "/x/y/", "", "/", "lib.v2.weft", ".hidden", "a.", "x/.h.weft",
                     "noext", "a/b/", "a//b", "..", "a/..", "./x", "a.b/c", "x.tar.gz", "a b.weft", "/a/b/c.d/e"]
        for p in paths {
            let ns = p as NSString
            XCTAssertEqual(PathNames.lastComponent(p), ns.lastPathComponent, p)
            XCTAssertEqual(PathNames.deletingExtension(p), ns.deletingPathExtension, p)
            XCTAssertEqual(PathNames.deletingLastComponent(p), ns.deletingLastPathComponent, p)
            XCTAssertEqual(PathNames.appending(p, "m.weft"), ns.appendingPathComponent("m.weft"), p)
            XCTAssertEqual(PathNames.appending("", p), ("" as NSString).appendingPathComponent(p), p)
        }
        // Without symbolic links (none under a fresh temporary folder's made-up names).
        for p in ["/a/b/../../../c", "/a/./b/", "/", "//a//b", "/a/b/..", "/a/b/.", "/..", "/../a",
                  "/nonexistent-weft/x/../y.weft", "/nonexistent-weft/./z//w/"] {
            XCTAssertEqual(PathNames.standardized(p), (p as NSString).standardizingPath, p)
        }
    }

    func testStandardizedResolvesLinksAsTheyAreReached() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("weft-paths-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: root + "/real/sub", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: root) }
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/real")
        try fm.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: root + "/nowhere")
        let real = PathNames.standardized(root)   // the temporary folder may itself be a link
        XCTAssertEqual(PathNames.standardized(root + "/link/sub/../x.weft"), real + "/real/x.weft")
        XCTAssertEqual(PathNames.standardized(root + "/link/x.weft"), real + "/real/x.weft")
        XCTAssertEqual(PathNames.standardized(root + "/dangling/x"), real + "/dangling/x")
        for p in ["/link/sub/../x.weft", "/link/x.weft", "/dangling/x", "/real/./sub//x.weft"] {
            XCTAssertEqual(PathNames.standardized(root + p), ((root + p) as NSString).standardizingPath, p)
        }
    }

    func testTrimmingMatchesCharacterSet() {
        let samples = ["  a b  ", "\t\u{00A0}x\u{2003}", "\n y \r\n", "\u{2028}z\u{85}", "", "   ", " \u{301}e ",
                       "no-space", "\u{3000}wide\u{3000}", "\u{0B} v \u{0C}"]
        for s in samples {
            XCTAssertEqual(s.trimmingWhitespace(), s.trimmingCharacters(in: .whitespaces), s.debugDescription)
            XCTAssertEqual(s.trimmingWhitespaceAndNewlines(), s.trimmingCharacters(in: .whitespacesAndNewlines),
                           s.debugDescription)
        }
    }

    func testPrintfFormatMatchesStringFormat() {
        let values: [Double] = [2.675, 0.125, -1234.5678, 1e300, 1e-320, 5e-324, .pi, -0.0, 123456789.5, 1.7976931348623157e308]
        for x in values {
            for n in [0, 1, 2, 7, 17, 40, 323] {
                XCTAssertEqual(PrintfFormat.double("%.\(n)f", x), String(format: "%.\(n)f", x), "\(x) \(n)")
            }
        }
    }

    func testISODatesMatchISO8601DateFormatter() {
        for t in [1_700_000_000, 1_700_000_000.5, 1_700_000_000.123456, -1.25, 0, 1e10, 1_700_000_000.9999,
                  1_700_000_000.0004, 1_700_000_000.0005, -0.0004, 1.999] as [Double] {
            let d = Date(timeIntervalSince1970: t)
            let f = ISO8601DateFormatter()
            if t.rounded() != t { f.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
            XCTAssertEqual(ISODates.string(d), f.string(from: d), "\(t)")
        }
        for s in ["2026-12-03T22:45:00Z", "2026-12-03T22:45:00.250Z", "2026-12-03T22:45:00+01:00",
                  "2026-12-03T22:45:00.1239Z", "2026-12-03T22:45:00.123456789Z", "1969-12-31T23:59:59.9999Z",
                  "2026-02-30T22:45:00Z", "2026-12-03T22:45:00-05:30", "yesterday", "2026-12-03"] {
            let f = ISO8601DateFormatter()
            var expected = f.date(from: s)
            if expected == nil {
                f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                expected = f.date(from: s)
            }
            XCTAssertEqual(ISODates.date(s), expected, s)
        }
    }

    func testConditionTimedWait() {
        let c = PosixCondition()
        c.lock()
        // Zero, negative and NaN: false at once, the mutex still held.
        XCTAssertFalse(c.wait(seconds: 0))
        XCTAssertFalse(c.wait(seconds: -1))
        XCTAssertFalse(c.wait(seconds: .nan))
        // A timeout: false, after about the time asked for.
        let start = DispatchTime.now().uptimeNanoseconds
        var timedOut = false
        while !timedOut && DispatchTime.now().uptimeNanoseconds - start < 50_000_000 {
            timedOut = !c.wait(seconds: 0.05)   // a spurious wake-up returns true: wait again
        }
        let waited = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        XCTAssertTrue(timedOut)
        XCTAssertGreaterThanOrEqual(waited, 0.049)
        XCTAssertLessThan(waited, 5)
        c.unlock()

        // A signal ends a long wait.
        final class Flag: @unchecked Sendable { var set = false }   // guarded by c
        let flag = Flag()
        let woke = expectation(description: "woken")
        Thread.detachNewThread {
            c.lock()
            while !flag.set { _ = c.wait(seconds: 30) }
            c.unlock()
            woke.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.05)
        c.lock(); flag.set = true; c.signal(); c.unlock()
        wait(for: [woke], timeout: 10)
    }
}
