import TensorModule
import UNet

extension CLIPPromptConditioner {
    /// The prompts read with AUTOMATIC1111's syntax, as its web UI encodes them for SD 1.x/2.x
    /// (`prompt_parser.get_learned_conditioning` over `FrozenCLIPEmbedderWithCustomWords`):
    ///
    /// 1. `<lora:…>` tags are removed from the prompt (not from the negative prompt);
    /// 2. each side's prompt editing and alternation give its schedule of texts (``PromptScheduleParser``);
    /// 3. each text is split into weighted fragments and packed into chunks (``PromptChunker``); the texts of
    ///    one side are padded with empty chunks to the same count;
    /// 4. every chunk is encoded, and the chunks at one index of one side's texts are weighted together
    ///    (``EmphasisWeighting``); a text's chunks are concatenated along the token axis.
    ///
    /// The two sides keep their own token counts (A1111's default, `pad_cond_uncond` off): when they differ
    /// the session evaluates them in two UNet calls. Clip skip applies to the prompt only, as in the plain
    /// path (diffusers' rule; the web UI applies it to both). A prompt without syntax characters that fits
    /// one chunk gives the plain path's values bit for bit: the same ids, the same encoder batch, and no
    /// weighting (all multipliers 1).
    func automatic1111Conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning {
        let chunker = PromptChunker(tokenizer: slot.tokenizer)
        let positive = side(A1111Prompt(request.prompt).text, steps: request.steps, chunker: chunker)
        let negative = request.guided ? side(request.negativePrompt ?? "", steps: request.steps, chunker: chunker) : nil

        // One encoder batch, negative rows first, as the plain path batches (two when clip skip differs).
        let negativeRows = negative?.rows ?? []
        let batches = request.clipSkip.map { skip in [(negativeRows, nil), (positive.rows, Optional(skip))] }
            ?? [(negativeRows + positive.rows, nil)]
        var parts: [Tensor] = []
        for (rows, clipSkip) in batches where !rows.isEmpty {
            let ids = rows.map(\.ids)
            parts.append(try attributing(to: "text encoder") { try slot.encoder.encode(tokenIDs: ids, clipSkip: clipSkip) })
        }
        let encoded = try attributing(to: "pipeline") { try parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0) }
        let rowCount = negativeRows.count + positive.rows.count
        let tokens = slot.tokenizer.maximumLength
        guard encoded.rank == 3, encoded.shape[0] == rowCount, encoded.shape[1] == tokens else {
            throw .component(name: "text encoder", message: "returned shape \(encoded.shape) for \(rowCount) chunks of \(tokens) tokens")
        }
        var values = encoded.scalars
        let width = encoded.shape[2]
        negative?.weight(&values, firstRow: 0, tokens: tokens, width: width)
        positive.weight(&values, firstRow: negativeRows.count, tokens: tokens, width: width)
        // Emphasis weights are user input: weights so large (or a weighted mean so close to zero) that the
        // result overflows would give a NaN image, so they are reported instead.
        guard values.allSatisfy(\.isFinite) else {
            let weights = (positive.rows + negativeRows).flatMap(\.multipliers)
            throw .invalidParameter(name: "prompt", value: "emphasis weights from \(weights.min() ?? 1) to \(weights.max() ?? 1)",
                                    allowed: "weights whose weighted text encoding stays finite")
        }
        return try PromptConditioning(
            positive: positive.schedule(values, firstRow: negativeRows.count, tokens: tokens, width: width),
            negative: negative?.schedule(values, firstRow: 0, tokens: tokens, width: width))
    }

    /// One side's schedule texts, chunked.
    private func side(_ prompt: String, steps: Int, chunker: PromptChunker) -> Side {
        let entries = PromptScheduleParser.schedule(for: prompt, steps: max(steps, 1))
        var texts = entries.map { chunker.chunks(of: EmphasisParser.fragments(of: $0.text)).chunks }
        let count = texts.map(\.count).max() ?? 1
        let empty = chunker.emptyChunk
        for index in texts.indices { texts[index] += Array(repeating: empty, count: count - texts[index].count) }
        return Side(endSteps: entries.map(\.endStep), chunks: texts, chunkCount: count)
    }
}

/// One side (prompt or negative prompt) of an A1111 encoding: per schedule text, its chunks; rows are laid
/// out text by text, chunk by chunk.
private struct Side {
    /// A1111's end steps (1-based, inclusive) of the schedule entries.
    var endSteps: [Int]
    /// Per text, `chunkCount` chunks.
    var chunks: [[PromptChunk]]
    var chunkCount: Int

    var rows: [PromptChunk] { chunks.flatMap { $0 } }

    /// Emphasis, one batch per chunk index (all of the side's texts), as A1111 encodes a prompt's schedule.
    func weight(_ values: inout [Float], firstRow: Int, tokens: Int, width: Int) {
        for chunk in 0..<chunkCount {
            let rows = chunks.indices.map { firstRow + $0 * chunkCount + chunk }
            EmphasisWeighting.apply(to: &values, rows: rows, multipliers: chunks.map { $0[chunk].multipliers },
                                    tokens: tokens, width: width)
        }
    }

    /// The schedule: each text's chunks side by side as `[1, chunkCount · tokens, width]`. A1111 uses an
    /// entry while its 0-based step counter is ≤ the entry's end, so the entry ends before step end + 1.
    func schedule(_ values: [Float], firstRow: Int, tokens: Int, width: Int) throws(PipelineError) -> ConditioningSchedule {
        let size = chunkCount * tokens * width
        let entries = chunks.indices.map { text in
            let start = (firstRow + text * chunkCount) * tokens * width
            let context = Tensor(shape: [1, chunkCount * tokens, width], scalars: Array(values[start..<(start + size)]))
            return ConditioningSchedule.Entry(endStep: endSteps[text] + 1, conditioning: DenoiserConditioning(context: context))
        }
        return entries.count == 1 ? ConditioningSchedule(entries[0].conditioning) : try ConditioningSchedule(entries: entries)
    }
}
