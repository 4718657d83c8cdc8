extension ComponentMapBuilder {
    /// The LDM autoencoder (`ldm.modules.diffusionmodules.model.Encoder` / `Decoder`) → diffusers
    /// `AutoencoderKL` map.
    ///
    /// The encoder's `down.N.block.M` are diffusers' `down_blocks.N.resnets.M`; the decoder's `up.N` are
    /// numbered from the lowest resolution up, the reverse of diffusers' `up_blocks`, so LDM `up.N` is
    /// diffusers `up_blocks.(count − 1 − N)`. `norm_out` is `conv_norm_out`, `nin_shortcut` is
    /// `conv_shortcut`, and the mid-block attention's 1×1 convolutions `q`, `k`, `v`, `proj_out`
    /// (`[C, C, 1, 1]`) become the linear `to_q`, `to_k`, `to_v`, `to_out.0` (`[C, C]`).
    mutating func addVAE(_ layout: SingleFileLayout.VAELayout) throws(SingleFileError) {
        let blocks = layout.blockCount, layers = layout.layersPerBlock
        for side in ["encoder", "decoder"] {
            try mapParameters("\(side).conv_in", to: "\(side).conv_in")
            try addVAEResnet("\(side).mid.block_1", to: "\(side).mid_block.resnets.0")
            if layout.midBlockHasAttention {
                try addVAEAttention("\(side).mid.attn_1", to: "\(side).mid_block.attentions.0")
            }
            try addVAEResnet("\(side).mid.block_2", to: "\(side).mid_block.resnets.1")
            try mapParameters("\(side).norm_out", to: "\(side).conv_norm_out")
            try mapParameters("\(side).conv_out", to: "\(side).conv_out")
        }
        try mapParameters("quant_conv", to: "quant_conv")
        try mapParameters("post_quant_conv", to: "post_quant_conv")
        for block in 0..<blocks {
            for layer in 0..<layers {
                try addVAEResnet("encoder.down.\(block).block.\(layer)", to: "encoder.down_blocks.\(block).resnets.\(layer)")
            }
            if block != blocks - 1 {
                try mapParameters("encoder.down.\(block).downsample.conv", to: "encoder.down_blocks.\(block).downsamplers.0.conv")
            }
        }
        for block in 0..<blocks {
            let ldm = blocks - 1 - block
            for layer in 0...layers {
                try addVAEResnet("decoder.up.\(ldm).block.\(layer)", to: "decoder.up_blocks.\(block).resnets.\(layer)")
            }
            if block != blocks - 1 {
                try mapParameters("decoder.up.\(ldm).upsample.conv", to: "decoder.up_blocks.\(block).upsamplers.0.conv")
            }
        }
    }

    /// LDM `ResnetBlock` → diffusers `ResnetBlock2D` (no time embedding). The shortcut exists when the
    /// widths differ.
    private mutating func addVAEResnet(_ source: String, to target: String) throws(SingleFileError) {
        for name in ["norm1", "conv1", "norm2", "conv2"] { try mapParameters("\(source).\(name)", to: "\(target).\(name)") }
        let conv1 = try shape("\(source).conv1.weight", for: "\(target).conv1.weight")
        let conv2 = try shape("\(source).conv2.weight", for: "\(target).conv2.weight")
        if conv1.count == 4, conv2.count == 4, conv1[1] != conv2[0] {
            try mapParameters("\(source).nin_shortcut", to: "\(target).conv_shortcut")
        }
    }

    /// LDM `AttnBlock` → diffusers `Attention` with a group norm.
    private mutating func addVAEAttention(_ source: String, to target: String) throws(SingleFileError) {
        try mapParameters("\(source).norm", to: "\(target).group_norm")
        for (ldm, diffusers) in [("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("proj_out", "to_out.0")] {
            try mapProjection("\(source).\(ldm).weight", to: "\(target).\(diffusers).weight", linear: true)
            try map("\(source).\(ldm).bias", to: "\(target).\(diffusers).bias")
        }
    }
}
