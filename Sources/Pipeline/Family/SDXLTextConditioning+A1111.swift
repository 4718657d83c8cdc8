import TensorModule
import TextEncoder

/// One SDXL prompt side read with A1111's syntax: per schedule text, the context and the pooled embedding.
struct SDXLScheduledText {
    /// A1111's end steps (1-based, inclusive) of the schedule entries; one entry has no schedule.
    var endSteps: [Int]
    /// Per schedule text: context `[1, chunks · 77, contextWidth]` and pooled embedding `[1, pooledWidth]`.
    var texts: [(context: Tensor, pooled: Tensor)]
}

extension SDXLTextConditioning {
    /// Encodes one side as the web UI encodes it for SDXL (`sd_models_xl.get_learned_conditioning` through sgm's
    /// `GeneralConditioner`, whose two text embedders are A1111's `FrozenCLIPEmbedderForSDXLWithCustomWords` and
    /// `FrozenOpenCLIPEmbedder2WithCustomWords`):
    ///
    /// - the prompt's schedule texts are chunked by each encoder with its own tokenizer (``A1111PromptSide``):
    ///   the first pads with its tokenizer's padding (end-of-text for CLIP ViT-L), the second with id 0 (`!`)
    ///   after each chunk's first end-of-text;
    /// - each encoder's chunks are encoded (`hidden_states[-(clip_skip + 2)]`, no final layer norm), weighted and
    ///   mean-restored on that encoder's own output, and concatenated along the token axis;
    /// - the two encoders' contexts are concatenated along the channel axis, `[first | second]`;
    /// - the pooled embedding is the second encoder's for each text's first chunk (A1111's `zs[0].pooled`),
    ///   unweighted (emphasis touches the hidden states only).
    ///
    /// The two tokenizers share one vocabulary in published models, so they chunk a prompt alike; should they
    /// not, the encoder with fewer chunks is padded with empty chunks (as A1111 pads the texts of a batch) so
    /// that the channel concatenation lines up. A prompt without syntax characters that fits one chunk makes
    /// the same encoder calls as ``encode(_:clipSkip:)`` and gives its values bit for bit.
    ///
    /// - Parameters:
    ///   - prompt: The prompt (without `<lora:…>` tags).
    ///   - steps: The sampler steps, for prompt editing and alternation.
    ///   - clipSkip: diffusers' `clip_skip`, as in ``encode(_:clipSkip:)``.
    func encodeAutomatic1111(_ prompt: String, steps: Int, clipSkip: Int?) throws(PipelineError) -> SDXLScheduledText {
        let schedule = A1111PromptSide.schedule(for: prompt, steps: steps)
        let secondChunker = PromptChunker(tokenizer: second.tokenizer)
        let firstChunker = first.map { PromptChunker(tokenizer: $0.tokenizer) }
        var secondSide = A1111PromptSide(schedule: schedule, chunker: secondChunker)
        var firstSide = firstChunker.map { A1111PromptSide(schedule: schedule, chunker: $0) }
        let chunkCount = max(secondSide.chunkCount, firstSide?.chunkCount ?? 0)
        secondSide.padChunks(to: chunkCount, chunker: secondChunker)
        if let firstChunker { firstSide?.padChunks(to: chunkCount, chunker: firstChunker) }

        let skipped = (clipSkip ?? 0) + 1
        var perEncoder: [[Tensor]] = []
        if let first, let firstSide {
            let output = try attributing(to: "text encoder") {
                try first.encoder.encodeHiddenStates(tokenIDs: firstSide.rows.map(\.ids), layersSkipped: skipped, pooled: false)
            }
            perEncoder.append(try A1111PromptSide.weightedContexts(output.hiddenStates, of: [firstSide], component: "text encoder")[0])
        }
        let rows = secondSide.rows
        let output = try attributing(to: "text encoder 2") {
            try second.encoder.encodeHiddenStates(tokenIDs: rows.map(\.ids), layersSkipped: skipped, pooled: true)
        }
        let pooledWidth = second.encoder.pooledWidth
        guard let pooled = output.pooled, pooled.shape == [rows.count, pooledWidth] else {
            throw .component(name: "text encoder 2", message: "returned no pooled embedding of shape [\(rows.count), \(pooledWidth)]")
        }
        perEncoder.append(try A1111PromptSide.weightedContexts(output.hiddenStates, of: [secondSide], component: "text encoder 2")[0])

        var texts: [(context: Tensor, pooled: Tensor)] = []
        for (text, row) in secondSide.firstChunkRows.enumerated() {
            let parts = perEncoder.map { $0[text] }
            let context = try attributing(to: "pipeline") { try parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 2) }
            guard context.shape[2] == contextWidth else {
                throw .component(name: "text encoder", message: "returned context of shape \(context.shape); expected [1, tokens, \(contextWidth)]")
            }
            let start = row * pooledWidth
            texts.append((context, Tensor(shape: [1, pooledWidth], scalars: Array(pooled.scalars[start..<(start + pooledWidth)]))))
        }
        return SDXLScheduledText(endSteps: secondSide.endSteps, texts: texts)
    }
}
