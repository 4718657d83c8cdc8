import _COpenBLAS
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How the SDK reaches OpenBLAS: opened at run time, after choosing its kernel.
///
/// OpenBLAS picks its compute kernel once, in the constructor that runs when the shared library is
/// loaded, from `OPENBLAS_CORETYPE` or else from its own CPU detection. Older builds (Debian 12's
/// 0.3.21) do not know recent CPUs and fall back to the generic "Prescott" kernel, 8× slower on an
/// AVX-512 Xeon. A program linked against OpenBLAS has made that choice before any of its code runs,
/// so this module never links it. On first use it:
///
/// 1. honours `OPENBLAS_CORETYPE` if the user set it;
/// 2. otherwise opens the library, asks which kernel it detected, and compares that kernel's vector
///    ISA with what the CPU and OS support (CPUID and XGETBV);
/// 3. if the kernel is weaker than the machine, closes the library, sets `OPENBLAS_CORETYPE` to the
///    best kernel for the machine's ISA (AVX-512 → SkylakeX, AVX2 → Haswell, AVX → Sandybridge),
///    opens it again, and removes the variable so child processes are unaffected.
///
/// Where detection already works (a newer OpenBLAS on the same CPU), step 3 never happens and the
/// library's own choice stays. The outcome is reported by ``BLASDiagnostics``. The library is also
/// opened with a short idle-thread timeout (``threadTimeout``) unless the user set one.
enum OpenBLAS {
    typealias SgemmFunction = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
        Float, UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint,
        Float, UnsafeMutablePointer<Float>?, blasint) -> Void
    typealias SetThreadsFunction = @convention(c) (Int32) -> Void
    typealias GetStringFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?

    /// The loaded library's entry points.
    struct Library: @unchecked Sendable {
        let path: String
        let sgemm: SgemmFunction
        let setThreads: SetThreadsFunction?
        let coreName: String
        let configuration: String
        let selection: String
    }

    /// Loaded lazily and exactly once (Swift globals are initialised thread-safely).
    static let library: Result<Library, TensorError> = {
        let result = load()
        // Every OpenBLAS call runs on one thread; GEMM shares fixed tiles out between threads itself.
        if case .success(let lib) = result {
            lib.setThreads?(1)
        }
        return result
    }()

    /// The library, or the error explaining why it could not be loaded.
    static func loaded() throws(TensorError) -> Library {
        try library.get()
    }

    /// Callers currently inside ``withSingleThreadedCalls(_:)``.
    private static let singleThreadedCallers = Locked<Int>(0)

    /// Whether some caller runs GEMMs on threads of its own right now (``withSingleThreadedCalls(_:)``).
    static var isInsideSingleThreadedCalls: Bool { singleThreadedCallers.withLock { $0 > 0 } }

    /// Runs `body` with every GEMM computed on its calling thread, for code that runs independent
    /// GEMMs on several threads of its own (each core then works on its own operands in its own
    /// cache, with no hand-off between threads).
    ///
    /// The setting is process-wide: GEMMs other threads start meanwhile also run on their calling
    /// thread, which only affects speed: ``GEMM`` computes the same tiles either way, so results
    /// are the same.
    static func withSingleThreadedCalls<Result>(_ body: () throws -> Result) rethrows -> Result {
        singleThreadedCallers.withLock { $0 += 1 }
        defer { singleThreadedCallers.withLock { $0 -= 1 } }
        return try body()
    }

    static let candidateNames: [String] = [
        "libopenblas.so.0", "libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
        "/usr/local/opt/openblas/lib/libopenblas.dylib",
    ]

    /// `OPENBLAS_THREAD_TIMEOUT` the SDK sets (when the user has not) while opening the library:
    /// OpenBLAS's idle threads then sleep right after a GEMM instead of spinning with
    /// `sched_yield` for 2²⁸ cycles (≈ 0.1 s), which stole a core from the element-wise work and the
    /// single-threaded GEMMs that run between multi-threaded ones (2.7 % of a UNet step's CPU time
    /// in yields with the default, measured; waking a sleeping thread costs microseconds per GEMM).
    static let threadTimeout = "4"

    private static func load() -> Result<Library, TensorError> {
        let setsTimeout = getenv("OPENBLAS_THREAD_TIMEOUT") == nil
        if setsTimeout { setenv("OPENBLAS_THREAD_TIMEOUT", threadTimeout, 1) }
        defer { if setsTimeout { unsetenv("OPENBLAS_THREAD_TIMEOUT") } }
        let userCoreType = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        for name in candidateNames {
            // A copy already in the process (linked by something else) cannot be re-initialised.
            if let existing = dlopen(name, RTLD_NOW | RTLD_NOLOAD) {
                return bind(handle: existing, path: name, selection: "already loaded by the process; kept its kernel")
            }
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            if let userCoreType {
                return bind(handle: handle, path: name, selection: "OPENBLAS_CORETYPE=\(userCoreType) set by the user")
            }
            let detected = coreName(handle) ?? "unknown"
            let machineTier = Int(sd_x86_vector_tier())
            guard let kernelTier = vectorTier(ofCore: detected), machineTier > kernelTier,
                  let better = bestCore(forTier: machineTier) else {
                return bind(handle: handle, path: name, selection: "detected by OpenBLAS")
            }
            dlclose(handle)
            if let stillLoaded = dlopen(name, RTLD_NOW | RTLD_NOLOAD) {
                return bind(handle: stillLoaded, path: name,
                            selection: "OpenBLAS detected \(detected); could not unload it to select \(better)")
            }
            setenv("OPENBLAS_CORETYPE", better, 1)
            let reopened = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            unsetenv("OPENBLAS_CORETYPE")
            guard let reopened else { continue }
            return bind(handle: reopened, path: name,
                        selection: "OpenBLAS detected \(detected) on a CPU with \(tierName(machineTier)); selected \(better)")
        }
        return .failure(.blasUnavailable(
            "could not open OpenBLAS (tried \(candidateNames.joined(separator: ", "))); install it with `apt-get install libopenblas-dev`"))
    }

    private static func bind(handle: UnsafeMutableRawPointer, path: String, selection: String) -> Result<Library, TensorError> {
        guard let sgemm = dlsym(handle, "cblas_sgemm") else {
            return .failure(.blasUnavailable("\(path) has no cblas_sgemm symbol"))
        }
        let config = dlsym(handle, "openblas_get_config")
            .flatMap { unsafeBitCast($0, to: GetStringFunction.self)() }
            .map { String(cString: $0) } ?? "unknown"
        return .success(Library(
            path: path,
            sgemm: unsafeBitCast(sgemm, to: SgemmFunction.self),
            setThreads: dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreadsFunction.self) },
            coreName: coreName(handle) ?? "unknown",
            configuration: config.trimmingCharacters(in: .whitespaces),
            selection: selection))
    }

    private static func coreName(_ handle: UnsafeMutableRawPointer) -> String? {
        guard let symbol = dlsym(handle, "openblas_get_corename") else { return nil }
        return unsafeBitCast(symbol, to: GetStringFunction.self)().map { String(cString: $0) }
    }

    /// The widest vector ISA an OpenBLAS x86 kernel uses, or nil for kernels this table does not
    /// know (left alone: an unknown name is more likely newer than older).
    static func vectorTier(ofCore name: String) -> Int? {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "skylake", "excavator": return 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return 1
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron", "opteron_sse3",
             "barcelona", "bobcat", "katmai", "coppermine", "northwood", "banias", "athlon", "nano":
            return 0
        default: return nil
        }
    }

    static func bestCore(forTier tier: Int) -> String? {
        switch tier {
        case 3: return "SkylakeX"
        case 2: return "Haswell"
        case 1: return "Sandybridge"
        default: return nil
        }
    }

    static func tierName(_ tier: Int) -> String {
        ["SSE", "AVX", "AVX2", "AVX-512"][max(0, min(3, tier))]
    }
}

/// The CPU's vector tier as the loader sees it (exposed for tests).
func sd_x86_vector_tier_for_tests() -> Int32 { sd_x86_vector_tier() }
