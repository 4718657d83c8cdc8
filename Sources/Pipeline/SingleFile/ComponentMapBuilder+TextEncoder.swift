extension ComponentMapBuilder {
    /// SD 1.x: OpenAI CLIP as saved by transformers (`cond_stage_model.transformer.text_model.…`); the
    /// names below the prefix are transformers' own (`convert_ldm_clip_checkpoint` only strips the
    /// prefix).
    mutating func addCLIP(_ layout: SingleFileLayout.TextEncoderLayout) throws(SingleFileError) {
        try map("embeddings.token_embedding.weight", to: "embeddings.token_embedding.weight")
        try map("embeddings.position_embedding.weight", to: "embeddings.position_embedding.weight")
        for index in 0..<layout.layerCount {
            let layer = "encoder.layers.\(index)"
            for module in ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                           "layer_norm1", "mlp.fc1", "mlp.fc2", "layer_norm2"] {
                try mapParameters("\(layer).\(module)", to: "\(layer).\(module)")
            }
        }
        try mapParameters("final_layer_norm", to: "final_layer_norm")
    }

    /// SD 2.x: OpenCLIP (`cond_stage_model.model.…`) → transformers CLIP names, splitting the fused
    /// `attn.in_proj_weight` / `in_proj_bias` (rows q, k, v in that order) into `q_proj`, `k_proj`,
    /// `v_proj` (`convert_open_clip_checkpoint`).
    /// With `projection` (SDXL's ViT-bigG, `CLIPTextModelWithProjection`), OpenCLIP's `text_projection`
    /// becomes `text_projection.weight`, transposed, outside the text model's prefix.
    mutating func addOpenCLIP(_ layout: SingleFileLayout.TextEncoderLayout, projection: Bool = false) throws(SingleFileError) {
        if projection { try mapTransposed("text_projection", toComponentName: "text_projection.weight") }
        try map("token_embedding.weight", to: "embeddings.token_embedding.weight")
        try map("positional_embedding", to: "embeddings.position_embedding.weight")
        for index in 0..<layout.layerCount {
            let source = "transformer.resblocks.\(index)", target = "encoder.layers.\(index)"
            for (part, projection) in ["q_proj", "k_proj", "v_proj"].enumerated() {
                try mapRows("\(source).attn.in_proj_weight", part: part, of: 3, to: "\(target).self_attn.\(projection).weight")
                try mapRows("\(source).attn.in_proj_bias", part: part, of: 3, to: "\(target).self_attn.\(projection).bias")
            }
            try mapParameters("\(source).attn.out_proj", to: "\(target).self_attn.out_proj")
            try mapParameters("\(source).ln_1", to: "\(target).layer_norm1")
            try mapParameters("\(source).mlp.c_fc", to: "\(target).mlp.fc1")
            try mapParameters("\(source).mlp.c_proj", to: "\(target).mlp.fc2")
            try mapParameters("\(source).ln_2", to: "\(target).layer_norm2")
        }
        try mapParameters("ln_final", to: "final_layer_norm")
    }
}
