import Testing
@testable import TensorModule

/// The GEMM timing hook's totals by call site (`BLASDiagnostics.gemmCallStatistics`). The hook is
/// process-wide and other suites run GEMMs meanwhile, so these tests run one at a time and look only
/// at shapes no other test uses.
@Suite("GEMM statistics by call site", .serialized)
struct GEMMCallStatisticsTests {
    /// `[3, 37, 19]` activations and a `[23, 19]` weight: a linear layer of 111 rows.
    static func linearOperands() -> (Tensor, Tensor) {
        let x = Tensor(shape: [3, 37, 19], scalars: (0..<(3 * 37 * 19)).map { Float($0 % 7) * 0.25 })
        let w = Tensor(shape: [23, 19], scalars: (0..<(23 * 19)).map { Float($0 % 5) * 0.5 })
        return (x, w)
    }

    @Test("Each call is counted under its site and shape, with its operations")
    func recordsBySite() throws {
        BLASDiagnostics.resetGEMMStatistics(enabled: true, bySite: true)
        defer { BLASDiagnostics.resetGEMMStatistics(enabled: false) }
        let (x, w) = Self.linearOperands()
        for _ in 0..<2 { _ = try x.linear(weight: w) }
        // Two heads of 13 over 29 tokens: one block of queries and keys per head, so one `P V` each.
        let q = Tensor(shape: [1, 29, 26], scalars: (0..<(29 * 26)).map { Float($0 % 11) * 0.1 })
        _ = try q.attention(key: q, value: q, heads: 2)
        let statistics = BLASDiagnostics.gemmCallStatistics
        // 111 rows are cut into 3 tiles for the threads (`GEMM.tiling`), unless another test's Winograd
        // or attention has every GEMM on its calling thread meanwhile (a process-wide setting). The flag
        // is part of the key, so the two calls may be one entry or two: each entry's thread-seconds
        // follow its flag, and together they hold both calls.
        let linear = statistics.filter { $0.site == .linear && ($0.m, $0.n, $0.k) == (111, 23, 19) }
        try #require(!linear.isEmpty)
        let (calls, flops) = (linear.map(\.calls).reduce(0, +), linear.map(\.flops).reduce(0, +))
        #expect(calls == 2)
        #expect(flops == 2 * 2 * 111 * 23 * 19)
        #expect(linear.allSatisfy { $0.seconds > 0 })
        #expect(GEMM.tiling(m: 111, n: 23, sharedOut: true).rows < 111)
        #expect(linear.allSatisfy { $0.threadSeconds(threads: 2) == ($0.tilesShared ? 2 : 1) * $0.seconds })
        let values = try #require(statistics.first { $0.site == .attentionValues && ($0.m, $0.n, $0.k) == (29, 13, 29) })
        #expect(values.calls == 2)
        #expect(!values.tilesShared)
        #expect(values.threadSeconds(threads: 2) == values.seconds)
        // Longest first.
        #expect(zip(statistics, statistics.dropFirst()).allSatisfy { $0.seconds >= $1.seconds })
    }

    @Test("Without bySite nothing is recorded by call, and a reset clears what was")
    func offByDefault() throws {
        let (x, w) = Self.linearOperands()
        BLASDiagnostics.resetGEMMStatistics(enabled: true, bySite: true)
        _ = try x.linear(weight: w)
        #expect(BLASDiagnostics.gemmCallStatistics.contains { $0.site == .linear && ($0.m, $0.n, $0.k) == (111, 23, 19) })
        BLASDiagnostics.resetGEMMStatistics(enabled: true)
        defer { BLASDiagnostics.resetGEMMStatistics(enabled: false) }
        // Only this shape is checked: another test's GEMM that began before the reset may still add
        // its own entry after it.
        #expect(!BLASDiagnostics.gemmCallStatistics.contains { $0.site == .linear && ($0.m, $0.n, $0.k) == (111, 23, 19) })
        _ = try x.linear(weight: w)
        #expect(!BLASDiagnostics.gemmCallStatistics.contains { $0.site == .linear && ($0.m, $0.n, $0.k) == (111, 23, 19) })
        #expect(BLASDiagnostics.gemmStatistics.calls >= 1)
    }
}
