// swift-tools-version: 6.0
// Benchmarks of the Stable Diffusion SDK for Swift, kept in their own package (as swift-collections
// does) so that benchmark-only code and dependencies never reach users of the library.
// Build and run in release mode:
//
//     swift run -c release --package-path Benchmarks GEMMBenchmark
//     Benchmarks/run-gemm.sh          # side by side with a C program calling OpenBLAS directly
//     swift run -c release --package-path Benchmarks PipelineBenchmark --items all
//     Benchmarks/side-by-side.sh      # the suite, interleaved with diffusers on the same work
//
// The model benchmarks build the full-size published architectures with random weights in memory;
// `reference/*.py` run diffusers / transformers on the same work for side-by-side ratios.
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package, named explicitly so that it resolves whatever its checkout folder is called.
        .package(name: "StableDiffusionSwift", path: ".."),
    ],
    targets: [
        // Helpers the model benchmarks share: options, clocks, peak memory, synthetic inputs.
        .target(
            name: "BenchmarkSupport",
            dependencies: ["CoreProbe", .product(name: "TensorModule", package: "StableDiffusionSwift")],
            swiftSettings: swift6),
        // Timed instruction loops that read a core's clock and FMA rate where a virtual machine
        // exposes no hardware counters (the step-outlier analysis).
        .target(name: "CoreProbe"),
        // The performance issue's suite: text encoder, UNet step, VAE decode and full generations at
        // 512² and 256², widening cost and folder load time; compare with reference/pipeline.py
        // (side-by-side.sh runs both).
        .executableTarget(
            name: "PipelineBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "StableDiffusion", package: "StableDiffusionSwift")],
            swiftSettings: swift6),
        // GEMM on the SD shapes and the SDK's call sites; compare with gemm_reference.c (run-gemm.sh).
        .executableTarget(
            name: "GEMMBenchmark",
            dependencies: [.product(name: "TensorModule", package: "StableDiffusionSwift")],
            swiftSettings: swift6),
        // The SD 1.5 / 2.1 CLIP text encoder; compare with reference/text_encoder.py.
        .executableTarget(
            name: "TextEncoderBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "TextEncoder", package: "StableDiffusionSwift")],
            path: "TextEncoderBenchmark", swiftSettings: swift6),
        // The full-size SD 1.5 / 2.1 UNet; compare with reference/unet.py.
        .executableTarget(
            name: "UNetBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "UNet", package: "StableDiffusionSwift")],
            path: "UNetBenchmark", swiftSettings: swift6),
        // The SD 1.5 VAE decoder; compare with reference/vae.py.
        .executableTarget(
            name: "VAEBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "VAE", package: "StableDiffusionSwift")],
            path: "VAEBenchmark", swiftSettings: swift6),
    ]
)
