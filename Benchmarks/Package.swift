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
        // The SD 1.5 VAE decoder with random weights; compare with reference/vae.py.
        .executableTarget(
            name: "VAEBenchmark",
            dependencies: [.product(name: "VAE", package: "StableDiffusionSwift")],
            path: "VAEBenchmark",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
