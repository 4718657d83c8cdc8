// swift-tools-version: 6.0
// Benchmarks of the Stable Diffusion SDK, kept out of the root package so that benchmark-only code
// never reaches users (as swift-collections does). Build in release: `swift build -c release`.
import PackageDescription

let package = Package(
    name: "StableDiffusionBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "StableDiffusionSwift", path: ".."),
    ],
    targets: [
        // The full-size SD 1.5 / 2.1 UNet with random weights; compare with reference/unet.py.
        .executableTarget(
            name: "UNetBenchmark",
            dependencies: [.product(name: "UNet", package: "StableDiffusionSwift")],
            path: "UNetBenchmark",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
