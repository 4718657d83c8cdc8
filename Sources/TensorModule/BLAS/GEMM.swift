import Foundation
import _COpenBLAS
import Dispatch
import Synchronization

/// The single GEMM entry point of the SDK: every matrix product goes through here, and this is the
/// only place `cblas_sgemm` is called. Row-major, single precision:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
///
/// Results do not depend on the thread count. OpenBLAS runs every call on one thread, and a product
/// is computed as the same single-threaded calls on the same tiles of C, shared out between the
/// compute threads; the tiles follow from the product's shape and the call site alone
/// (``tiling(m:n:sharedOut:)``). OpenBLAS's own threading splits C by
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
    /// Fewest tiles a product is cut into when its shape allows, so that 2, 4 or 8 threads get
    /// equal shares. The threads take contiguous runs of tiles, so 3 tiles on 2 threads (a 154-row
    /// product 768 wide: 512 + 256 columns) left one thread twice the work of the other.
    static let minimumTiles = 8
    /// Smallest tile sides a product is split down to for ``minimumTiles``: below them a call's
    /// fixed cost (packing, the kernel's edge handling) outweighs the better balance.
    static let minimumRowTile = 32, minimumColumnTile = 64
    /// Tile sides are rounded up to a multiple of this (the kernels' register blocks divide it).
    static let tileGranule = 16
    /// Whether shared-out products get the equal tiles of ``tiling(m:n:sharedOut:)`` (the default)
    /// or the fixed 256 × 512 of before. The environment variable `SD_GEMM_BALANCED_TILES=0` turns
    /// them off: an internal knob for benchmarking one against the other.
    static let balancesTiles = ProcessInfo.processInfo.environment["SD_GEMM_BALANCED_TILES"] != "0"

    /// The tile sides of an m×n product. A product whose tiles are shared out between the threads
    /// is cut into equal parts of at most ``rowTile`` × ``columnTile`` (a 320-row product into two
    /// of 160 rows, not 256 and 64), split further, down to ``minimumRowTile`` ×
    /// ``minimumColumnTile``, until there are ``minimumTiles``. A further row tile packs B once
    /// more (n·k copies) and a further column tile packs A once more (m·k), so the dimension whose
    /// split copies less is split first. A product a caller runs on one thread of its own
    /// (`sharedOut` false: Winograd's and attention's) keeps the fixed ``rowTile`` ×
    /// ``columnTile``, since there more tiles would only pack its operands again. Never a function
    /// of the thread count, so that a product rounds the same on any number of threads.
    static func tiling(m: Int, n: Int, sharedOut: Bool) -> (rows: Int, columns: Int) {
        guard sharedOut, balancesTiles else { return (rowTile, columnTile) }
        var rowCount = (m + rowTile - 1) / rowTile, columnCount = (n + columnTile - 1) / columnTile
        while rowCount * columnCount < minimumTiles {
            let rowsSplit = m / (rowCount + 1) >= minimumRowTile
            let columnsSplit = n / (columnCount + 1) >= minimumColumnTile
            if rowsSplit, !columnsSplit || n <= m {
                rowCount += 1
            } else if columnsSplit {
                columnCount += 1
            } else {
                break
            }
        }
        func side(_ extent: Int, _ count: Int) -> Int {
            let even = (extent + count - 1) / count
            return (even + tileGranule - 1) / tileGranule * tileGranule
        }
        return (side(m, rowCount), side(n, columnCount))
    }
    /// Counters of the optional timing hook (see ``BLASDiagnostics/gemmStatistics``).
    static let statisticsEnabled = Atomic<Bool>(false)
    static let calls = Atomic<Int>(0)
    static let flops = Atomic<Int>(0)
    static let nanoseconds = Atomic<Int>(0)
    /// GEMMs in flight and when the current stretch of GEMM activity began: time is counted while at
    /// least one GEMM runs, so GEMMs running side by side on several threads count once.
    static let activity = Locked<(running: Int, since: UInt64)>((0, 0))

    /// `sharedOut`: whether the product's tiles are shared out between the compute threads (see
    /// ``tiling(m:n:sharedOut:)``); code that runs GEMMs on threads of its own passes false. `site`
    /// names the kind of work for the statistics by call site.
    // swiftlint:disable:next function_parameter_count
    static func sgemm(
        _ site: BLASDiagnostics.GEMMSite, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, sharedOut: Bool = true
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
        let bySite = timed && GEMMCallRecorder.enabled.load(ordering: .relaxed)
        let callStart = bySite ? DispatchTime.now().uptimeNanoseconds : nil
        if timed {
            activity.withLock { activity in
                if activity.running == 0 { activity.since = DispatchTime.now().uptimeNanoseconds }
                activity.running += 1
            }
        }
        let (rowSide, columnSide) = tiling(m: m, n: n, sharedOut: sharedOut)
        let rowTiles = (m + rowSide - 1) / rowSide, columnTiles = (n + columnSide - 1) / columnSide
        let operands = UncheckedSendableBox((a, b, c))
        let tile = { (index: Int) in
            let (a, b, c) = operands.value
            let row = (index / columnTiles) * rowSide, column = (index % columnTiles) * columnSide
            let rows = Swift.min(rowSide, m - row), columns = Swift.min(columnSide, n - column)
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
        let sharesTiles = tiles > 1 && !OpenBLAS.isInsideSingleThreadedCalls
        if !sharesTiles {
            for index in 0..<tiles { tile(index) }
        } else {
            parallelFor(tiles) { range in
                for index in range { tile(index) }
            }
        }
        if let callStart {
            GEMMCallRecorder.record(.init(site: site, m: m, n: n, k: k, tilesShared: sharesTiles),
                                    seconds: Double(DispatchTime.now().uptimeNanoseconds - callStart) / 1e9)
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
