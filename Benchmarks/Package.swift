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
        // The SD 1.5 / 2.1 CLIP text encoder with random weights; compare with reference/text_encoder.py.
        .executableTarget(
            name: "TextEncoderBenchmark",
            dependencies: [.product(name: "TextEncoder", package: "StableDiffusionSwift")],
            path: "TextEncoderBenchmark",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
