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
    /// Nothing is read from the model's files again: the UNet and text encoders are rebuilt from the
    /// tensors the loaded model already holds (16-bit weights stay mapped), and only touched layers
    /// differ, carrying their LoRA factors (the delta is added to the widened weight in float32 each
    /// time the layer runs; see Documentation/LoRA.md). Untouched models are shared as they are. The
    /// family and the conditioner's kind are kept: every text encoder of the conditioner (SDXL's two)
    /// takes the parts of the adapters that name it.
    ///
    /// Semantics of diffusers 0.42.1: `load_lora_weights` for each file, then
    /// `set_adapters(names, adapter_weights=scales)` (text-encoder parts scaled too, several LoRAs
    /// summed), then `load_textual_inversion` for each embedding (SDXL's `clip_l` / `clip_g` into
    /// `text_encoder` / `text_encoder_2`, the token into both tokenizers).
    ///
    /// - Parameters:
    ///   - loras: LoRAs with their scales (``LoRA/scale``), in order.
    ///   - embeddings: Textual-inversion embeddings, in order (their tokens get ids after the
    ///     vocabulary's in this order).
    /// - Returns: The adapted pipeline; ``adapters`` lists what it carries and any skipped keys.
    /// - Throws: ``PipelineError/adapter(_:)``: a LoRA for another architecture or naming no layer, an
    ///   embedding that fits no text encoder or with a token that exists, a pipeline assembled from
    ///   components; nothing is applied then.
    public func applying(loras: [LoRA], embeddings: [TextualInversion] = []) throws(PipelineError) -> StableDiffusionPipeline {
        guard let models = adaptableModels, let replaceable = conditioner as? any TextEncoderSlotReplacing,
              models.textSlots.count == conditioner.textEncoders.count else {
            throw .adapter(.adaptersUnavailable(reason: "the pipeline was assembled from components; load it with StableDiffusionPipeline(contentsOf:)"))
        }
        var indices: [AdapterTarget: LayerIndex] = [
            .unet: LayerIndex(source: models.unetSource, target: .unet, ldmModules: SingleFileKeyMapping.ldmUNetModules(for: models.unet.configuration)),
        ]
        for slot in models.textSlots { indices[slot.target] = LayerIndex(source: slot.source, target: slot.target) }
        let patches: LoRAPatches
        do { patches = try LoRAPatches(loras: loras, indices: indices) } catch {
            throw .adapter(error)
        }
        let assigned = try EmbeddingAssignment(embeddings: embeddings, slots: models.textSlots)
        var slots: [TextEncoderSlot] = []
        for (number, slot) in models.textSlots.enumerated() {
            guard let index = indices[slot.target] else { continue }
            let side = try Self.textSide(slot: slot, updates: patches.updates[slot.target] ?? [:],
                                         embeddings: assigned.parts[number], index: index)
            slots.append(TextEncoderSlot(tokenizer: side.tokenizer, encoder: side.encoder))
        }
        var unet = models.unet
        if let updates = patches.updates[.unet], !updates.isEmpty {
            let source = PatchedWeightSource(base: models.unetSource, updates: updates)
            unet = try attributing(to: "UNet") { try UNet2DConditionModel(configuration: models.unet.configuration, source: source) }
        }
        // A copy keeps everything else this value carries (a replaced VAE, a preview decoder).
        var adapted = self
        adapted.conditioner = try replaceable.replacingTextEncoders(slots)
        adapted.noisePredictor = unet
        adapted.adapters = AppliedAdapters(
            loras: loras.map { AppliedAdapters.LoRAReference(name: $0.name, scale: $0.scale) },
            embeddingTokens: embeddings.map(\.token),
            warnings: patches.skipped.map { skipped in
                "LoRA '\(skipped.lora)': \(skipped.keys.count) key\(skipped.keys.count == 1 ? "" : "s") name no layer of this model and \(skipped.keys.count == 1 ? "was" : "were") skipped: \(skipped.keys.joined(separator: ", "))"
            })
        return adapted
    }

    /// One slot's tokenizer and text encoder with its LoRA updates and embeddings; the loaded pair
    /// itself when neither touches it.
    private static func textSide(slot: AdaptableModels.TextSlot, updates: [String: [LowRankUpdate]],
                                 embeddings: [EmbeddingAssignment.Part],
                                 index: LayerIndex) throws(PipelineError) -> (tokenizer: any PromptTokenizer, encoder: CLIPTextModel) {
        guard !updates.isEmpty || !embeddings.isEmpty else { return (slot.tokenizer, slot.encoder) }
        let name = slot.target == .textEncoder2 ? "text encoder 2" : "text encoder"
        var configuration = slot.encoder.configuration
        var tokenizer = slot.tokenizer
        var replacements: [String: Tensor] = [:]
        var expansions: [MultiVectorTokenizer.Expansion] = []
        if !embeddings.isEmpty {
            let width = configuration.hiddenSize
            var rows: [(id: Int, vector: ArraySlice<Float>)] = []
            var added = Set<String>()
            for part in embeddings {
                let embedding = part.embedding
                guard part.vectors.shape[1] == width else {
                    throw .adapter(.embeddingWidthMismatch(path: embedding.path, key: part.key, expected: width,
                                                           actual: part.vectors.shape[1]))
                }
                if let taken = embedding.tokens.first(where: { tokenizer.contains(token: $0) || added.contains($0) }) {
                    throw .adapter(.tokenExists(path: embedding.path, token: taken))
                }
                added.formUnion(embedding.tokens)
                let (grown, ids) = tokenizer.addingTokens(embedding.tokens)
                tokenizer = grown
                let values = part.vectors.scalars
                for (row, id) in ids.enumerated() { rows.append((id, values[(row * width)..<((row + 1) * width)])) }
                if ids.count > 1 {
                    expansions.append(.init(token: embedding.token, id: ids[0], replacement: embedding.tokens.joined(separator: " ")))
                }
            }
            let key = index.textModelPrefix + "embeddings.token_embedding.weight"
            let oldCount = configuration.vocabularySize
            let table = try attributing(to: name) {
                try slot.source.loadTensor(named: key, expectedShape: [oldCount, width])
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
        let source = PatchedWeightSource(base: slot.source, updates: updates, replacements: replacements)
        let encoder = try attributing(to: name) { try CLIPTextModel(configuration: configuration, weightSource: source) }
        let promptTokenizer: any PromptTokenizer = expansions.isEmpty ? tokenizer : MultiVectorTokenizer(base: tokenizer, expansions: expansions)
        return (promptTokenizer, encoder)
    }
}
