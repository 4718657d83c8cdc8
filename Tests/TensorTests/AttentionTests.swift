import Testing
@testable import TensorModule

/// Multi-head attention against `F.scaled_dot_product_attention` on heads-interleaved
/// `[b, n, heads · d]` tensors (tolerance: ``Tolerance/gemm``; two GEMMs and a softmax).
@Suite("Attention matches torch")
struct AttentionTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let heads: Int
        let causal: Bool
        let scale: Float?
        var description: String { name }
    }

    /// `ATTENTION_CASES` in `tensor_ops.py`.
    static let cases: [Case] = [
        Case(name: "self", heads: 2, causal: false, scale: nil),
        Case(name: "causal", heads: 2, causal: true, scale: nil),
        Case(name: "cross", heads: 3, causal: false, scale: nil),          // Lq 9, Lk 5, value dim 6
        Case(name: "causal_rect", heads: 2, causal: true, scale: nil),     // Lq 5 < Lk 8, top-left aligned
        Case(name: "scaled", heads: 1, causal: false, scale: 0.3),
        Case(name: "long", heads: 2, causal: false, scale: nil),           // 1100 queries: two query blocks
        Case(name: "long_causal", heads: 2, causal: true, scale: nil),     // 1030 queries, mask across blocks
    ]

    @Test("Scaled dot-product attention", arguments: cases)
    func attention(_ testCase: Case) throws {
        let fixture = try FixtureFile("attention")
        let q = try fixture(testCase.name, "q"), k = try fixture(testCase.name, "k"), v = try fixture(testCase.name, "v")
        let out = try q.attention(key: k, value: v, heads: testCase.heads, causal: testCase.causal, scale: testCase.scale)
        expectClose(out, try fixture(testCase.name, "out"), tolerance: Tolerance.gemm, testCase.name)
    }

    @Test("A block's scores, by the AVX2 kernel and by GEMM, equal a float64 sum within float32 rounding",
          arguments: [(1, 1, 40), (3, 7, 40), (5, 9, 64), (4, 24, 80), (6, 25, 160), (9, 77, 3), (13, 50, 17), (257, 512, 40)])
    func blockScores(_ shape: (rows: Int, keys: Int, dimensions: Int)) {
        let (rows, keys, dims) = shape
        let stride = dims + 5  // Q and K are read in place from wider rows (interleaved heads).
        let q = ComputeKernelTests.values(rows * stride, seed: 31), k = ComputeKernelTests.values(keys * stride, seed: 32)
        let scale: Float = 0.37
        var methods = [false]
        if sd_x86_vector_tier_for_tests() >= 2 { methods.append(true) }
        for byKernel in methods {
            // One float past the block, to see that nothing is written beyond it.
            var scores = [Float](repeating: .nan, count: rows * keys + 1)
            var packed = [Float](repeating: .nan, count: ((keys + 7) / 8 * 8 + rows) * dims)
            q.withUnsafeBufferPointer { q in
                k.withUnsafeBufferPointer { k in
                    scores.withUnsafeMutableBufferPointer { s in
                        packed.withUnsafeMutableBufferPointer { p in
                            AttentionScores.compute(byKernel: byKernel, query: q.baseAddress!, key: k.baseAddress!,
                                                    stride: stride, rows: rows, keys: keys, dimensions: dims, scale: scale,
                                                    into: s.baseAddress!, packedKeys: p.baseAddress!)
                        }
                    }
                }
            }
            var worst = 0.0
            for r in 0..<rows {
                for j in 0..<keys {
                    var exact = 0.0, magnitude = 0.0
                    for d in 0..<dims {
                        let product = Double(q[r * stride + d]) * Double(k[j * stride + d])
                        exact += product
                        magnitude += abs(product)
                    }
                    // A float32 sum of `dims` products, then the scale: each step rounds by at most
                    // 2⁻²⁴ of the running magnitude, so (dims + 1) · 2⁻²⁴ · Σ|products| · scale bounds it.
                    let bound = Double(dims + 1) * 0x1p-24 * magnitude * Double(scale) + 1e-30
                    worst = max(worst, abs(Double(scores[r * keys + j]) - exact * Double(scale)) / bound)
                }
            }
            #expect(worst <= 1, "\(byKernel ? "kernel" : "GEMM") \(rows)×\(keys)×\(dims): \(worst) of the bound")
            #expect(scores[rows * keys].isNaN, "wrote past the block")
        }
    }

    @Test("The long cases really exceed one query block")
    func blockingExercised() throws {
        let fixture = try FixtureFile("attention")
        #expect(try fixture("long", "q").shape[1] > 1024)
        #expect(try fixture("long_causal", "q").shape[1] > 1024)
    }

    @Test("attention rejects inconsistent shapes")
    func shapes() {
        let q = Tensor.zeros([1, 4, 8])
        #expect(throws: TensorError.self) { try q.attention(key: .zeros([1, 4, 6]), value: .zeros([1, 4, 8]), heads: 2) }
        #expect(throws: TensorError.self) { try q.attention(key: .zeros([1, 4, 8]), value: .zeros([1, 5, 8]), heads: 2) }
        #expect(throws: TensorError.self) { try q.attention(key: .zeros([1, 4, 8]), value: .zeros([1, 4, 8]), heads: 3) }
        #expect(throws: TensorError.self) { try q.attention(key: .zeros([2, 4, 8]), value: .zeros([2, 4, 8]), heads: 2) }
    }
}
