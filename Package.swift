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
        // The system OpenSSL 3 for https:// in the http module, loaded with dlopen on
        // first use, not linked (its headers need libssl-dev; see weft_tls.h).
        .target(name: "CWeftTLS", path: "Sources/CWeftTLS"),
        // OpenSSL linked, for the tests' TLS server only.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .target(name: "Weft", dependencies: ["CWeftSupport", "CWeftTLS"], path: "Sources/Weft",
                swiftSettings: [.swiftLanguageMode(.v5)]),
        // GNU readline for the REPL (needs libreadline-dev).
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        // Linked with mimalloc, which replaces malloc process-wide (needs
        // libmimalloc-dev; Sources/weft/main.swift says why).
        .executableTarget(name: "weft", dependencies: ["Weft", "CReadline"], path: "Sources/weft",
                          swiftSettings: [.swiftLanguageMode(.v5)],
                          linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]),
        // libFuzzer target (Scripts/fuzz.sh): build only with --sanitize=fuzzer.
        .executableTarget(name: "WeftFuzz", dependencies: ["Weft"], path: "Sources/WeftFuzz",
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        // The embed_calls benchmark (Scripts/bench/embed_calls/run.sh).
        .executableTarget(name: "embed-calls-bench", dependencies: ["Weft"], path: "Scripts/bench/embed_calls",
                          exclude: ["lua", "run.sh"], swiftSettings: [.swiftLanguageMode(.v5)]),
        // The embedding example (docs/embedding.md): a native, a host object, a Codable model, a pool.
        .executableTarget(name: "weft-embed-example", dependencies: ["Weft"], path: "Sources/weft-embed-example",
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "WeftTests", dependencies: ["Weft", "weft", "weft-embed-example", "COpenSSL"], path: "Tests/WeftTests",
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
