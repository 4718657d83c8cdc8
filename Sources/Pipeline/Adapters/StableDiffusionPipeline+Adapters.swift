import TensorModule
import TextEncoder
import Tokenizer
import UNet

extension StableDiffusionPipeline {
    /// This pipeline with LoRAs and textual-inversion embeddings applied, as a new value; `self` is
    /// unchanged. The adapters replace any this value already carries: the result is the loaded
    /// model plus exactly `loras` and `embeddings`, so switching LoRAs between requests is one call
    /// on any derived pipeline.
    ///
    /// Nothing is read from the model's files again: the UNet and text encoder are rebuilt from the
    /// tensors the loaded model already holds (16-bit weights stay mapped), and only touched layers
    /// differ, carrying their LoRA factors (the delta is added to the widened weight in float32 each
    /// time the layer runs; see Documentation/LoRA.md). Untouched models are shared as they are.
    ///
    /// Semantics of diffusers 0.42.1: `load_lora_weights` for each file, then
    /// `set_adapters(names, adapter_weights=scales)` (text-encoder parts scaled too, several LoRAs
    /// summed), then `load_textual_inversion` for each embedding.
    ///
    /// - Parameters:
    ///   - loras: LoRAs with their scales (``LoRA/scale``), in order.
    ///   - embeddings: Textual-inversion embeddings, in order (their tokens get ids after the
    ///     vocabulary's in this order).
    /// - Returns: The adapted pipeline; ``adapters`` lists what it carries and any skipped keys.
    /// - Throws: ``PipelineError/adapter(_:)``: a LoRA for another architecture or naming no layer, an
    ///   embedding of the wrong width or with a token that exists, a pipeline assembled from
    ///   components; nothing is applied then.
    public func applying(loras: [LoRA], embeddings: [TextualInversion] = []) throws(PipelineError) -> StableDiffusionPipeline {
        guard let models = adaptableModels else {
            throw .adapter(.adaptersUnavailable(reason: "the pipeline was assembled from components; load it with StableDiffusionPipeline(contentsOf:)"))
        }
        let unetIndex = LayerIndex(source: models.unetSource, target: .unet,
                                   ldmModules: SingleFileKeyMapping.ldmUNetModules(for: models.unet.configuration))
        let textIndex = LayerIndex(source: models.textEncoderSource, target: .textEncoder)
        let patches: LoRAPatches
        do { patches = try LoRAPatches(loras: loras, indices: [.unet: unetIndex, .textEncoder: textIndex]) } catch {
            throw .adapter(error)
        }
        let text = try Self.textSide(models: models, updates: patches.updates[.textEncoder] ?? [:], embeddings: embeddings,
                                     index: textIndex)
        var unet = models.unet
        if let updates = patches.updates[.unet], !updates.isEmpty {
            let source = PatchedWeightSource(base: models.unetSource, updates: updates)
            unet = try attributing(to: "UNet") { try UNet2DConditionModel(configuration: models.unet.configuration, source: source) }
        }
        var adapted = try StableDiffusionPipeline(
            tokenizer: text.tokenizer, textEncoder: text.encoder, family: family, noisePredictor: unet, decoder: decoder, encoder: encoder,
            schedulerOptions: schedulerOptions, defaultScheduler: defaultScheduler, defaultImageSize: defaultImageSize,
            modelName: modelName, loadSeconds: loadSeconds, isInpaintingModel: isInpaintingModel)
        adapted.adaptableModels = models
        adapted.adapters = AppliedAdapters(
            loras: loras.map { AppliedAdapters.LoRAReference(name: $0.name, scale: $0.scale) },
            embeddingTokens: embeddings.map(\.token),
            warnings: patches.skipped.map { skipped in
                "LoRA '\(skipped.lora)': \(skipped.keys.count) key\(skipped.keys.count == 1 ? "" : "s") name no layer of this model and \(skipped.keys.count == 1 ? "was" : "were") skipped: \(skipped.keys.joined(separator: ", "))"
            })
        return adapted
    }

    /// The tokenizer and text encoder with the text-encoder LoRA updates and the embeddings.
    private static func textSide(models: AdaptableModels, updates: [String: [LowRankUpdate]], embeddings: [TextualInversion],
                                 index: LayerIndex) throws(PipelineError) -> (tokenizer: any PromptTokenizer, encoder: CLIPTextModel) {
        guard !updates.isEmpty || !embeddings.isEmpty else { return (models.tokenizer, models.textEncoder) }
        var configuration = models.textEncoder.configuration
        var tokenizer = models.tokenizer
        var replacements: [String: Tensor] = [:]
        var expansions: [MultiVectorTokenizer.Expansion] = []
        if !embeddings.isEmpty {
            let width = configuration.hiddenSize
            var rows: [(id: Int, vector: ArraySlice<Float>)] = []
            var added = Set<String>()
            for embedding in embeddings {
                guard embedding.vectors.shape[1] == width else {
                    throw .adapter(.embeddingWidthMismatch(path: embedding.path, key: embedding.key, expected: width,
                                                           actual: embedding.vectors.shape[1]))
                }
                if let taken = embedding.tokens.first(where: { tokenizer.contains(token: $0) || added.contains($0) }) {
                    throw .adapter(.tokenExists(path: embedding.path, token: taken))
                }
                added.formUnion(embedding.tokens)
                let (grown, ids) = tokenizer.addingTokens(embedding.tokens)
                tokenizer = grown
                let values = embedding.vectors.scalars
                for (row, id) in ids.enumerated() { rows.append((id, values[(row * width)..<((row + 1) * width)])) }
                if ids.count > 1 {
                    expansions.append(.init(token: embedding.token, id: ids[0], replacement: embedding.tokens.joined(separator: " ")))
                }
            }
            let key = index.textModelPrefix + "embeddings.token_embedding.weight"
            let oldCount = configuration.vocabularySize
            let table = try attributing(to: "text encoder") {
                try models.textEncoderSource.loadTensor(named: key, expectedShape: [oldCount, width])
            }
            let newCount = max(oldCount, (rows.map(\.id).max() ?? 0) + 1)
            // Rows between the old table and the new ids (a tokenizer larger than the encoder's
            // table) stay zero: no token maps to them.
            let grownTable = Tensor(shape: [newCount, width]) { out in
                table.withUnsafeBufferPointer { old in
                    for i in 0..<(oldCount * width) { out[i] = old[i] }
                }
                for i in (oldCount * width)..<(newCount * width) { out[i] = 0 }
                for (id, vector) in rows {
                    for (c, value) in vector.enumerated() { out[id * width + c] = value }
                }
            }
            replacements[key] = grownTable
            configuration.vocabularySize = newCount
        }
        let source = PatchedWeightSource(base: models.textEncoderSource, updates: updates, replacements: replacements)
        let encoder = try attributing(to: "text encoder") { try CLIPTextModel(configuration: configuration, weightSource: source) }
        let promptTokenizer: any PromptTokenizer = expansions.isEmpty ? tokenizer : MultiVectorTokenizer(base: tokenizer, expansions: expansions)
        return (promptTokenizer, encoder)
    }
}
