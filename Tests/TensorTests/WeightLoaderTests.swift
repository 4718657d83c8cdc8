import Testing
import TensorModule

/// Strict weight loading: missing keys, wrong shapes and unused keys are errors naming the key.
@Suite("WeightLoader is strict")
struct WeightLoaderTests {
    static let source = DictionaryWeightSource([
        "norm1.weight": Tensor(shape: [4], scalars: [1, 2, 3, 4]),
        "norm1.bias": Tensor.zeros([4]),
        "attn.to_q.weight": Tensor(shape: [2, 2, 1, 1], scalars: [1, 2, 3, 4]),   // legacy 1×1-conv layout
        "attn.to_k.weight": Tensor(shape: [2, 2], scalars: [5, 6, 7, 8]),
        "blocks.0.proj.weight": Tensor.zeros([3, 2]),
    ], description: "test.safetensors")

    @Test("Scoped readers build checkpoint keys")
    func keys() {
        let reader = WeightLoader(source: Self.source).reader()
        #expect(reader.scoped("blocks", 0).scoped("proj").key("weight") == "blocks.0.proj.weight")
        #expect(reader.key("weight") == "weight")
        #expect(WeightLoader(source: Self.source).reader(prefix: "model").scoped("norm1").key("bias") == "model.norm1.bias")
    }

    @Test("A missing key is reported with its full name")
    func missing() {
        let reader = WeightLoader(source: Self.source).reader().scoped("norm2")
        #expect(throws: TensorError.missingWeight(key: "norm2.weight", source: "test.safetensors")) {
            try reader.tensor("weight", shape: [4])
        }
        #expect(!reader.contains("weight"))
        #expect(reader.shape(of: "weight") == nil)
    }

    @Test("A wrong shape is reported with both shapes")
    func wrongShape() {
        let reader = WeightLoader(source: Self.source).reader().scoped("norm1")
        #expect(throws: TensorError.weightShapeMismatch(key: "norm1.weight", expected: [5], actual: [4], source: "test.safetensors")) {
            try reader.tensor("weight", shape: [5])
        }
    }

    @Test("finish() lists every unused key, sorted, and honours the ignore predicate and markUsed")
    func unused() throws {
        let loader = WeightLoader(source: Self.source)
        let reader = loader.reader()
        #expect(try reader.scoped("norm1").tensor("weight", shape: [4]).scalars == [1, 2, 3, 4])
        #expect(throws: TensorError.unusedWeights(
            keys: ["attn.to_k.weight", "attn.to_q.weight", "blocks.0.proj.weight", "norm1.bias"], source: "test.safetensors")) {
            try loader.finish()
        }
        #expect(throws: TensorError.unusedWeights(keys: ["norm1.bias"], source: "test.safetensors")) {
            try loader.finish { $0.hasPrefix("attn.") || $0.hasPrefix("blocks.") }
        }
        loader.markUsed("norm1.bias")
        try loader.finish { $0.hasPrefix("attn.") || $0.hasPrefix("blocks.") }
        // A failed load does not count as a use.
        #expect(throws: TensorError.self) { try reader.tensor("blocks.0.proj.weight", shape: [2, 3]) }
        #expect(throws: TensorError.unusedWeights(keys: ["blocks.0.proj.weight"], source: "test.safetensors")) {
            try loader.finish { $0.hasPrefix("attn.") }
        }
    }

    @Test("A legacy shape is accepted and reshaped; the modern shape too; anything else is an error")
    func legacyShape() throws {
        let attention = WeightLoader(source: Self.source).reader().scoped("attn")
        let q = try attention.tensor("to_q.weight", shape: [2, 2], orLegacyShape: [2, 2, 1, 1])
        #expect(q.shape == [2, 2] && q.scalars == [1, 2, 3, 4])
        let k = try attention.tensor("to_k.weight", shape: [2, 2], orLegacyShape: [2, 2, 1, 1])
        #expect(k.shape == [2, 2] && k.scalars == [5, 6, 7, 8])
        #expect(throws: TensorError.weightShapeMismatch(key: "attn.to_q.weight", expected: [4, 1], actual: [2, 2, 1, 1],
                                                        source: "test.safetensors")) {
            try attention.tensor("to_q.weight", shape: [4, 1], orLegacyShape: [1, 4, 1, 1])
        }
    }

    @Test("Random weights: any key, deterministic, nothing left unused")
    func randomSource() throws {
        let loader = WeightLoader(source: RandomWeightSource(seed: 3))
        let reader = loader.reader().scoped("down_blocks", 0)
        let w = try reader.tensor("conv.weight", shape: [4, 3, 3, 3])
        #expect(w.shape == [4, 3, 3, 3])
        #expect(w.scalars.allSatisfy { abs($0) <= 1 / Float(27).squareRoot() })
        #expect(Set(w.scalars).count > 100)
        #expect(try reader.tensor("conv.weight", shape: [4, 3, 3, 3]).scalars == w.scalars)
        #expect(try reader.tensor("norm1.weight", shape: [4]).scalars == [1, 1, 1, 1])
        let other = try WeightLoader(source: RandomWeightSource(seed: 4)).reader().scoped("down_blocks", 0)
            .tensor("conv.weight", shape: [4, 3, 3, 3])
        #expect(other.scalars != w.scalars)
        #expect(reader.contains("anything"))
        try loader.finish()
    }

    @Test("Sharded safetensors: names across files, and a name in two files is an error")
    func shards() throws {
        let directory = try TemporaryDirectory()
        let first = directory.path("a.safetensors"), second = directory.path("b.safetensors")
        try SafetensorsWriter.write(["x.weight": Tensor(shape: [2], scalars: [1, 2])], to: first)
        try SafetensorsWriter.write(["y.weight": Tensor(shape: [1, 2], scalars: [3, 4])], to: second)
        let source = try SafetensorsWeightSource(paths: [first, second])
        #expect(source.tensorNames == ["x.weight", "y.weight"])
        #expect(source.sourceDescription == "\(first), \(second)")
        let loader = WeightLoader(source: source)
        #expect(try loader.reader().tensor("y.weight", shape: [2], orLegacyShape: [1, 2]).scalars == [3, 4])
        #expect(throws: TensorError.unusedWeights(keys: ["x.weight"], source: source.sourceDescription)) {
            try loader.finish()
        }
        #expect(throws: TensorError.invalidSafetensors(path: first, tensor: "x.weight", reason: "also present in \(first)")) {
            try SafetensorsWeightSource(paths: [first, first])
        }
    }

    @Test("Error messages name the source and key")
    func messages() {
        #expect(TensorError.missingWeight(key: "a.b", source: "m.safetensors").description == "m.safetensors: missing weight 'a.b'")
        #expect(TensorError.weightShapeMismatch(key: "k", expected: [2], actual: [3], source: "s").description
                == "s: weight 'k' has shape [3], expected [2]")
        let many = TensorError.unusedWeights(keys: (0..<7).map { "k\($0)" }, source: "s").description
        #expect(many == "s: 7 unexpected weights the model does not use: 'k0', 'k1', 'k2', 'k3', 'k4', …")
    }
}
