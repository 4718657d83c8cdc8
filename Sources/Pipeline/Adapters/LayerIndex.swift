import TensorModule

/// The layer weights of one model (UNet or text encoder) that a LoRA module can name, under the
/// diffusers / transformers names the model loads (for a single-file checkpoint, the names after
/// its key mapping), with kohya's underscored spelling of each.
struct LayerIndex {
    let target: AdapterTarget
    /// Weight name → shape, for 2-D (linear) and 4-D (convolution) `….weight` tensors.
    let shapes: [String: [Int]]
    /// kohya's underscored module name (`down_blocks_0_…_to_q`, `text_model_encoder_layers_0_…`) →
    /// weight name.
    let kohyaNames: [String: String]
    /// Prefix of every text-encoder name in this model (`text_model.` or none).
    let textModelPrefix: String

    /// Indexes a model's source.
    ///
    /// - Parameters:
    ///   - source: The model's weights (every name must be listed: `tensorNames` non-nil).
    ///   - target: The model.
    ///   - ldmModules: For the UNet, its layers' original LDM module names (→ weight names), which
    ///     kohya files written for A1111 may use instead of diffusers names.
    init(source: any WeightSource, target: AdapterTarget, ldmModules: [String: String] = [:]) {
        self.target = target
        var shapes: [String: [Int]] = [:]
        var kohya: [String: String] = [:]
        let names = source.tensorNames ?? []
        let prefix = target != .unet && names.contains { $0.hasPrefix("text_model.") } ? "text_model." : ""
        for name in names where name.hasSuffix(".weight") {
            guard let shape = source.shape(of: name), shape.count == 2 || shape.count == 4 else { continue }
            shapes[name] = shape
            var module = String(name.dropLast(".weight".count))
            if target != .unet {
                // kohya always spells the text encoder `text_model_…`, whatever the model's layout.
                if module.hasPrefix("text_model.") { module.removeFirst("text_model.".count) }
                module = "text_model." + module
            }
            kohya[module.replacingOccurrences(of: ".", with: "_")] = name
        }
        // LDM names never collide with diffusers ones (`input_blocks_…` vs `down_blocks_…`); a
        // diffusers name wins if one ever did.
        for (module, name) in ldmModules where shapes[name] != nil {
            let key = module.replacingOccurrences(of: ".", with: "_")
            if kohya[key] == nil { kohya[key] = name }
        }
        self.shapes = shapes
        self.kohyaNames = kohya
        self.textModelPrefix = prefix
    }

    /// The weight a module names, or nil when it names no layer of this model.
    func weightName(for module: LoRA.Module) -> String? {
        if module.isKohyaName { return kohyaNames[module.name] }
        for candidate in candidates(module.name) where shapes[candidate + ".weight"] != nil {
            return candidate + ".weight"
        }
        return nil
    }

    /// Spellings to try for a dotted module path: as written; `to_out` → `to_out.0` (attention
    /// processors' name for the output projection); the text encoder with and without
    /// `text_model.`, and the processor names `to_q`/`to_k`/`to_v`/`to_out` → `q_proj`/…/`out_proj`.
    private func candidates(_ module: String) -> [String] {
        var forms = [module]
        if target == .unet {
            if module.hasSuffix(".to_out") { forms.append(module + ".0") }
            return forms
        }
        for (old, new) in [(".to_q", ".q_proj"), (".to_k", ".k_proj"), (".to_v", ".v_proj"), (".to_out", ".out_proj")]
        where module.hasSuffix(old) {
            forms.append(String(module.dropLast(old.count)) + new)
        }
        return forms.flatMap { form -> [String] in
            let bare = form.hasPrefix("text_model.") ? String(form.dropFirst("text_model.".count)) : form
            return [textModelPrefix + bare]
        }
    }

    /// An example of the names this model's layers go by, for error messages.
    var exampleNames: String {
        switch target {
        case .unet: return "UNet layers such as 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q' or 'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'"
        case .textEncoder: return "text-encoder layers such as 'lora_te_text_model_encoder_layers_0_self_attn_q_proj' or 'text_encoder.text_model.encoder.layers.0.self_attn.q_proj'"
        case .textEncoder2: return "second-text-encoder layers such as 'lora_te2_text_model_encoder_layers_0_self_attn_q_proj' or 'text_encoder_2.text_model.encoder.layers.0.self_attn.q_proj'"
        }
    }
}
