/// What the compute engine is running on: the OpenBLAS kernel, how it was chosen, and threads.
public struct BLASDiagnostics: Sendable, Codable, Equatable {
    /// OpenBLAS's name for its active kernel (`openblas_get_corename`), e.g. "SkylakeX".
    public var blasCore: String
    /// Threads used for GEMM and the element-wise work around it.
    public var threads: Int
    /// How the kernel was chosen (detected by OpenBLAS, selected by the SDK, or set by the user).
    public var kernelSelection: String
    /// The library file that was opened.
    public var library: String
    /// OpenBLAS's build configuration string (`openblas_get_config`).
    public var blasConfiguration: String

    enum CodingKeys: String, CodingKey {
        case blasCore = "blas_core", threads, kernelSelection = "kernel_selection", library
        case blasConfiguration = "blas_config"
    }

    /// Loads OpenBLAS if it is not loaded yet and reports on it.
    ///
    /// - Throws: ``TensorError/blasUnavailable(_:)`` when no OpenBLAS library can be opened.
    public static func current() throws(TensorError) -> BLASDiagnostics {
        let library = try OpenBLAS.loaded()
        return BLASDiagnostics(
            blasCore: library.coreName,
            threads: ComputeConfiguration.threads,
            kernelSelection: library.selection,
            library: library.path,
            blasConfiguration: library.configuration)
    }

    /// Makes sure OpenBLAS can be loaded, so later tensor operations cannot fail for that reason.
    ///
    /// - Throws: ``TensorError/blasUnavailable(_:)`` with the reason.
    public static func ensureAvailable() throws(TensorError) {
        _ = try OpenBLAS.loaded()
    }

    /// Totals of the GEMM timing hook since the last ``resetGEMMStatistics(enabled:)``.
    public struct GEMMStatistics: Sendable, Equatable {
        /// Number of GEMM calls.
        public var calls: Int
        /// Floating-point operations performed (2·m·n·k per call).
        public var flops: Int
        /// Wall time during which at least one GEMM call was running, in seconds (GEMMs that run side
        /// by side on several threads count once).
        public var seconds: Double
        /// Achieved rate in GFLOPS (0 when no time was recorded).
        public var gflops: Double { seconds > 0 ? Double(flops) / seconds / 1e9 : 0 }
    }

    /// The accumulated GEMM statistics (all zero unless enabled).
    public static var gemmStatistics: GEMMStatistics {
        GEMMStatistics(calls: GEMM.calls.load(ordering: .relaxed), flops: GEMM.flops.load(ordering: .relaxed),
                       seconds: Double(GEMM.nanoseconds.load(ordering: .relaxed)) / 1e9)
    }

    /// Zeroes the GEMM statistics and turns the timing hook on or off. Off by default: timing costs a
    /// clock read per call. `bySite` also records every call by its site and shape
    /// (``gemmCallStatistics``), which costs a lock per call.
    public static func resetGEMMStatistics(enabled: Bool, bySite: Bool = false) {
        GEMMCallRecorder.reset(enabled: enabled && bySite)
        GEMM.calls.store(0, ordering: .relaxed)
        GEMM.flops.store(0, ordering: .relaxed)
        GEMM.nanoseconds.store(0, ordering: .relaxed)
        GEMM.statisticsEnabled.store(enabled, ordering: .relaxed)
    }
}
