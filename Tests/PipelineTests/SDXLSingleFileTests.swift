import Foundation
import Testing
import _TestSupport
@testable import Pipeline

/// SDXL single-file checkpoints (SGM / A1111 layout) against the tiny folders they are exported from.
///
/// The files are assembled here from the folders' own tensors with the key map
/// `Tests/Fixtures/generators/sdxl_checkpoints.py` wrote (`sdxl/handover/single-file-map.json`): the same
/// map it used to write files that diffusers' `from_single_file(…, config=<folder>)` loaded back tensor for
/// tensor, and whose base reproduced the folder's `seeded-sdxl-default` run bit for bit. (A committed file
/// would repeat the two token embeddings, over the fixtures budget.) The writer stores F32; the folders'
/// fp16 values widen exactly, so the weights, and the images, are the folders' own: the single file must
/// give the folder's run exactly (no tolerance), and so diffusers' within ``PipelineParityTests``' bounds.
@Suite("SDXL single-file checkpoints")
struct SDXLSingleFileTests {
    struct Entry: Decodable {
        var component: String
        var sources: [String]
        var transform: String
    }

    static let map: Result<[String: [String: Entry]], any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("sdxl/handover/single-file-map.json")))
        return try JSONDecoder().decode([String: [String: Entry]].self, from: data)
    }

    static func folderFile(_ model: String, _ component: String) -> String {
        switch component {
        case "text_encoder": return Fixtures.path("pipeline/sdxl-tiny/text_encoder/model.safetensors")
        case "text_encoder_2": return Fixtures.path("pipeline/sdxl-tiny/text_encoder_2/model.fp16.safetensors")
        case "vae": return Fixtures.path("pipeline/sdxl-tiny/vae/diffusion_pytorch_model.safetensors")
        default: return Fixtures.path("pipeline/\(model)/unet/diffusion_pytorch_model.fp16.safetensors")
        }
    }

    /// The single file of `name` ("base" or "refiner") in the SGM layout, with `edit` applied to its tensors.
    static func write(_ name: String, edit: (inout [String: Tensor]) -> Void = { _ in }) throws -> String {
        let entries = try #require(try map.get()[name])
        let model = name == "base" ? "sdxl-tiny" : "sdxl-refiner-tiny"
        var files: [String: SafetensorsFile] = [:]
        var tensors: [String: Tensor] = [:]
        for (key, entry) in entries {
            let file = try files[entry.component] ?? SafetensorsFile(path: folderFile(model, entry.component))
            files[entry.component] = file
            // The map names CLIP's tensors as transformers 5 holds them (no `text_model.` level); the folder
            // file has the published names.
            let parts = try entry.sources.map { name in
                try file.tensor(named: file.entries[name] == nil ? "text_model." + name : name)
            }
            switch entry.transform {
            case "transpose": tensors[key] = try parts[0].permuted([1, 0])
            case "conv1x1": tensors[key] = parts[0].reshaped(parts[0].shape + [1, 1])
            case "concat": tensors[key] = try Tensor.concatenate(parts, axis: 0)
            default: tensors[key] = parts[0]
            }
        }
        // What real files carry beside the models (OpenCLIP's contrastive logit scale): ignorable.
        tensors["conditioner.embedders.\(name == "base" ? 1 : 0).model.logit_scale"] = Tensor(shape: [], scalars: [4.6052])
        edit(&tensors)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sdxl-\(name)-\(UUID().uuidString).safetensors").path
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    static let base = Result { try write("base") }
    static let refiner = Result { try write("refiner") }

    @Test("Base and refiner are recognised from their keys")
    func detection() throws {
        #expect(try SingleFileCheckpoint.detectFamily(path: try Self.base.get()) == .stableDiffusionXL)
        #expect(try SingleFileCheckpoint.detectFamily(path: try Self.refiner.get()) == .stableDiffusionXLRefiner)
    }

    /// The folder's generation and the single file's (with the folder as `config`) are the same numbers,
    /// and so match diffusers' recorded run of the folder.
    @Test("The base file gives the folder's image", arguments: ["seeded-sdxl-default", "txt2img-sdxl-euler-a"])
    func baseMatchesFolder(_ name: String) throws {
        let manifest = try SDXLRunFixtures.manifest.get()
        let run = try #require(manifest.cases.first { $0.name == name })
        let folder = try SDXLRunFixtures.sdxl.get()
        let single = try StableDiffusionPipeline(contentsOf: try Self.base.get(),
                                                 options: LoadOptions(configFolder: Fixtures.path("pipeline/sdxl-tiny")))
        #expect(single.family == .stableDiffusionXL && single.conditioner.textEncoders.count == 2)
        let parameters = try SDXLRunFixtures.parameters(for: run, on: folder)
        let expected = try folder.generate(prompt: manifest.prompt, parameters: parameters)
        let actual = try single.generate(prompt: manifest.prompt, parameters: parameters)
        #expect(actual.latents.scalars == expected.latents.scalars)
        #expect(actual.images.map(\.pixels) == expected.images.map(\.pixels))
        let diffusers = Comparison(actual.latents, try SDXLRunFixtures.tensor(run, "latents"))
        #expect(diffusers.maxAbsoluteError <= PipelineParityTests.latentAbsoluteTolerance, "\(diffusers)")
    }

    @Test("The refiner file gives the refiner folder's image")
    func refinerMatchesFolder() throws {
        let manifest = try SDXLRunFixtures.manifest.get()
        let run = try #require(manifest.cases.first { $0.name == "refiner-sdxl-default" })
        let folder = try SDXLRunFixtures.refiner.get()
        let single = try StableDiffusionPipeline(contentsOf: try Self.refiner.get(),
                                                 options: LoadOptions(configFolder: Fixtures.path("pipeline/sdxl-refiner-tiny")))
        #expect((single.conditioner as? SDXLPromptConditioner)?.requiresAestheticsScore == true)
        let parameters = try SDXLRunFixtures.parameters(for: run, on: folder)
        let expected = try folder.generate(prompt: manifest.prompt, parameters: parameters)
        let actual = try single.generate(prompt: manifest.prompt, parameters: parameters)
        #expect(actual.latents.scalars == expected.latents.scalars)
    }

    /// Without `config`, the published SDXL base configuration is assumed: the tiny file does not fit it, and
    /// the error names a tensor and the shapes (the published layout's mapping, not a crash).
    @Test("Without a config folder the published SDXL base layout is used")
    func publishedLayoutRefusesTinyFile() throws {
        let error = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: try Self.base.get()) }
        #expect(error?.description.contains("model.diffusion_model.") == true || error?.description.contains("conditioner.embedders.") == true,
                "\(String(describing: error))")
    }

    /// The published SDXL base layout (the route without `config`) on a real-size key catalogue written on
    /// the meta device and checked there against diffusers' own SGM → diffusers conversion.
    @Test("The published SDXL preset maps a real-size SDXL base key set onto exactly diffusers' names and shapes")
    func presetMapsRealKeys() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("sdxl/handover/ldm-keys-sdxl.json")))
        let catalogue = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: [Int]]])
        let mapping = try SingleFileKeyMapping(tensorShapes: try #require(catalogue["ldm"]), path: "ldm-keys-sdxl.json")
        #expect(mapping.family == .stableDiffusionXL && mapping.layout == .sdxl)
        for component in [SingleFileComponent.unet, .vae, .textEncoder, .textEncoder2] {
            let expected = try #require(catalogue[component.rawValue])
            let actual = mapping[component].mapValues(\.shape)
            #expect(actual.count == expected.count, "\(component): \(actual.count) vs \(expected.count)")
            let wrong = expected.filter { actual[$0.key] != $0.value }.keys.sorted()
            #expect(wrong.isEmpty, "\(component): \(wrong.prefix(5))")
        }
        #expect(mapping[.textEncoder2]["text_projection.weight"]?.transform == .transpose)
        #expect(mapping[.unet]["add_embedding.linear_1.weight"]?.checkpointKey == "model.diffusion_model.label_emb.0.0.weight")
        #expect(mapping.ignoredKeys.isEmpty)
    }

    @Test("Missing SDXL keys and wrong shapes are errors naming the key")
    func badFiles() throws {
        let folder = LoadOptions(configFolder: Fixtures.path("pipeline/sdxl-tiny"))
        func loadError(_ edit: (inout [String: Tensor]) -> Void) throws -> String {
            let path = try Self.write("base", edit: edit)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                _ = try StableDiffusionPipeline(contentsOf: path, options: folder)
                return "loaded"
            } catch {
                return error.description
            }
        }
        let label = try loadError { $0["model.diffusion_model.label_emb.0.0.weight"] = nil }
        #expect(label.contains("'model.diffusion_model.label_emb.0.0.weight'"), "\(label)")
        let projection = try loadError { $0["conditioner.embedders.1.model.text_projection"] = nil }
        #expect(projection.contains("'conditioner.embedders.1.model.text_projection'"), "\(projection)")
        let clip = try loadError { tensors in
            for key in tensors.keys where key.hasPrefix("conditioner.embedders.0.") { tensors[key] = nil }
        }
        #expect(clip.contains("conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight"), "\(clip)")
        let fused = try loadError { $0["conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight"] = Tensor.zeros([47, 16]) }
        #expect(fused.contains("'conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight'"), "\(fused)")
        let extra = try loadError { $0["conditioner.embedders.1.model.transformer.resblocks.2.ln_1.weight"] = Tensor.zeros([16]) }
        #expect(extra.contains("'conditioner.embedders.1.model.transformer.resblocks.2.ln_1.weight'"), "\(extra)")
        let shape = try loadError { $0["model.diffusion_model.label_emb.0.2.weight"] = Tensor.zeros([3, 3]) }
        #expect(shape.contains("add_embedding.linear_2.weight") || shape.contains("label_emb.0.2.weight"), "\(shape)")
    }
}

@Suite("Adapters on an SDXL single-file checkpoint")
struct SDXLSingleFileAdapterTests {
    /// The single file holds the folder's weights exactly (see ``SDXLSingleFileTests``), so with the same
    /// LoRAs and embeddings (kohya te1 + te2 + SGM UNet names, a clip_l / clip_g embedding) it must give
    /// the adapted folder's run exactly: the adapters resolve against the same diffusers names either way.
    @Test("LoRAs and embeddings on the single file give the adapted folder's latents exactly", arguments: SDXLLoRAFixtures.cases)
    func singleFileTakesAdapters(_ run: SDXLLoRARunCase) throws {
        let single = try StableDiffusionPipeline(contentsOf: try SDXLSingleFileTests.base.get(),
                                                 options: LoadOptions(configFolder: Fixtures.path("pipeline/sdxl-tiny")))
        let loras = try run.loras.map { try LoRA(contentsOf: SDXLLoRAFixtures.adapter($0.file), scale: $0.scale) }
        let embeddings = try run.embeddings.map { try TextualInversion(contentsOf: SDXLLoRAFixtures.adapter($0.file)) }
        let adapted = try single.applying(loras: loras, embeddings: embeddings)
        #expect(adapted.adapters.warnings.isEmpty, "\(adapted.adapters.warnings)")
        let expected = try SDXLLoRAFixtures.generate(run, on: try SDXLLoRAFixtures.pipeline(for: run))
        let actual = try SDXLLoRAFixtures.generate(run, on: adapted)
        #expect(actual.latents.scalars == expected.latents.scalars)
    }
}
