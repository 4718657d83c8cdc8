import TensorModule

extension StableDiffusionPipeline {
    /// The conditioning for one generation: `[negative × count, positive × count]` rows when
    /// guided (diffusers' `torch.cat([negative_prompt_embeds, prompt_embeds])` after
    /// `num_images_per_prompt` repetition), positive rows only otherwise.
    ///
    /// A prompt longer than one window (77 tokens for CLIP) is split into windows of up to 75
    /// tokens, each encoded on its own and concatenated along the token axis; the negative prompt is
    /// padded with empty-prompt windows to the same count. A prompt that fits one window is encoded
    /// exactly as diffusers encodes it.
    ///
    /// - Throws: ``PipelineError`` from the tokenizer or text encoder.
    func encodePrompt(_ prompt: String, negativePrompt: String, guided: Bool, count: Int,
                      clipSkip: Int?) throws(PipelineError) -> Tensor {
        var positive = tokenizer.windowedInputIDs(for: prompt)
        var negative = guided ? tokenizer.windowedInputIDs(for: negativePrompt) : []
        let windows = max(positive.count, negative.count)
        let empty = tokenizer.inputIDs(for: "")
        positive += Array(repeating: empty, count: windows - positive.count)
        if guided { negative += Array(repeating: empty, count: windows - negative.count) }
        // diffusers applies clip skip to the prompt only; the negative prompt uses the last layer.
        let batches = clipSkip.map { _ in [(negative, nil), (positive, clipSkip)] } ?? [(negative + positive, nil)]
        var parts: [Tensor] = []
        for (ids, skip) in batches where !ids.isEmpty {
            parts.append(try attributing(to: "text encoder") { try textEncoder.encode(tokenIDs: ids, clipSkip: skip) })
        }
        let encoded = try attributing(to: "pipeline") { try parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0) }
        guard encoded.rank == 3, encoded.shape[0] == negative.count + positive.count else {
            throw .component(name: "text encoder", message: "returned shape \(encoded.shape) for \(negative.count + positive.count) windows")
        }
        // [prompts · windows, tokens, width] → [prompts, windows · tokens, width]: windows are
        // consecutive rows, so this is a reshape.
        let perPrompt = encoded.reshaped([guided ? 2 : 1, windows * encoded.shape[1], encoded.shape[2]])
        return try attributing(to: "pipeline") {
            let rows = try perPrompt.chunked(guided ? 2 : 1, axis: 0)
            return try Tensor.concatenate(rows.flatMap { Array(repeating: $0, count: count) }, axis: 0)
        }
    }
}
