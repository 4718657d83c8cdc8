import Testing
import TensorModule

/// `conv2d` against `F.conv2d(F.pad(x, …), w, b, stride=…)` (tolerance: ``Tolerance/gemm``).
@Suite("conv2d matches torch")
struct Conv2DTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let stride: Int
        let padding: Padding2D
        let hasBias: Bool
        var description: String { name }
    }

    /// The cases of `CONV_CASES` in `tensor_ops.py`.
    static let cases: [Case] = [
        Case(name: "pointwise", stride: 1, padding: .uniform(0), hasBias: true),
        Case(name: "pointwise_nobias", stride: 1, padding: .uniform(0), hasBias: false),
        Case(name: "pointwise_stride2", stride: 2, padding: .uniform(0), hasBias: true),
        Case(name: "k3_pad1", stride: 1, padding: .uniform(1), hasBias: true),
        Case(name: "k3_pad1_nobias", stride: 1, padding: .uniform(1), hasBias: false),
        Case(name: "k3_nopad", stride: 1, padding: .uniform(0), hasBias: true),
        Case(name: "k3_stride2_pad1", stride: 2, padding: .uniform(1), hasBias: true),
        Case(name: "k3_stride2_pad1_even", stride: 2, padding: .uniform(1), hasBias: false),
        Case(name: "vae_downsample", stride: 2, padding: Padding2D(top: 0, bottom: 1, left: 0, right: 1), hasBias: true),
        Case(name: "vae_downsample_odd", stride: 2, padding: Padding2D(top: 0, bottom: 1, left: 0, right: 1), hasBias: true),
        Case(name: "k1x3_rect", stride: 1, padding: Padding2D(top: 0, bottom: 0, left: 1, right: 1), hasBias: true),
    ]

    @Test("Small convolutions", arguments: cases)
    func small(_ testCase: Case) throws {
        let fixture = try FixtureFile("conv2d")
        let x = try fixture(testCase.name, "x"), weight = try fixture(testCase.name, "weight")
        #expect(fixture.contains(testCase.name, "bias") == testCase.hasBias)
        let bias = testCase.hasBias ? try fixture(testCase.name, "bias") : nil
        let out = try x.conv2d(weight: weight, bias: bias, stride: testCase.stride, padding: testCase.padding)
        expectClose(out, try fixture(testCase.name, "out"), tolerance: Tolerance.gemm, testCase.name)
    }

    @Test("A convolution unfolded in several bands of output rows")
    func banded() throws {
        // Inputs are torch.randn from seeds 7 and 8 (see tensor_ops.py), regenerated bit for bit.
        let x = TorchGenerator(seed: 7).normal(shape: [1, 512, 32, 32])
        let weight = TorchGenerator(seed: 8).normal(shape: [1, 512, 3, 3]) * 0.02
        let out = try x.conv2d(weight: weight, padding: .uniform(1))
        expectClose(out, try FixtureFile("conv2d")("banded", "out"), tolerance: Tolerance.gemm, "banded 512 → 1")
    }

    @Test("conv2d rejects inconsistent shapes")
    func shapes() throws {
        let x = Tensor.zeros([1, 3, 4, 4])
        #expect(throws: TensorError.self) { try x.conv2d(weight: .zeros([2, 4, 3, 3])) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: .zeros([2, 3, 3, 3]), bias: .zeros([3])) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: .zeros([2, 3, 5, 5])) }
        // Kernel larger than the input with stride 2 (torch: "Kernel size can't be greater than actual input size").
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 3, 2, 2]).conv2d(weight: .zeros([2, 3, 3, 3]), stride: 2) }
        #expect(try Tensor.zeros([1, 3, 2, 2]).conv2d(weight: .zeros([2, 3, 3, 3]), stride: 2, padding: .uniform(1)).shape == [1, 2, 1, 1])
        #expect(throws: TensorError.self) { try x.conv2d(weight: .zeros([2, 3, 3, 3]), stride: 0) }
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 4, 4]).conv2d(weight: .zeros([2, 3, 3, 3])) }
    }
}
