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
    ///    (``EmphasisWeighting``); a text's chunks are concatenated along the token axis. Steps 2–4 are
    ///    `A1111PromptSide`, which SDXL's conditioner runs once per encoder.
    ///
    /// The two sides keep their own token counts (A1111's default, `pad_cond_uncond` off): when they differ
    /// the session evaluates them in two UNet calls. Clip skip applies to the prompt only, as in the plain
    /// path (diffusers' rule; the web UI applies it to both). A prompt without syntax characters that fits
    /// one chunk gives the plain path's values bit for bit: the same ids, the same encoder batch, and no
    /// weighting (all multipliers 1).
    func automatic1111Conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning {
        let chunker = PromptChunker(tokenizer: slot.tokenizer)
        func side(_ prompt: String) -> A1111PromptSide {
            A1111PromptSide(schedule: A1111PromptSide.schedule(for: prompt, steps: request.steps), chunker: chunker)
        }
        let positive = side(A1111Prompt(request.prompt).text)
        let negative = request.guided ? side(request.negativePrompt ?? "") : nil

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
        let sides = (negative.map { [$0] } ?? []) + [positive]
        let contexts = try A1111PromptSide.weightedContexts(encoded, of: sides, component: "text encoder")
        return try PromptConditioning(
            positive: positive.schedule(contexts[sides.count - 1].map { DenoiserConditioning(context: $0) }),
            negative: negative?.schedule(contexts[0].map { DenoiserConditioning(context: $0) }))
    }
}
