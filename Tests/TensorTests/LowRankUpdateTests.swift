import Foundation
import Layers
import Testing
import TensorModule

/// LoRA deltas kept unmerged on a stored weight: what a layer sees is the widened weight plus
/// `scale · up · down`, computed in float32 every time (never rounded back to the stored precision).
@Suite("Low-rank updates on stored weights (LoRA)")
struct LowRankUpdateTests {
    static func values(_ shape: [Int], seed: Int) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float((($0 + seed) * 7919) % 23) / 23 - 0.5 })
    }

    /// The merged weight in double precision, element by element: the reference for the GEMM merge.
    static func merged(_ base: Tensor, _ updates: [LowRankUpdate]) -> [Double] {
        var out = base.scalars.map(Double.init)
        for update in updates {
            let up = update.up.scalars, down = update.down.scalars
            for row in 0..<update.rows {
                for column in 0..<update.columns {
                    var sum = 0.0
                    for k in 0..<update.rank { sum += Double(up[row * update.rank + k]) * Double(down[k * update.columns + column]) }
                    out[row * update.columns + column] += Double(update.scale) * sum
                }
            }
        }
        return out
    }

    @Test("An fp16 weight with two updates widens to the fp32 sum of weight and deltas")
    func mergedInFloat32() throws {
        let base = StoredTensor(rounding: Self.values([6, 10], seed: 1), to: .float16)
        let first = try LowRankUpdate(up: Self.values([6, 2], seed: 2), down: Self.values([2, 10], seed: 3), scale: 0.8)
        let second = try LowRankUpdate(up: Self.values([6, 3], seed: 4), down: Self.values([3, 10], seed: 5), scale: -0.5)
        let patched = try base.adding(first).adding(second)
        let expected = Self.merged(base.float32(), [first, second])
        // float32 GEMM of depth ≤ 3 on values below 1: a few ulps of the result.
        let widened = patched.withFloat32 { $0.scalars }
        #expect(zip(widened, expected).allSatisfy { abs(Double($0) - $1) <= 1e-6 })
        #expect(patched.float32().scalars == widened)
        #expect(base.lowRankUpdates.isEmpty && patched.lowRankUpdates.count == 2)
        #expect(patched.precision == .float16, "the stored elements are shared, not copied")
    }

    @Test("A delta far below fp16's resolution still changes the weight (never rounded back to fp16)")
    func smallDeltaSurvives() throws {
        let base = StoredTensor(rounding: Tensor(shape: [2, 2], scalars: [1, 1, 1, 1]), to: .float16)
        // 1e-5 is 1/50 of fp16's spacing at 1 (2^-10): merging into fp16 would lose it entirely.
        let update = try LowRankUpdate(up: Tensor(shape: [2, 1], scalars: [1, 1]), down: Tensor(shape: [1, 2], scalars: [1e-5, 1e-5]), scale: 1)
        let widened = try base.adding(update).float32().scalars
        #expect(widened.allSatisfy { $0 == 1 + Float(1e-5) })
    }

    @Test("Linear and 3×3 Conv2D layers with an update compute with the merged weight")
    func layersUseTheMergedWeight() throws {
        let linearWeight = StoredTensor(rounding: Self.values([4, 8], seed: 6), to: .float16)
        let update = try LowRankUpdate(up: Self.values([4, 2], seed: 7), down: Self.values([2, 8], seed: 8), scale: 0.7)
        let patched = Linear(weight: try linearWeight.adding(update), bias: nil)
        let reference = Linear(weight: try linearWeight.adding(update).float32(), bias: nil)
        let x = Self.values([3, 8], seed: 9)
        #expect(try patched(x).scalars == reference(x).scalars)

        // Enough channels and positions for Winograd, whose fp16 path widens inside the filter
        // transform: a patched weight must not take it.
        let convWeight = StoredTensor(rounding: Self.values([8, 8, 3, 3], seed: 10), to: .float16)
        let convUpdate = try LowRankUpdate(up: Self.values([8, 4], seed: 11), down: Self.values([4, 72], seed: 12), scale: 1.5)
        let patchedConv = Conv2D(weight: try convWeight.adding(convUpdate), bias: nil, padding: .uniform(1))
        let referenceConv = Conv2D(weight: StoredTensor(try convWeight.adding(convUpdate).float32()), bias: nil, padding: .uniform(1))
        let image = Self.values([1, 8, 16, 16], seed: 13)
        #expect(try patchedConv(image).scalars == referenceConv(image).scalars)
        #expect(try patchedConv(image).scalars != Conv2D(weight: convWeight, bias: nil, padding: .uniform(1))(image).scalars)
    }

    @Test("Rows and reshapes of a patched weight carry the matching part of the delta")
    func rowsAndReshape() throws {
        let base = StoredTensor(rounding: Self.values([6, 4, 1, 1], seed: 14), to: .float16)
        let update = try LowRankUpdate(up: Self.values([6, 2], seed: 15), down: Self.values([2, 4], seed: 16), scale: 2)
        let patched = try base.adding(update)
        let whole = patched.float32().scalars
        #expect(try patched.rows(2..<4).float32().scalars == Array(whole[8..<16]))
        #expect(patched.reshaped([6, 4]).float32().scalars == whole)
    }

    @Test("Factors that do not chain or do not fit the weight are errors")
    func mismatches() throws {
        #expect(throws: TensorError.self) { try LowRankUpdate(up: Self.values([4, 2], seed: 0), down: Self.values([3, 8], seed: 0), scale: 1) }
        let update = try LowRankUpdate(up: Self.values([4, 2], seed: 0), down: Self.values([2, 8], seed: 0), scale: 1)
        #expect(throws: TensorError.self) { try StoredTensor(Self.values([5, 8], seed: 0)).adding(update) }
    }

    @Test("A patched source serves deltas and replacements and the base's tensors otherwise; a recording source serves what it read")
    func sources() throws {
        let tensors = ["a.weight": Self.values([4, 8], seed: 1), "b.weight": Self.values([3, 3], seed: 2)]
        let recorded = RecordingWeightSource(base: DictionaryWeightSource(tensors))
        let first = try recorded.loadStoredTensor(named: "a.weight", expectedShape: [4, 8])
        #expect(recorded.recordedLayerWeights == ["a.weight": [4, 8]])
        let update = try LowRankUpdate(up: Self.values([4, 2], seed: 3), down: Self.values([2, 8], seed: 4), scale: 1)
        let patched = PatchedWeightSource(base: recorded, updates: ["a.weight": [update]], replacements: ["c": Self.values([2], seed: 5)])
        #expect(patched.tensorNames == ["a.weight", "b.weight", "c"])
        #expect(try patched.loadStoredTensor(named: "a.weight", expectedShape: [4, 8]).float32().scalars
                == first.adding(update).float32().scalars)
        #expect(try patched.loadTensor(named: "b.weight", expectedShape: [3, 3]).scalars == tensors["b.weight"]!.scalars)
        #expect(try patched.loadTensor(named: "c", expectedShape: [2]).shape == [2])
    }
}
