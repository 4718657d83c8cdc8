import Testing
import TensorModule
import _TestSupport

/// Group norm, layer norm and softmax against `F.group_norm`, `F.layer_norm`, `torch.softmax`.
@Suite("Normalization matches torch")
struct NormalizationTests {
    let fixture: FixtureFile

    init() throws { fixture = try FixtureFile("normalization") }

    @Test("Group norm: eps 1e-5 and 1e-6, fused SiLU, no affine, rank 3, large mean")
    func groupNorm() throws {
        let x = try fixture("group", "x"), weight = try fixture("group", "weight"), bias = try fixture("group", "bias")
        expectClose(try x.groupNorm(groups: 4, weight: weight, bias: bias, epsilon: 1e-5),
                    try fixture("group", "out_eps5"), tolerance: Tolerance.normalization, "eps 1e-5")
        expectClose(try x.groupNorm(groups: 4, weight: weight, bias: bias, epsilon: 1e-6),
                    try fixture("group", "out_eps6"), tolerance: Tolerance.normalization, "eps 1e-6")
        expectClose(try x.groupNorm(groups: 4, weight: weight, bias: bias, epsilon: 1e-5, activation: .silu),
                    try fixture("group", "out_silu"), tolerance: Tolerance.normalization, "fused SiLU")
        expectClose(try x.groupNorm(groups: 2, weight: nil, bias: nil, epsilon: 1e-6),
                    try fixture("group", "out_noaffine"), tolerance: Tolerance.normalization, "no affine")
        expectClose(try fixture("group_offset", "x").groupNorm(groups: 3, weight: nil, bias: nil, epsilon: 1e-6),
                    try fixture("group_offset", "out"), tolerance: Tolerance.normalization, "mean 50, spread 0.01, float64 reference")
        expectClose(try fixture("group_rank3", "x").groupNorm(groups: 3, weight: nil, bias: nil, epsilon: 1e-5),
                    try fixture("group_rank3", "out"), tolerance: Tolerance.normalization, "rank 3")
    }

    @Test("eps 1e-5 and 1e-6 where the variance is near eps")
    func smallVariance() throws {
        let x = try fixture("group_small", "x")
        let eps5 = try fixture("group_small", "out_eps5"), eps6 = try fixture("group_small", "out_eps6")
        expectClose(try x.groupNorm(groups: 2, weight: nil, bias: nil, epsilon: 1e-5), eps5,
                    tolerance: Tolerance.normalization, "variance ≈ 1e-5, eps 1e-5")
        expectClose(try x.groupNorm(groups: 2, weight: nil, bias: nil, epsilon: 1e-6), eps6,
                    tolerance: Tolerance.normalization, "variance ≈ 1e-5, eps 1e-6")
        // The two references differ by far more than the tolerance, so a swapped eps cannot pass.
        #expect(Comparison(eps5, eps6).relativeToScale > 1000 * Tolerance.normalization)
    }

    @Test("Group norm rejects bad group counts and parameter shapes")
    func groupNormShapes() throws {
        let x = Tensor.zeros([1, 6, 2, 2])
        #expect(throws: TensorError.self) { try x.groupNorm(groups: 4, weight: nil, bias: nil, epsilon: 1e-5) }
        #expect(throws: TensorError.self) { try x.groupNorm(groups: 0, weight: nil, bias: nil, epsilon: 1e-5) }
        #expect(throws: TensorError.self) { try x.groupNorm(groups: 3, weight: .zeros([5]), bias: nil, epsilon: 1e-5) }
    }

    @Test("Layer norm with and without affine parameters, and with a large mean")
    func layerNorm() throws {
        let x = try fixture("layer", "x")
        expectClose(try x.layerNorm(weight: try fixture("layer", "weight"), bias: try fixture("layer", "bias"), epsilon: 1e-5),
                    try fixture("layer", "out"), tolerance: Tolerance.normalization, "affine")
        expectClose(try x.layerNorm(weight: nil, bias: nil, epsilon: 1e-6),
                    try fixture("layer", "out_noaffine"), tolerance: Tolerance.normalization, "no affine")
        expectClose(try fixture("layer_offset", "x").layerNorm(weight: nil, bias: nil, epsilon: 1e-5),
                    try fixture("layer_offset", "out"), tolerance: Tolerance.normalization, "mean 50, spread 0.01, float64 reference")
        #expect(throws: TensorError.self) { try x.layerNorm(weight: .zeros([15]), bias: nil, epsilon: 1e-5) }
    }

    @Test("Softmax over rows with -inf entries and large logits")
    func softmax() throws {
        let expected = try fixture("softmax", "out")
        let actual = try fixture("softmax", "x").softmax()
        expectClose(actual, expected, tolerance: Tolerance.softmax, "softmax")
        // Masked entries are exactly zero, as in torch.
        for (a, e) in zip(actual.scalars, expected.scalars) where e == 0 { #expect(a == 0) }
    }

    @Test("A row of only -inf becomes zeros (torch gives NaN)")
    func fullyMaskedRow() {
        // Deliberate difference: a fully masked row would poison everything after it with NaN.
        let x = Tensor(shape: [2, 3], scalars: [-.infinity, -.infinity, -.infinity, 0, 0, 0])
        let third: Float = 1 / 3
        let expected: [Float] = [0, 0, 0, third, third, third]
        #expect(x.softmax().scalars == expected)
    }
}
