/// What a ``PromptConditioner`` is asked to encode for one generation.
public struct PromptRequest: Sendable {
    /// The prompt as the user typed it.
    public var prompt: String
    /// The negative prompt; nil when none was given. SD 1.x/2.x encode nil as the empty string, as
    /// diffusers does; SDXL with `force_zeros_for_empty_prompt` uses zeros for nil but encodes an
    /// explicit "".
    public var negativePrompt: String?
    /// Whether classifier-free guidance runs (a negative conditioning is needed).
    public var guided: Bool
    /// diffusers' `clip_skip` (nil or 0: the last layer).
    public var clipSkip: Int?
    /// Output width in pixels (SDXL's size conditioning).
    public var width: Int
    /// Output height in pixels.
    public var height: Int
    /// Steps the session will run, for per-step prompt schedules.
    public var steps: Int
    /// SDXL's size and crop conditioning (ignored by SD 1.x/2.x).
    public var microConditioning: SDXLMicroConditioning
    /// How the prompts are read: verbatim (diffusers) or with AUTOMATIC1111's syntax.
    public var syntax: PromptSyntax

    /// A request.
    ///
    /// - Parameters:
    ///   - prompt: The prompt.
    ///   - negativePrompt: The negative prompt, or nil for none.
    ///   - guided: Whether a negative conditioning is needed.
    ///   - clipSkip: diffusers' `clip_skip`.
    ///   - width: Output width in pixels.
    ///   - height: Output height in pixels.
    ///   - steps: Steps the session will run.
    ///   - microConditioning: SDXL's size and crop conditioning.
    ///   - syntax: How the prompts are read (``PromptSyntax/plain`` unless given).
    public init(prompt: String, negativePrompt: String?, guided: Bool, clipSkip: Int?, width: Int, height: Int, steps: Int,
                microConditioning: SDXLMicroConditioning = SDXLMicroConditioning(), syntax: PromptSyntax = .plain) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.guided = guided
        self.clipSkip = clipSkip
        self.width = width
        self.height = height
        self.steps = steps
        self.microConditioning = microConditioning
        self.syntax = syntax
    }
}
