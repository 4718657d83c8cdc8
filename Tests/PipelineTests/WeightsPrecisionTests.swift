import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// `LoadOptions.weightsPrecision`: float32 checkpoints kept 16-bit in memory.
@Suite("Float32 weights kept as fp16 / bf16")
struct WeightsPrecisionTests {
    /// The fp16 single file `sd15-tiny.safetensors` holds exactly the fp32 folder's weights rounded
    /// to fp16 (the generator checked it with diffusers' `from_single_file`). So the fp32 folder loaded
    /// with `weightsPrecision: .float16` must compute bit for bit what that file computes: the rounding
    /// is the same (nearest even), widening is exact, and the computation is the same float32 code.
    @Test("The fp32 folder kept as fp16 generates bit for bit what the fp16 single file of the same weights does",
          arguments: ["txt2img-sd15-tiny-euler", "img2img-sd15-tiny-euler-a"])
    func fp16KeptEqualsFP16File(_ name: String) throws {
        let run = try SingleFileGenerationTests.run(name)
        let kept = try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"),
                                               options: LoadOptions(weightsPrecision: .float16))
        let narrowed = try PipelineRunFixtures.generate(run, on: kept)
        let file = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd15SingleFile.get())
        #expect(SingleFileGenerationTests.identical(narrowed.latents, file.latents))
        #expect(narrowed.images == file.images)
        // And it is not the fp32 result: the rounding must show.
        let full = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd15Folder.get())
        #expect(!SingleFileGenerationTests.identical(narrowed.latents, full.latents))
    }

    @Test("Layer weights become 16-bit, other tensors are rounded and widened, 16-bit tensors pass through")
    func narrowingSource() throws {
        let values = Tensor(shape: [2, 3], scalars: [1.0001, -2.5e-3, 3.14159, 65519, 1e-8, -0.333333])
        let half = StoredTensor(rounding: values, to: .float16)
        let base = StoredTensorSource(tensors: ["w": StoredTensor(values), "h": half])
        for precision in [StoredPrecision.float16, .bfloat16] {
            let source = NarrowingWeightSource(base: base, precision: precision)
            let stored = try source.loadStoredTensor(named: "w", expectedShape: [2, 3])
            #expect(stored.precision == precision)
            #expect(stored.float32().scalars == StoredTensor(rounding: values, to: precision).float32().scalars)
            #expect(try source.loadTensor(named: "w", expectedShape: [2, 3]).scalars == stored.float32().scalars)
            // An fp16 tensor is kept as it is, even when bf16 is asked for (re-rounding would lose bits).
            let passed = try source.loadStoredTensor(named: "h", expectedShape: [2, 3])
            #expect(passed.precision == .float16 && passed.float32().scalars == half.float32().scalars)
            #expect(try source.loadTensor(named: "h", expectedShape: [2, 3]).scalars == half.float32().scalars)
        }
        let unchanged = NarrowingWeightSource(base: base, precision: .float32)
        #expect(try unchanged.loadStoredTensor(named: "w", expectedShape: [2, 3]).precision == .float32)
    }

    @Test("A bf16-kept folder generates a finite image close to the fp32 one")
    func bfloat16Run() throws {
        let run = try SingleFileGenerationTests.run("txt2img-sd15-tiny-euler")
        let kept = try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"),
                                               options: LoadOptions(weightsPrecision: .bfloat16))
        let narrowed = try PipelineRunFixtures.generate(run, on: kept)
        let full = try PipelineRunFixtures.generate(run, on: try PipelineRunFixtures.sd15Folder.get())
        #expect(narrowed.latents.scalars.allSatisfy { $0.isFinite })
        // bf16 keeps 8 significant bits (relative rounding ≤ 3.9e-3 per weight), 8× fp16's; fp16 gave
        // ≤ 2.5e-3 of the scale on these runs, so 5e-2 bounds bf16 with room while still catching a
        // wrong mapping or unrounded garbage (which moves latents by the order of the scale).
        let latents = Comparison(narrowed.latents, full.latents)
        #expect(latents.shapesMatch && latents.relativeToScale <= 5e-2 && latents.maxAbsoluteError > 0, "\(latents)")
    }
}

/// Stored tensors by name, as a checkpoint holds them (some float32, some 16-bit).
private struct StoredTensorSource: WeightSource {
    var tensors: [String: StoredTensor]
    var tensorNames: Set<String>? { Set(tensors.keys) }
    var sourceDescription: String { "test tensors" }
    func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        try loadStoredTensor(named: name, expectedShape: expectedShape).float32()
    }
    func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        guard let tensor = tensors[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        return tensor
    }
}
