// swift-tools-version: 6.0
// libFuzzer targets for the parsers that read untrusted input: safetensors headers, the tokenizer
// (prompts and tokenizer folders), the model configuration decoders, the PNG reader and the A1111 prompt
// syntax.
//
// Not part of the SDK: a nested package (as Benchmarks/ is) so that its unsafe flags never reach
// users. Build and run it with `Tests/Fuzz/run.sh SECONDS [target...]`, which also instruments the
// SDK's own code for coverage (see Documentation/Reliability.md).
import PackageDescription

/// The fuzz driver's own code: coverage, comparison tracing and AddressSanitizer. `-parse-as-library`
/// because each target defines `<Target>_main` itself (SwiftPM links an executable's entry point
/// under that name) and hands control to libFuzzer's `LLVMFuzzerRunDriver`.
let fuzzerSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-parse-as-library", "-sanitize=fuzzer,address"]),
]
/// libFuzzer without its `main` (the target provides one), from the toolchain's clang runtime
/// (run.sh finds it and passes it in SD_FUZZER_NO_MAIN), and AddressSanitizer's runtime.
let fuzzerNoMain = Context.environment["SD_FUZZER_NO_MAIN"]
    ?? "/opt/swift/usr/lib/clang/21/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a"
let fuzzerLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-sanitize=address", "-Xlinker", fuzzerNoMain, "-lstdc++"]),
]

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies,
                      swiftSettings: fuzzerSwiftSettings, linkerSettings: fuzzerLinkerSettings)
}

let package = Package(
    name: "StableDiffusionFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "StableDiffusionSwift", path: "../.."),
    ],
    targets: [
        // Hands libFuzzer a Swift closure as its test callback.
        .target(name: "FuzzSupport", swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        fuzzTarget("FuzzSafetensorsHeader", [.product(name: "TensorModule", package: "StableDiffusionSwift")]),
        fuzzTarget("FuzzTokenizer", [.product(name: "Tokenizer", package: "StableDiffusionSwift")]),
        fuzzTarget("FuzzTokenizerFiles", [.product(name: "Tokenizer", package: "StableDiffusionSwift")]),
        fuzzTarget("FuzzConfigs", [
            .product(name: "UNet", package: "StableDiffusionSwift"),
            .product(name: "VAE", package: "StableDiffusionSwift"),
            .product(name: "TextEncoder", package: "StableDiffusionSwift"),
            .product(name: "Schedulers", package: "StableDiffusionSwift"),
        ]),
        fuzzTarget("FuzzPNG", [.product(name: "Pipeline", package: "StableDiffusionSwift")]),
        fuzzTarget("FuzzLoRAKeys", [.product(name: "Pipeline", package: "StableDiffusionSwift")]),
        fuzzTarget("FuzzPromptSyntax", [.product(name: "Pipeline", package: "StableDiffusionSwift")]),
    ]
)
