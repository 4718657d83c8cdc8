import Synchronization

extension BLASDiagnostics {
    /// The kind of work a GEMM call does: each of the SDK's call sites names its own, so that the
    /// statistics by call (``gemmCallStatistics``) say where GEMM time goes, not only how much.
    public enum GEMMSite: String, Sendable, Codable, CaseIterable {
        /// `Tensor.linear`: a layer's activations times its weight.
        case linear
        /// `Tensor.matmul`.
        case matmul
        /// A 1×1 convolution, computed directly on the image.
        case pointwiseConvolution = "conv 1x1"
        /// A convolution by im2col, one band of output rows per call.
        case im2colConvolution = "conv im2col"
        /// One of the batched products of a Winograd convolution (one per transformed-tile position).
        case winogradConvolution = "conv winograd"
        /// Attention's `Q Kᵀ` for one block of queries and keys, where the score kernel does not take it.
        case attentionScores = "attention scores"
        /// Attention's `P V` for one block of queries and keys.
        case attentionValues = "attention values"
        /// A LoRA delta `up · down` added into a weight.
        case lowRankUpdate = "low-rank update"
    }

    /// The GEMM calls of one site and shape since the last ``resetGEMMStatistics(enabled:bySite:)``.
    public struct GEMMCallStatistics: Sendable, Equatable {
        /// Which kind of work the calls did.
        public var site: GEMMSite
        /// The product's shape: `C[m×n] = op(A)[m×k] · op(B)[k×n]`.
        public var m: Int, n: Int, k: Int
        /// Whether each call's tiles were shared out between the compute threads (a layer's product),
        /// rather than run on the calling thread alone (Winograd's and attention's products, which
        /// the threads run side by side).
        public var tilesShared: Bool
        /// Number of calls.
        public var calls: Int
        /// Floating-point operations, 2·m·n·k per call.
        public var flops: Int { 2 * m * n * k * calls }
        /// Each call's time from start to end, summed over the calls.
        public var seconds: Double

        /// The compute threads' time in these calls: ``seconds`` times `threads` for shared calls
        /// (every thread works on a call's tiles), ``seconds`` for calls on one thread.
        public func threadSeconds(threads: Int) -> Double { tilesShared ? seconds * Double(threads) : seconds }
        /// GFLOPS per thread: ``flops`` over ``threadSeconds(threads:)``.
        public func gflopsPerThread(threads: Int) -> Double {
            let time = threadSeconds(threads: threads)
            return time > 0 ? Double(flops) / time / 1e9 : 0
        }
    }

    /// The GEMM calls since the last reset, one entry per site and shape, longest first; empty
    /// unless ``resetGEMMStatistics(enabled:bySite:)`` turned recording by site on.
    public static var gemmCallStatistics: [GEMMCallStatistics] {
        GEMMCallRecorder.totals.withLock { $0 }
            .map { key, totals in
                GEMMCallStatistics(site: key.site, m: key.m, n: key.n, k: key.k, tilesShared: key.tilesShared,
                                   calls: totals.calls, seconds: totals.seconds)
            }
            .sorted { ($0.seconds, $0.flops) > ($1.seconds, $1.flops) }
    }
}

/// Totals of GEMM calls by site and shape, for ``BLASDiagnostics/gemmCallStatistics``: a lock and a
/// dictionary update per call, so off unless asked for.
enum GEMMCallRecorder {
    struct Key: Hashable {
        let site: BLASDiagnostics.GEMMSite
        let m: Int, n: Int, k: Int
        let tilesShared: Bool
    }

    static let enabled = Atomic<Bool>(false)
    static let totals = Locked<[Key: (calls: Int, seconds: Double)]>([:])

    static func record(_ key: Key, seconds: Double) {
        totals.withLock { totals in
            let previous = totals[key] ?? (0, 0)
            totals[key] = (previous.calls + 1, previous.seconds + seconds)
        }
    }

    static func reset(enabled on: Bool) {
        totals.withLock { $0.removeAll() }
        enabled.store(on, ordering: .relaxed)
    }
}
