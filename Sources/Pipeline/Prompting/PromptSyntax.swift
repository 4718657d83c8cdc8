/// How the pipeline reads the prompt and the negative prompt.
///
/// ``GenerationParameters/promptSyntax`` and the `sd` command line default to ``automatic1111`` because the
/// prompts people copy from model sites are written for AUTOMATIC1111's web UI; ``PromptRequest`` defaults to
/// ``plain``. Both apply to SD 1.x/2.x and SDXL. See `Documentation/PromptSyntax.md`.
public enum PromptSyntax: String, Sendable, CaseIterable, Codable {
    /// The text is tokenized verbatim, exactly as diffusers does (SD 1.x/2.x: a prompt longer than one window
    /// is cut into consecutive 75-token windows; SDXL: it is truncated to one window).
    case plain
    /// AUTOMATIC1111's syntax: `(a:1.2)`, `(a)`, `[a]`, escapes, `BREAK`, prompt editing `[from:to:when]`,
    /// alternation `[a|b]`, `<lora:NAME:W>` tags, and its 75-token chunking with comma back-tracking and
    /// per-chunk weighting. A prompt without syntax characters that fits one window encodes exactly as
    /// ``plain`` does.
    case automatic1111 = "a1111"
}
