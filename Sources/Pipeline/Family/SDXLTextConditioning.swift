import TensorModule
import TextEncoder
import Tokenizer

/// The text side of SDXL, as diffusers 0.42.1's `StableDiffusionXLPipeline.encode_prompt` computes it
/// (`pipelines/stable_diffusion_xl/pipeline_stable_diffusion_xl.py`), for one prompt.
///
/// - Context: `hidden_states[-(clip_skip + 2)]` (the penultimate layer without clip skip; no final layer
///   norm) of each encoder, concatenated along the width, `[first | second]`. A refiner has only the
///   second encoder, whose hidden states are then the whole context.
/// - Pooled embedding: the second encoder's projected pooled output, always from its last layer.
/// - The negative side ignores `clip_skip` (diffusers reads `hidden_states[-2]` there unconditionally).
/// - ``encode(_:clipSkip:)`` (``PromptSyntax/plain``) truncates prompts to one window (77 tokens), as diffusers
///   does; `encodeAutomatic1111(_:steps:clipSkip:)` reads them with A1111's syntax and chunking.
struct SDXLTextConditioning: Sendable {
    /// The first encoder (CLIP ViT-L) and its tokenizer; nil for the refiner, which has only the second.
    let first: (tokenizer: any PromptTokenizer, encoder: any PooledTextEncoding)?
    /// The second encoder (OpenCLIP ViT-bigG with projection) and its tokenizer (`!` padding).
    let second: (tokenizer: any PromptTokenizer, encoder: any PooledTextEncoding)

    /// Token context width: the sum of the encoders' widths.
    var contextWidth: Int { (first?.encoder.embeddingWidth ?? 0) + second.encoder.embeddingWidth }

    /// Encodes one prompt: context `[1, 77, contextWidth]` and pooled embedding `[1, pooledWidth]`.
    ///
    /// - Parameters:
    ///   - prompt: The text.
    ///   - clipSkip: diffusers' `clip_skip` (nil or 0 = the penultimate layer; `k` = `hidden_states[-(k + 2)]`).
    func encode(_ prompt: String, clipSkip: Int?) throws(PipelineError) -> (context: Tensor, pooled: Tensor) {
        let skipped = (clipSkip ?? 0) + 1
        var parts: [Tensor] = []
        if let first {
            let ids = first.tokenizer.inputIDs(for: prompt)
            let output = try attributing(to: "text encoder") {
                try first.encoder.encodeHiddenStates(tokenIDs: [ids], layersSkipped: skipped, pooled: false)
            }
            parts.append(output.hiddenStates)
        }
        let ids = second.tokenizer.inputIDs(for: prompt)
        let output = try attributing(to: "text encoder 2") {
            try second.encoder.encodeHiddenStates(tokenIDs: [ids], layersSkipped: skipped, pooled: true)
        }
        parts.append(output.hiddenStates)
        guard let pooled = output.pooled, pooled.shape == [1, second.encoder.pooledWidth] else {
            throw .component(name: "text encoder 2", message: "returned no pooled embedding of shape [1, \(second.encoder.pooledWidth)]")
        }
        let context = try attributing(to: "pipeline") { try parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 2) }
        guard context.rank == 3, context.shape[0] == 1, context.shape[2] == contextWidth else {
            throw .component(name: "text encoder", message: "returned context of shape \(context.shape); expected [1, tokens, \(contextWidth)]")
        }
        return (context, pooled)
    }

    /// The negative side: zeros shaped like the positive side when no negative prompt was given and the
    /// model sets `force_zeros_for_empty_prompt` (an explicit empty prompt is encoded); otherwise the
    /// negative prompt (or "") encoded without clip skip.
    func encodeNegative(_ negativePrompt: String?, forceZeros: Bool,
                        like positive: (context: Tensor, pooled: Tensor)) throws(PipelineError) -> (context: Tensor, pooled: Tensor) {
        if negativePrompt == nil && forceZeros {
            return (Tensor.zeros(positive.context.shape), Tensor.zeros(positive.pooled.shape))
        }
        return try encode(negativePrompt ?? "", clipSkip: nil)
    }
}

/// SDXL's micro-conditioning (`add_time_ids`), as diffusers' `_get_add_time_ids` lays it out. Sizes are in
/// pixels; the CLI spells them `W,H` (`--original-size`, `--target-size`) and `X,Y` (`--crop-top-left`).
/// The refiner reads the aesthetic scores instead of the target size.
public struct SDXLMicroConditioning: Sendable, Equatable {
    /// `original_size`; nil = the generated size.
    public var originalSize: PixelSize?
    /// `crops_coords_top_left`, x = left, y = top; (0, 0) by default.
    public var cropTopLeft: PixelPoint
    /// `target_size`; nil = the generated size.
    public var targetSize: PixelSize?
    /// The refiner's `aesthetic_score` for the prompt (diffusers' default 6.0).
    public var aestheticScore: Double = 6.0
    /// The refiner's `negative_aesthetic_score` for the negative side (diffusers' default 2.5).
    public var negativeAestheticScore: Double = 2.5

    /// Creates the conditioning; the defaults are diffusers' (the generated size, no crop).
    public init(originalSize: PixelSize? = nil, cropTopLeft: PixelPoint = PixelPoint(x: 0, y: 0),
                targetSize: PixelSize? = nil) {
        self.originalSize = originalSize
        self.cropTopLeft = cropTopLeft
        self.targetSize = targetSize
    }

    /// The base model's six ids `[original h, original w, crop top, crop left, target h, target w]`, `[1, 6]`.
    func baseTimeIDs(width: Int, height: Int) -> Tensor {
        let original = originalSize ?? PixelSize(width: width, height: height)
        let target = targetSize ?? PixelSize(width: width, height: height)
        return Tensor(shape: [1, 6], scalars: [original.height, original.width, cropTopLeft.y, cropTopLeft.x,
                                               target.height, target.width].map(Float.init))
    }

    /// The refiner's five ids `[original h, original w, crop top, crop left, score]`, `[1, 5]`
    /// (`requires_aesthetics_score`), with ``aestheticScore`` or, for the negative side,
    /// ``negativeAestheticScore``.
    func refinerTimeIDs(width: Int, height: Int, negative: Bool) -> Tensor {
        let aestheticScore = negative ? negativeAestheticScore : self.aestheticScore
        let original = originalSize ?? PixelSize(width: width, height: height)
        return Tensor(shape: [1, 5], scalars: [Float(original.height), Float(original.width), Float(cropTopLeft.y),
                                               Float(cropTopLeft.x), Float(aestheticScore)])
    }
}

/// A width and height in pixels.
public struct PixelSize: Sendable, Equatable, Hashable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// A pixel position, x to the right, y down.
public struct PixelPoint: Sendable, Equatable, Hashable {
    /// Column (left offset).
    public var x: Int
    /// Row (top offset).
    public var y: Int

    /// Creates a point.
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}
