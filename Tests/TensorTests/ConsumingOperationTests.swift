import Testing
@testable import TensorModule

/// The consuming operations write over their input only when nothing else can see it, and give the
/// same results as the operations that allocate.
@Suite("Consuming operations")
struct ConsumingOperationTests {
    static func values(_ shape: [Int], seed: Int) -> Tensor {
        Tensor(shape: shape, scalars: (0..<Tensor.elementCount(shape)).map { Float(($0 * 37 + seed * 11) % 101) / 50 - 1 })
    }

    /// A tensor with memory of its own.
    static func fresh(_ tensor: Tensor) -> Tensor { Tensor(shape: tensor.shape, scalars: tensor.scalars) }

    @Test("groupNormConsuming reuses a handed-over tensor's memory, and equals groupNorm exactly")
    func groupNormReusesMemory() throws {
        let weight = Self.values([8], seed: 1), bias = Self.values([8], seed: 2)
        // 2 × 8 × 64² floats: large enough to come from the buffer pool and to run on several threads.
        let input = Self.values([2, 8, 64, 64], seed: 3)
        let expected = try input.groupNorm(groups: 4, weight: weight, bias: bias, epsilon: 1e-6, activation: .silu)

        let handed = Self.fresh(input)
        let memory = handed.mutablePointer
        let result = try (consume handed).groupNormConsuming(groups: 4, weight: weight, bias: bias, epsilon: 1e-6, activation: .silu)
        #expect(result.pointer == memory, "a uniquely held input is normalized in place")
        #expect(result.scalars == expected.scalars)

        // Shared: the other value must still see the original elements.
        let shared = Self.fresh(input)
        let other = shared
        let separate = try shared.groupNormConsuming(groups: 4, weight: weight, bias: bias, epsilon: 1e-6, activation: .silu)
        #expect(separate.pointer != other.pointer && other.scalars == input.scalars)
        #expect(separate.scalars == expected.scalars)
        #expect(throws: TensorError.self) { try Self.fresh(input).groupNormConsuming(groups: 3, weight: nil, bias: nil, epsilon: 1e-6) }
    }

    @Test("addingConsuming adds in place into a handed-over tensor only, and equals broadcasting +")
    func addingReusesMemory() throws {
        let a = Self.values([2, 4, 96, 96], seed: 4), b = Self.values([2, 4, 96, 96], seed: 5)
        let expected = try a.broadcasting(b, +)
        let handed = Self.fresh(a)
        let memory = handed.mutablePointer
        let sum = try (consume handed).addingConsuming(b)
        #expect(sum.pointer == memory && sum.scalars == expected.scalars)
        let kept = Self.fresh(a), view = kept.reshaped([-1])
        let separate = try kept.addingConsuming(b)
        #expect(separate.pointer != view.pointer && view.scalars == a.scalars && separate.scalars == expected.scalars)
        #expect(throws: TensorError.self) { try Self.fresh(a).addingConsuming(b.reshaped([4, 2, 96, 96])) }
    }
}
