import TensorModule

/// Which vectors of which embeddings go into which text encoder of a pipeline, decided before anything
/// is built so that a misfit is an error with nothing applied.
///
/// - SDXL embeddings (`clip_l` / `clip_g`): each part into the slot of its encoder (`text_encoder` /
///   `text_encoder_2`), the token into both tokenizers, as diffusers documents SDXL embeddings. A part
///   for an encoder the model lacks (the refiner has no `text_encoder`) is not used; a model without
///   `text_encoder_2` (SD 1.x / 2.x) cannot take SDXL embeddings.
/// - Single-tensor embeddings (A1111, diffusers): into the first slot whose width is the embedding's
///   (on SDXL, 768 wide → `text_encoder` as diffusers' default `load_textual_inversion(file)` does,
///   1280 wide → `text_encoder_2`, which diffusers needs `text_encoder=pipe.text_encoder_2` for); the
///   other tokenizer does not get the token. A width no slot has is an error.
struct EmbeddingAssignment {
    /// Vectors of one embedding for one slot.
    struct Part {
        let embedding: TextualInversion
        let key: String
        let vectors: Tensor
    }

    /// Per slot (the pipeline's order), the parts it takes, in the embeddings' order.
    let parts: [[Part]]

    init(embeddings: [TextualInversion], slots: [AdaptableModels.TextSlot]) throws(PipelineError) {
        var parts = Array(repeating: [Part](), count: slots.count)
        for embedding in embeddings {
            if embedding.isSDXL {
                guard slots.contains(where: { $0.target == .textEncoder2 }) else {
                    throw .adapter(.embeddingEncoderMismatch(
                        path: embedding.path, key: embedding.key,
                        reason: "an SDXL embedding (clip_l / clip_g) goes into SDXL's two text encoders; this model has no text_encoder_2"))
                }
                for part in embedding.parts {
                    guard let number = slots.firstIndex(where: { $0.target == part.target }) else { continue }
                    parts[number].append(Part(embedding: embedding, key: part.key, vectors: part.vectors))
                }
                continue
            }
            let width = embedding.vectors.shape[1]
            if slots.count == 1 {
                // One encoder: its width decides, and a misfit is a width error for that encoder.
                parts[0].append(Part(embedding: embedding, key: embedding.key, vectors: embedding.vectors))
            } else if let number = slots.firstIndex(where: { $0.encoder.configuration.hiddenSize == width }) {
                parts[number].append(Part(embedding: embedding, key: embedding.key, vectors: embedding.vectors))
            } else {
                let widths = slots.map { "\($0.encoder.configuration.hiddenSize)" }.joined(separator: " and ")
                throw .adapter(.embeddingEncoderMismatch(
                    path: embedding.path, key: embedding.key,
                    reason: "width \(width) fits none of the text encoders (widths \(widths))"))
            }
        }
        self.parts = parts
    }
}
