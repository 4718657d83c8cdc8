// swift-tools-version: 6.0
// Benchmarks of the Stable Diffusion SDK for Swift, kept in their own package so that
// benchmark-only code and dependencies never reach users of the library.
//
//     swift run -c release --package-path Benchmarks GEMMBenchmark
//     Benchmarks/run-gemm.sh          # side by side with a C program calling OpenBLAS directly
import PackageDescription

let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The root package, named explicitly so that it resolves whatever its checkout folder is called.
        .package(name: "StableDiffusionSwift", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "GEMMBenchmark",
            dependencies: [.product(name: "TensorModule", package: "StableDiffusionSwift")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
