import TensorModule
import TextEncoder
import Tokenizer
import UNet

/// The text side of Stable Diffusion 1.x and 2.x: one CLIP tokenizer and text encoder whose hidden
/// states are the denoiser's context, as diffusers' `StableDiffusionPipeline.encode_prompt` computes
/// them.
///
/// A prompt longer than one window (77 tokens for CLIP) is split into windows of up to 75 tokens,
/// each encoded on its own and concatenated along the token axis; the negative prompt is padded with
/// empty-prompt windows to the same count, so the two halves share one UNet batch. A prompt that
/// fits one window is encoded exactly as diffusers encodes it. diffusers applies clip skip to the
/// prompt only; the negative prompt uses the last layer.
public struct CLIPPromptConditioner: PromptConditioner {
    /// The tokenizer and encoder.
    public let slot: TextEncoderSlot

    /// A conditioner over one tokenizer / encoder pair.
    public init(tokenizer: any PromptTokenizer, textEncoder: any TextEncoding) {
        slot = TextEncoderSlot(tokenizer: tokenizer, encoder: textEncoder)
    }

    /// The one slot.
    public var textEncoders: [TextEncoderSlot] { [slot] }

    /// Encodes the prompt and, when guided, the negative prompt (the empty string when none is given).
    /// With ``PromptSyntax/automatic1111`` the prompts are read as AUTOMATIC1111's web UI reads them
    /// (see `automatic1111Conditioning(for:)` and `Documentation/PromptSyntax.md`).
    ///
    /// - Throws: ``PipelineError`` from the tokenizer or text encoder.
    public func conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning {
        if request.syntax == .automatic1111 { return try automatic1111Conditioning(for: request) }
        let tokenizer = slot.tokenizer
        var positive = tokenizer.windowedInputIDs(for: request.prompt)
        var negative = request.guided ? tokenizer.windowedInputIDs(for: request.negativePrompt ?? "") : []
        let windows = max(positive.count, negative.count)
        let empty = tokenizer.inputIDs(for: "")
        positive += Array(repeating: empty, count: windows - positive.count)
        if request.guided { negative += Array(repeating: empty, count: windows - negative.count) }
        // One encoder batch for both halves unless clip skip makes them differ (it applies to the
        // prompt only): the same rows in the same GEMMs as before the conditioning was a value.
        let skip = request.clipSkip
        let batches = skip.map { _ in [(negative, nil), (positive, skip)] } ?? [(negative + positive, nil)]
        var parts: [Tensor] = []
        for (ids, clipSkip) in batches where !ids.isEmpty {
            parts.append(try attributing(to: "text encoder") { try slot.encoder.encode(tokenIDs: ids, clipSkip: clipSkip) })
        }
        let encoded = try attributing(to: "pipeline") { try parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0) }
        guard encoded.rank == 3, encoded.shape[0] == negative.count + positive.count else {
            throw .component(name: "text encoder", message: "returned shape \(encoded.shape) for \(negative.count + positive.count) windows")
        }
        // [prompts · windows, tokens, width] → [prompts, windows · tokens, width]: windows are
        // consecutive rows, so this is a reshape.
        let halves = request.guided ? 2 : 1
        let perPrompt = encoded.reshaped([halves, windows * encoded.shape[1], encoded.shape[2]])
        let rows = try attributing(to: "pipeline") { try perPrompt.chunked(halves, axis: 0) }
        let schedules = rows.map { ConditioningSchedule(DenoiserConditioning(context: $0)) }
        return PromptConditioning(positive: schedules[halves - 1], negative: request.guided ? schedules[0] : nil)
    }
}
