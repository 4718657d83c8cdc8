extension SingleFileFamily {
    /// Recognises an SD 1.x, SD 2.x or SDXL (base / refiner, `conditioner.embedders.…`; see `detectXL`)
    /// checkpoint from its tensor names and shapes, and refuses anything else with an error naming what was found.
    ///
    /// The text encoder decides the family, as in diffusers (`is_clip_model` / `is_open_clip_model`):
    /// OpenAI CLIP under `cond_stage_model.transformer.` is SD 1.x, OpenCLIP under
    /// `cond_stage_model.model.` is SD 2.x. (diffusers' `infer_diffusers_model_type` looks at the
    /// cross-attention width, 768 vs 1024, which says the same for the published models; the text
    /// encoder also holds for narrower test models.) The UNet's cross-attention width must equal the
    /// text encoder's.
    ///
    /// - Parameters:
    ///   - tensorShapes: Every tensor name in the file with its shape.
    ///   - path: The file, for messages.
    /// - Returns: The family.
    /// Inpainting checkpoints (SD 1.5 / SD 2 inpainting: the UNet's `input_blocks.0.0.weight` takes 9
    /// channels, latents + mask + masked-image latents, as diffusers' `infer_diffusers_model_type`
    /// recognises them) are detected like the others; ``unetInputChannels(tensorShapes:)`` tells them
    /// apart.
    ///
    /// - Throws: ``SingleFileError/unsupportedArchitecture(path:architecture:evidence:)`` for
    ///   SD 3, Flux, ControlNet, diffusers-format and class-conditioned checkpoints and for UNets
    ///   whose input is neither 4 nor 9 channels (InstructPix2Pix 8, upscaler 7, depth 5);
    ///   ``SingleFileError/missingComponent(path:component:expectedKey:found:)`` when the UNet, VAE or
    ///   text encoder is absent; ``SingleFileError/inconsistentCheckpoint(path:reason:)`` when both
    ///   text encoders are present or the widths disagree.
    public static func detect(tensorShapes: [String: [Int]], path: String) throws(SingleFileError) -> SingleFileFamily {
        if tensorShapes.keys.contains(where: { $0.hasPrefix("conditioner.embedders.") }) {
            return try detectXL(tensorShapes, path: path)
        }
        try refuseOtherArchitectures(tensorShapes, path: path)

        let unetKey = "model.diffusion_model.input_blocks.0.0.weight"
        guard let convIn = tensorShapes[unetKey] else {
            throw .missingComponent(path: path, component: .unet, expectedKey: unetKey, found: summary(of: tensorShapes))
        }
        let inputChannels = convIn.count == 4 ? convIn[1] : -1
        if inputChannels != 4 && inputChannels != 9 {
            let name: String
            switch inputChannels {
            case 8: name = "InstructPix2Pix"
            case 7: name = "x4 upscaler"
            case 5: name = "depth-to-image"
            default: name = "UNet with \(inputChannels) input channels"
            }
            throw .unsupportedArchitecture(path: path, architecture: name, evidence: "'\(unetKey)' of shape \(convIn)")
        }
        for side in ["encoder", "decoder"] {
            let key = "first_stage_model.\(side).conv_in.weight"
            guard tensorShapes[key] != nil else {
                throw .missingComponent(path: path, component: .vae, expectedKey: key, found: summary(of: tensorShapes))
            }
        }

        let clipKeys = ["cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
                        "cond_stage_model.transformer.embeddings.token_embedding.weight"]
        let openClipKey = "cond_stage_model.model.token_embedding.weight"
        let clip = clipKeys.first { tensorShapes[$0] != nil }
        let openClip = tensorShapes[openClipKey] != nil ? openClipKey : nil
        let family: SingleFileFamily
        let embeddingKey: String
        switch (clip, openClip) {
        case (let clip?, nil): (family, embeddingKey) = (.stableDiffusion1, clip)
        case (nil, let openClip?): (family, embeddingKey) = (.stableDiffusion2, openClip)
        case (let clip?, let openClip?):
            throw .inconsistentCheckpoint(path: path, reason: "holds both a CLIP ('\(clip)') and an OpenCLIP ('\(openClip)') text encoder")
        case (nil, nil):
            throw .missingComponent(path: path, component: .textEncoder, expectedKey: "\(clipKeys[0])' or '\(openClipKey)",
                                    found: summary(of: tensorShapes))
        }

        let textWidth = tensorShapes[embeddingKey].flatMap { $0.count == 2 ? $0[1] : nil }
        let crossAttention = tensorShapes.keys
            .filter { $0.hasPrefix("model.diffusion_model.") && $0.hasSuffix(".attn2.to_k.weight") }
            .min()
        if let crossAttention, let shape = tensorShapes[crossAttention], shape.count == 2, shape[1] != textWidth {
            throw .inconsistentCheckpoint(path: path, reason: "the UNet's cross-attention '\(crossAttention)' takes \(shape[1]) "
                + "channels but the text encoder's '\(embeddingKey)' is \(textWidth.map(String.init) ?? "?") wide")
        }
        return family
    }

    /// The UNet's input channels, from `model.diffusion_model.input_blocks.0.0.weight` (`[out, in, 3, 3]`):
    /// 4 for text-to-image models, 9 for inpainting models; nil when the tensor is absent or not 4-D.
    ///
    /// - Parameter tensorShapes: Every tensor name in the file with its shape.
    public static func unetInputChannels(tensorShapes: [String: [Int]]) -> Int? {
        guard let shape = tensorShapes["model.diffusion_model.input_blocks.0.0.weight"], shape.count == 4 else { return nil }
        return shape[1]
    }

    /// SDXL's generative-models (SGM) layout, as diffusers' `infer_diffusers_model_type` tells base from
    /// refiner: OpenCLIP ViT-bigG under `conditioner.embedders.1.model.` (beside CLIP ViT-L under
    /// `conditioner.embedders.0.transformer.`) is the base, under `conditioner.embedders.0.model.` alone the
    /// refiner. The UNet must take 4 channels, have the `text_time` embedding (`label_emb.0`) and attend
    /// over the encoders' widths added.
    private static func detectXL(_ shapes: [String: [Int]], path: String) throws(SingleFileError) -> SingleFileFamily {
        try refuseOtherArchitectures(shapes, path: path, xl: true)
        let bigG = "conditioner.embedders.1.model.token_embedding.weight"
        let refinerBigG = "conditioner.embedders.0.model.token_embedding.weight"
        let clipKeys = ["conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight",
                        "conditioner.embedders.0.transformer.embeddings.token_embedding.weight"]
        func width(_ key: String) -> Int? { shapes[key].flatMap { $0.count == 2 ? $0[1] : nil } }
        let family: SingleFileFamily
        let contextWidth: Int?
        if shapes[bigG] != nil {
            guard let clip = clipKeys.first(where: { shapes[$0] != nil }) else {
                throw .missingComponent(path: path, component: .textEncoder, expectedKey: clipKeys[0], found: summary(of: shapes))
            }
            family = .stableDiffusionXL
            contextWidth = width(clip).flatMap { first in width(bigG).map { first + $0 } }
        } else if shapes[refinerBigG] != nil {
            family = .stableDiffusionXLRefiner
            contextWidth = width(refinerBigG)
        } else {
            throw .missingComponent(path: path, component: .textEncoder2, expectedKey: bigG, found: summary(of: shapes))
        }
        let unetKey = "model.diffusion_model.input_blocks.0.0.weight"
        guard let convIn = shapes[unetKey] else {
            throw .missingComponent(path: path, component: .unet, expectedKey: unetKey, found: summary(of: shapes))
        }
        guard convIn.count == 4, convIn[1] == 4 else {
            throw .unsupportedArchitecture(path: path, architecture: "SDXL UNet with \(convIn.count == 4 ? convIn[1] : -1) input channels",
                                           evidence: "'\(unetKey)' of shape \(convIn)")
        }
        for side in ["encoder", "decoder"] {
            let key = "first_stage_model.\(side).conv_in.weight"
            guard shapes[key] != nil else {
                throw .missingComponent(path: path, component: .vae, expectedKey: key, found: summary(of: shapes))
            }
        }
        let labelKey = "model.diffusion_model.label_emb.0.0.weight"
        guard shapes[labelKey] != nil else {
            throw .missingTensor(path: path, key: labelKey, component: .unet, componentKey: "add_embedding.linear_1.weight")
        }
        let crossAttention = shapes.keys
            .filter { $0.hasPrefix("model.diffusion_model.") && $0.hasSuffix(".attn2.to_k.weight") }
            .min()
        if let crossAttention, let shape = shapes[crossAttention], shape.count == 2, shape[1] != contextWidth {
            throw .inconsistentCheckpoint(path: path, reason: "the UNet's cross-attention '\(crossAttention)' takes \(shape[1]) "
                + "channels but the \(family) text encoders give \(contextWidth.map(String.init) ?? "?")")
        }
        return family
    }

    /// Refuses the model families found in the same kind of file, by the keys that identify them
    /// (with `xl`, the keys SDXL itself has are allowed).
    private static func refuseOtherArchitectures(_ shapes: [String: [Int]], path: String, xl: Bool = false) throws(SingleFileError) {
        let xlMarkers: [(prefix: String, architecture: String)] = xl ? [] : [
            ("model.diffusion_model.label_emb.", "class-conditioned (unCLIP / upscaler)"),
        ]
        let markers: [(prefix: String, architecture: String)] = xlMarkers + [
            ("model.diffusion_model.joint_blocks.", "Stable Diffusion 3"),
            ("joint_blocks.", "Stable Diffusion 3"),
            ("model.diffusion_model.double_blocks.", "Flux"),
            ("double_blocks.", "Flux"),
            ("control_model.", "ControlNet"),
            ("down_blocks.", "diffusers-format (load the model folder instead)"),
            ("text_model.", "transformers-format text encoder (load the model folder instead)"),
        ]
        let sorted = shapes.keys.sorted()
        for marker in markers {
            if let key = sorted.first(where: { $0.hasPrefix(marker.prefix) }) {
                throw .unsupportedArchitecture(path: path, architecture: marker.architecture, evidence: "'\(key)'")
            }
        }
    }

    /// "model.diffusion_model (686 tensors), first_stage_model (248), …": the file's top-level groups.
    static func summary(of shapes: [String: [Int]]) -> String {
        guard !shapes.isEmpty else { return "no tensors" }
        var groups: [String: Int] = [:]
        for key in shapes.keys {
            let parts = key.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            let group = parts.count > 2 ? "\(parts[0]).\(parts[1])" : String(parts[0])
            groups[group, default: 0] += 1
        }
        let ordered = groups.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let shown = ordered.prefix(8).map { "\($0.key) (\($0.value) tensor\($0.value == 1 ? "" : "s"))" }
        return shown.joined(separator: ", ") + (ordered.count > 8 ? ", and \(ordered.count - 8) more groups" : "")
    }
}
