// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Weft",
    products: [
        .library(name: "Weft", targets: ["Weft"]),
        .executable(name: "weft", targets: ["weft"]),
    ],
    targets: [
        // An out-of-line no-op the object locks call before unlocking (see its header).
        .target(name: "CWeftSupport", path: "Sources/CWeftSupport"),
        .target(name: "Weft", dependencies: ["CWeftSupport"], path: "Sources/Weft",
                swiftSettings: [.swiftLanguageMode(.v5)]),
        // GNU readline for the REPL (needs libreadline-dev).
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        .executableTarget(name: "weft", dependencies: ["Weft", "CReadline"], path: "Sources/weft",
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        // libFuzzer target (Scripts/fuzz.sh): build only with --sanitize=fuzzer.
        .executableTarget(name: "WeftFuzz", dependencies: ["Weft"], path: "Sources/WeftFuzz",
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "WeftTests", dependencies: ["Weft", "weft"], path: "Tests/WeftTests",
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
