import Testing
import TensorModule

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
