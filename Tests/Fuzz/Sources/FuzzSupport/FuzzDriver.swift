/// Runs libFuzzer with a Swift closure as the test callback (`LLVMFuzzerTestOneInput`).
///
/// libFuzzer calls back through a C function pointer, which cannot capture, so the closure is kept
/// in a global for the life of the process. libFuzzer runs the callback on one thread.
public enum FuzzDriver {
    /// Starts libFuzzer: parses its flags from `argv`, runs the inputs or the fuzzing loop, and
    /// returns its exit status. `body` is called once per input with the input's bytes; it must not
    /// keep the buffer. A crash, trap or sanitizer report inside `body` is what libFuzzer records.
    ///
    /// - Parameters:
    ///   - argc: The process's argument count.
    ///   - argv: The process's arguments.
    ///   - body: The test of one input.
    /// - Returns: libFuzzer's exit status.
    public static func run(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                           _ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Int32 {
        FuzzDriver.body = body
        var count = argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
            FuzzDriver.body?(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    }

    nonisolated(unsafe) private static var body: ((UnsafeRawBufferPointer) -> Void)?
}

/// libFuzzer's entry point for programs that have their own `main` (compiler-rt's FuzzerDriver.cpp).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
