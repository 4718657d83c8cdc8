import _COpenBLAS
import Dispatch
import Synchronization

/// The single GEMM entry point of the SDK: every matrix product goes through here, and this is the
/// only place `cblas_sgemm` is called. Row-major, single precision:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
enum GEMM {
    /// Counters of the optional timing hook (see ``BLASDiagnostics/gemmStatistics``).
    static let statisticsEnabled = Atomic<Bool>(false)
    static let calls = Atomic<Int>(0)
    static let flops = Atomic<Int>(0)
    static let nanoseconds = Atomic<Int>(0)
    /// GEMMs in flight and when the current stretch of GEMM activity began: time is counted while at
    /// least one GEMM runs, so GEMMs running side by side on several threads count once.
    static let activity = Locked<(running: Int, since: UInt64)>((0, 0))

    // swiftlint:disable:next function_parameter_count
    static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max)
                     && lda <= Int(Int32.max) && ldb <= Int(Int32.max) && ldc <= Int(Int32.max),
                     "GEMM dimensions exceed 32-bit BLAS limits")
        let library: OpenBLAS.Library
        do { library = try OpenBLAS.loaded() } catch {
            preconditionFailure("OpenBLAS is not available: \(error). Call BLASDiagnostics.ensureAvailable() first.")
        }
        let timed = statisticsEnabled.load(ordering: .relaxed)
        if timed {
            activity.withLock { activity in
                if activity.running == 0 { activity.since = DispatchTime.now().uptimeNanoseconds }
                activity.running += 1
            }
        }
        library.sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        if timed {
            calls.add(1, ordering: .relaxed)
            flops.add(2 * m * n * k, ordering: .relaxed)
            activity.withLock { activity in
                activity.running -= 1
                if activity.running == 0 {
                    nanoseconds.add(Int(DispatchTime.now().uptimeNanoseconds - activity.since), ordering: .relaxed)
                }
            }
        }
    }
}
