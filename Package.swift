// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Weft",
    products: [
        .library(name: "Weft", targets: ["Weft"]),
        .executable(name: "weft", targets: ["weft"]),
    ],
    targets: [
        .target(name: "Weft", path: "Sources/Weft",
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "weft", dependencies: ["Weft"], path: "Sources/weft",
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "WeftTests", dependencies: ["Weft", "weft"], path: "Tests/WeftTests",
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
