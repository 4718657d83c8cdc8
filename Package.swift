// swift-tools-version: 6.0
// The Stable Diffusion SDK for Swift: a CPU-first text-to-image library.
//
// Dependency graph (fixed): TensorModule ← Layers ← TextEncoder, UNet, VAE;
// TensorModule ← Tokenizer, Schedulers; all of them ← Pipeline ← StableDiffusion (umbrella) ← sd.
// The HTTP server (Examples/SDServer, Hummingbird) is an example target used by `sd serve`: no
// library target depends on it or on Hummingbird.
import PackageDescription

let strictSwift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "StableDiffusionSwift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StableDiffusion", targets: ["StableDiffusion"]),
        .library(name: "TensorModule", targets: ["TensorModule"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "TextEncoder", targets: ["TextEncoder"]),
        .library(name: "UNet", targets: ["UNet"]),
        .library(name: "VAE", targets: ["VAE"]),
        .library(name: "Schedulers", targets: ["Schedulers"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .executable(name: "sd", targets: ["sd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // `sd serve --queue` / `sd worker`: the PostgreSQL job queue (Examples/SDServer only).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // `swift package generate-documentation` (Documentation/README.md); a command plugin, linked into nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Declarations of OpenBLAS's CBLAS interface. Deliberately not linked: the library is
        // opened at run time (see TensorModule/BLAS/OpenBLASLoader.swift) so that its kernel can
        // be chosen before it initialises. Not API.
        .systemLibrary(
            name: "_COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // A setjmp-safe C wrapper around libpng (libpng-dev). Not API.
        .target(name: "_CPNG", linkerSettings: [.linkedLibrary("png16")]),
        // fp16 / bf16 ↔ float32 conversions with F16C where the CPU has it (weights stay 16-bit in
        // memory and are widened where used). Not API.
        .target(name: "_CHalfPrecision"),
        // AVX2 / AVX-512 kernels (softmax, Winograd F(2×2) and F(4×4) transforms), chosen at run time
        // by CPU, with portable C fallbacks. Not API.
        .target(name: "_CVectorKernels"),
        .target(name: "TensorModule", dependencies: ["_COpenBLAS", "_CHalfPrecision", "_CVectorKernels"], swiftSettings: strictSwift6,
                linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Layers", dependencies: ["TensorModule"], swiftSettings: strictSwift6),
        .target(name: "Tokenizer", dependencies: ["TensorModule"], resources: [.copy("Resources/clip")], swiftSettings: strictSwift6),
        .target(name: "TextEncoder", dependencies: ["TensorModule", "Layers"], swiftSettings: strictSwift6),
        .target(name: "UNet", dependencies: ["TensorModule", "Layers"], swiftSettings: strictSwift6),
        .target(name: "VAE", dependencies: ["TensorModule", "Layers"], swiftSettings: strictSwift6),
        .target(name: "Schedulers", dependencies: ["TensorModule"], swiftSettings: strictSwift6),
        .target(name: "Pipeline",
                dependencies: ["TensorModule", "Tokenizer", "TextEncoder", "UNet", "VAE", "Schedulers", "_CPNG"],
                swiftSettings: strictSwift6),
        .target(name: "StableDiffusion",
                dependencies: ["TensorModule", "Layers", "Tokenizer", "TextEncoder", "UNet", "VAE",
                               "Schedulers", "Pipeline"],
                swiftSettings: strictSwift6),
        .executableTarget(
            name: "sd",
            dependencies: ["StableDiffusion", "SDServer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/sd",
            swiftSettings: strictSwift6),
        // `sd serve`: an AUTOMATIC1111-compatible HTTP API on Hummingbird 2 (Documentation/Server.md).
        // An example target, so that the library products carry no server dependency.
        .target(
            name: "SDServer",
            dependencies: ["StableDiffusion", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Examples/SDServer",
            swiftSettings: strictSwift6),
        // A scheduler written outside the library, through the public protocols only
        // (Documentation/CustomScheduler.md).
        .executableTarget(
            name: "CustomScheduler",
            dependencies: ["StableDiffusion"],
            path: "Examples/CustomScheduler",
            swiftSettings: strictSwift6),
        // Shared by the test targets: fixture paths, tolerance checks, the scheduler conformance
        // checker. Not API.
        .target(name: "_TestSupport", dependencies: ["TensorModule", "Schedulers"], path: "Tests/_TestSupport",
                swiftSettings: strictSwift6),
        .testTarget(name: "TensorTests", dependencies: ["TensorModule", "Layers", "_TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "_TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "TextEncoderTests", dependencies: ["TextEncoder", "Tokenizer", "_TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "UNetTests", dependencies: ["UNet", "_TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "VAETests", dependencies: ["VAE", "_TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers", "_TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "PipelineTests", dependencies: ["StableDiffusion", "_TestSupport"], swiftSettings: strictSwift6),
        // The server's tests talk to it over TCP with Foundation's URLSession (libcurl), not
        // HummingbirdTesting: that module brings AsyncHTTPClient, SwiftNIO SSL and BoringSSL into the
        // build (minutes on CI, three times over with the sanitizer builds).
        .testTarget(name: "ServerTests",
                    dependencies: ["SDServer", "StableDiffusion", "_TestSupport",
                                   .product(name: "Hummingbird", package: "hummingbird")],
                    swiftSettings: strictSwift6),
    ]
)
