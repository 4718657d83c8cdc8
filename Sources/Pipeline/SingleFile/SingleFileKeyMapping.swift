/// Where one component tensor comes from in a single-file checkpoint.
public struct SingleFileTensorSource: Sendable, Equatable {
    /// How the checkpoint tensor becomes the component's tensor.
    public enum Transform: Sendable, Equatable {
        /// Used as stored.
        case identity
        /// The same elements under the component's shape (an LDM 1×1 convolution `[C, C, 1, 1]` read
        /// as a linear weight `[C, C]`, or the reverse).
        case reshape
        /// The rows `range` of the first axis (one of q, k, v in OpenCLIP's fused `in_proj_weight` /
        /// `in_proj_bias`).
        case rows(Range<Int>)
        /// The matrix transposed: OpenCLIP's `text_projection` (`x @ P`), stored `[width, projection]`,
        /// is transformers' `text_projection.weight` (`[projection, width]`, `convert_open_clip_checkpoint`).
        /// Read widened to Float32 (a 16-bit matrix is not kept 16-bit).
        case transpose
    }

    /// The tensor's name in the checkpoint.
    public var checkpointKey: String
    /// What is done to it.
    public var transform: Transform
    /// The shape the component sees.
    public var shape: [Int]

    /// Creates a source entry.
    public init(checkpointKey: String, transform: Transform, shape: [Int]) {
        self.checkpointKey = checkpointKey
        self.transform = transform
        self.shape = shape
    }
}

/// The complete name map of a single-file checkpoint: for each component, every tensor name the
/// diffusers / transformers model loads (`down_blocks.0.resnets.1.conv1.weight`,
/// `decoder.up_blocks.0.resnets.0.norm1.weight`, `text_model.encoder.layers.3.self_attn.q_proj.weight`)
/// with the checkpoint tensor it comes from. Built once per load from the layout (which says what
/// exists) and the file's shapes (which say how big it is), following diffusers'
/// `loaders/single_file_utils.py` (`convert_ldm_unet_checkpoint`, `convert_ldm_vae_checkpoint`,
/// `convert_ldm_clip_checkpoint`, `convert_open_clip_checkpoint`).
///
/// Building is strict: every tensor a component needs must be in the file
/// (``SingleFileError/missingTensor(path:key:component:componentKey:)``), and every tensor in the file
/// must be used by exactly one component or be known to be ignorable
/// (``SingleFileError/unexpectedTensors(path:keys:)``). The ignorable tensors are:
/// - `model_ema.*`: the EMA copy of the UNet and its `decay` / `num_updates` counters (diffusers loads
///   the non-EMA weights by default; "emaonly" files already hold the EMA weights in
///   `model.diffusion_model.`);
/// - the DDPM schedule buffers LDM saves at the top level (`betas`, `alphas_cumprod`,
///   `alphas_cumprod_prev`, `sqrt_alphas_cumprod`, `sqrt_one_minus_alphas_cumprod`,
///   `log_one_minus_alphas_cumprod`, `sqrt_recip_alphas_cumprod`, `sqrt_recipm1_alphas_cumprod`,
///   `posterior_variance`, `posterior_log_variance_clipped`, `posterior_mean_coef1`,
///   `posterior_mean_coef2`): the scheduler recomputes them from its config;
/// - SD 1.x: `cond_stage_model.transformer.text_model.embeddings.position_ids`, a constant
///   `arange(77)` buffer older transformers saved;
/// - SD 2.x: `cond_stage_model.model.text_projection` and `logit_scale` (CLIP's contrastive head,
///   unused for conditioning), and the resblock after the last one the layout runs (OpenCLIP's 24th
///   layer: SD 2 conditions on the penultimate layer, so diffusers' model has 23 and skips it);
/// - SDXL: CLIP's `position_ids` (`conditioner.embedders.0.transformer.…`) and OpenCLIP's `logit_scale`
///   (`conditioner.embedders.1.model.` for the base, `.0.model.` for the refiner); OpenCLIP's
///   `text_projection` is used there (`text_encoder_2`'s `text_projection.weight`, transposed).
public struct SingleFileKeyMapping: Sendable {
    /// The family the checkpoint was recognised as.
    public let family: SingleFileFamily
    /// The layout the map was built for.
    public let layout: SingleFileLayout
    /// Component name → source, per component.
    public let components: [SingleFileComponent: [String: SingleFileTensorSource]]
    /// Checkpoint tensors deliberately left unused (sorted).
    public let ignoredKeys: [String]

    /// Builds the map from the file's tensor names and shapes.
    ///
    /// - Parameters:
    ///   - tensorShapes: Every tensor in the file with its shape.
    ///   - path: The file, for messages.
    ///   - layout: The structure to map; nil for the family's published preset (``SingleFileLayout/sd15`` or
    ///     ``SingleFileLayout/sd21``).
    ///   - textEncoderPrefix: Put before every text-encoder name: `text_model.` (the published layout,
    ///     the default) or `""` (the layout transformers 5 saves).
    /// - Throws: ``SingleFileError``: the detection errors of ``SingleFileFamily/detect(tensorShapes:path:)``,
    ///   a missing tensor, an unusable shape, or tensors no component uses.
    public init(tensorShapes: [String: [Int]], path: String, layout: SingleFileLayout? = nil,
                textEncoderPrefix: String = "text_model.") throws(SingleFileError) {
        let family = try SingleFileFamily.detect(tensorShapes: tensorShapes, path: path)
        let layout = layout ?? .preset(for: family)
        var unet = ComponentMapBuilder(component: .unet, shapes: tensorShapes, path: path,
                                       sourcePrefix: "model.diffusion_model.", targetPrefix: "")
        try unet.addUNet(layout.unet)
        var vae = ComponentMapBuilder(component: .vae, shapes: tensorShapes, path: path,
                                      sourcePrefix: "first_stage_model.", targetPrefix: "")
        try vae.addVAE(layout.vae)
        var text: ComponentMapBuilder
        var text2: ComponentMapBuilder?
        switch family {
        case .stableDiffusion1:
            // Older merges store CLIP without the `text_model.` level.
            let nested = tensorShapes["cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"] != nil
            text = ComponentMapBuilder(component: .textEncoder, shapes: tensorShapes, path: path,
                                       sourcePrefix: nested ? "cond_stage_model.transformer.text_model." : "cond_stage_model.transformer.",
                                       targetPrefix: textEncoderPrefix)
            try text.addCLIP(layout.textEncoder)
        case .stableDiffusion2:
            text = ComponentMapBuilder(component: .textEncoder, shapes: tensorShapes, path: path,
                                       sourcePrefix: "cond_stage_model.model.", targetPrefix: textEncoderPrefix)
            try text.addOpenCLIP(layout.textEncoder)
        case .stableDiffusionXL:
            let nested = tensorShapes["conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight"] != nil
            text = ComponentMapBuilder(component: .textEncoder, shapes: tensorShapes, path: path,
                                       sourcePrefix: nested ? "conditioner.embedders.0.transformer.text_model." : "conditioner.embedders.0.transformer.",
                                       targetPrefix: textEncoderPrefix)
            try text.addCLIP(layout.textEncoder)
            var second = ComponentMapBuilder(component: .textEncoder2, shapes: tensorShapes, path: path,
                                             sourcePrefix: "conditioner.embedders.1.model.", targetPrefix: textEncoderPrefix)
            try second.addOpenCLIP(layout.textEncoder2 ?? layout.textEncoder, projection: true)
            text2 = second
        case .stableDiffusionXLRefiner:
            text = ComponentMapBuilder(component: .textEncoder, shapes: tensorShapes, path: path,
                                       sourcePrefix: "conditioner.embedders.0.model.", targetPrefix: textEncoderPrefix)
            try text.addOpenCLIP(layout.textEncoder, projection: true)
        }

        let used = unet.usedKeys.union(vae.usedKeys).union(text.usedKeys).union(text2?.usedKeys ?? [])
        var ignored: [String] = []
        var unexpected: [String] = []
        for key in tensorShapes.keys where !used.contains(key) {
            if Self.isIgnorable(key, family: family, textLayers: layout.textEncoder.layerCount) {
                ignored.append(key)
            } else {
                unexpected.append(key)
            }
        }
        guard unexpected.isEmpty else { throw .unexpectedTensors(path: path, keys: unexpected.sorted()) }
        self.family = family
        self.layout = layout
        var components: [SingleFileComponent: [String: SingleFileTensorSource]] = [.unet: unet.entries, .vae: vae.entries, .textEncoder: text.entries]
        if let text2 { components[.textEncoder2] = text2.entries }
        self.components = components
        self.ignoredKeys = ignored.sorted()
    }

    /// The map of one component.
    public subscript(component: SingleFileComponent) -> [String: SingleFileTensorSource] {
        components[component] ?? [:]
    }

    /// The DDPM buffers LDM's `LatentDiffusion.register_schedule` saves with the model.
    static let scheduleBuffers: Set<String> = [
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
        "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
        "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    ]

    /// Whether an unused checkpoint tensor is one of the known ignorable ones (see the type's documentation).
    static func isIgnorable(_ key: String, family: SingleFileFamily, textLayers: Int) -> Bool {
        if key.hasPrefix("model_ema.") || scheduleBuffers.contains(key) { return true }
        switch family {
        case .stableDiffusion1:
            return key == "cond_stage_model.transformer.text_model.embeddings.position_ids"
                || key == "cond_stage_model.transformer.embeddings.position_ids"
        case .stableDiffusion2:
            return key == "cond_stage_model.model.text_projection"
                || key == "cond_stage_model.model.logit_scale"
                || key.hasPrefix("cond_stage_model.model.transformer.resblocks.\(textLayers).")
        case .stableDiffusionXL:
            return key == "conditioner.embedders.0.transformer.text_model.embeddings.position_ids"
                || key == "conditioner.embedders.0.transformer.embeddings.position_ids"
                || key == "conditioner.embedders.1.model.logit_scale"
        case .stableDiffusionXLRefiner:
            return key == "conditioner.embedders.0.model.logit_scale"
        }
    }
}
