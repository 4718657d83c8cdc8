/// The LoRAs and textual-inversion embeddings a pipeline value carries.
public struct AppliedAdapters: Sendable, Equatable {
    /// Each LoRA's name (its file name without extension) and scale, in the order applied.
    public var loras: [LoRAReference] = []
    /// The tokens the embeddings added, first token of each embedding, in order.
    public var embeddingTokens: [String] = []
    /// What the caller should be told: modules of a LoRA that named no layer of the model and were
    /// skipped (diffusers warns about these too), one line per LoRA, listing them.
    public var warnings: [String] = []

    /// A LoRA as applied.
    public struct LoRAReference: Sendable, Equatable {
        /// The file name without extension.
        public var name: String
        /// The scale it was applied at.
        public var scale: Float

        /// A LoRA reference.
        public init(name: String, scale: Float) {
            self.name = name
            self.scale = scale
        }
    }

    /// Nothing applied.
    public init() {}

    /// Adapters as applied.
    public init(loras: [LoRAReference], embeddingTokens: [String], warnings: [String]) {
        self.loras = loras
        self.embeddingTokens = embeddingTokens
        self.warnings = warnings
    }

    /// Whether nothing is applied.
    public var isEmpty: Bool { loras.isEmpty && embeddingTokens.isEmpty }
}
