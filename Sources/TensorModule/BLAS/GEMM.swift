import _COpenBLAS
import Dispatch
import Synchronization

/// The single GEMM entry point of the SDK: every matrix product goes through here, and this is the
/// only place `cblas_sgemm` is called. Row-major, single precision:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
///
/// Results do not depend on the thread count. OpenBLAS runs every call on one thread, and a product
/// is computed as the same single-threaded calls on the same fixed tiles of C (``rowTile`` ×
/// ``columnTile``), shared out between the compute threads. OpenBLAS's own threading splits C by
/// thread count, and its Haswell/Zen sgemm kernels round the rows and columns at a block's edge
/// differently from those inside it (measured on an AMD EPYC: up to 1.2e-4 between 1 and 2 threads
/// for a 4096×320×2880 product), so with it the same seed gave different images on different
/// thread counts, or when another generation's attention switched OpenBLAS to one thread meanwhile.
enum GEMM {
    /// Rows of C per tile: large enough that packing B again per row tile costs under 1 % of the
    /// multiply-adds (N·K copies per 256·N·K products), small enough that a 64² latent's 4096-row
    /// products give both cores many tiles.
    static let rowTile = 256
    /// Columns of C per tile: the text encoder's 3072-wide MLP at 154 rows still gives 6 tiles.
    static let columnTile = 512
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
        let rowTiles = (m + rowTile - 1) / rowTile, columnTiles = (n + columnTile - 1) / columnTile
        let operands = UncheckedSendableBox((a, b, c))
        let tile = { (index: Int) in
            let (a, b, c) = operands.value
            let row = (index / columnTiles) * rowTile, column = (index % columnTiles) * columnTile
            let rows = Swift.min(rowTile, m - row), columns = Swift.min(columnTile, n - column)
            // op(A)'s rows start `row` rows down A, or `row` columns across A when it is stored
            // transposed; op(B)'s columns likewise.
            let aTile = transposeA ? a + row : a + row * lda
            let bTile = transposeB ? b + column * ldb : b + column
            library.sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                blasint(rows), blasint(columns), blasint(k), alpha, aTile, blasint(lda), bTile, blasint(ldb), beta,
                c + row * ldc + column, blasint(ldc))
        }
        let tiles = rowTiles * columnTiles
        if tiles == 1 || OpenBLAS.isInsideSingleThreadedCalls {
            for index in 0..<tiles { tile(index) }
        } else {
            parallelFor(tiles) { range in
                for index in range { tile(index) }
            }
        }
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
