extension ComponentMapBuilder {
    /// The LDM UNet (`openaimodel.UNetModel`) → diffusers `UNet2DConditionModel` map.
    ///
    /// LDM numbers its blocks flat: `input_blocks.0` is `conv_in`; then for each down block, one
    /// `input_blocks.N` per layer (`.0` the resnet, `.1` the transformer when the block has
    /// attention) and one for the downsampler (`.0.op`) except after the last block;
    /// `middle_block.0/1/2` are resnet, transformer, resnet; `output_blocks.N` run over the up blocks
    /// with one more layer each, the upsampler (`.conv`) sitting in the last layer of every up block but
    /// the last, at `.1` or, after a transformer, `.2`.
    mutating func addUNet(_ layout: SingleFileLayout.UNetLayout) throws(SingleFileError) {
        try addUNetEncoder(layout)
        try mapParameters("out.0", to: "conv_norm_out")
        try mapParameters("out.2", to: "conv_out")
        let layers = layout.layersPerBlock
        let depths = layout.transformerLayersPerBlock
        let upDepths = Array(depths.reversed())
        var output = 0
        for (block, kind) in layout.upBlocks.enumerated() {
            for layer in 0...layers {
                try addUNetResnet("output_blocks.\(output).0", to: "up_blocks.\(block).resnets.\(layer)")
                if kind == .crossAttention {
                    try addTransformer("output_blocks.\(output).1", to: "up_blocks.\(block).attentions.\(layer)",
                                       depth: upDepths[block], linear: layout.useLinearProjection)
                }
                if layer == layers, block != layout.upBlocks.count - 1 {
                    let slot = kind == .crossAttention ? 2 : 1
                    try mapParameters("output_blocks.\(output).\(slot).conv", to: "up_blocks.\(block).upsamplers.0.conv")
                }
                output += 1
            }
        }
    }

    /// The encoder half the UNet shares with a ControlNet (`time_embed`, `input_blocks`,
    /// `middle_block`): time embedding, `conv_in`, down blocks, mid block.
    mutating func addUNetEncoder(_ layout: SingleFileLayout.UNetLayout) throws(SingleFileError) {
        try mapParameters("time_embed.0", to: "time_embedding.linear_1")
        try mapParameters("time_embed.2", to: "time_embedding.linear_2")
        if layout.textTimeEmbedding {
            // SDXL's `add_embedding` (pooled text + time ids) is LDM's `label_emb.0` Sequential.
            try mapParameters("label_emb.0.0", to: "add_embedding.linear_1")
            try mapParameters("label_emb.0.2", to: "add_embedding.linear_2")
        }
        try mapParameters("input_blocks.0.0", to: "conv_in")

        let layers = layout.layersPerBlock
        let depths = layout.transformerLayersPerBlock
        var input = 1
        for (block, kind) in layout.downBlocks.enumerated() {
            for layer in 0..<layers {
                try addUNetResnet("input_blocks.\(input).0", to: "down_blocks.\(block).resnets.\(layer)")
                if kind == .crossAttention {
                    try addTransformer("input_blocks.\(input).1", to: "down_blocks.\(block).attentions.\(layer)",
                                       depth: depths[block], linear: layout.useLinearProjection)
                }
                input += 1
            }
            if block != layout.downBlocks.count - 1 {
                try mapParameters("input_blocks.\(input).0.op", to: "down_blocks.\(block).downsamplers.0.conv")
                input += 1
            }
        }

        try addUNetResnet("middle_block.0", to: "mid_block.resnets.0")
        try addTransformer("middle_block.1", to: "mid_block.attentions.0", depth: depths[depths.count - 1],
                           linear: layout.useLinearProjection)
        try addUNetResnet("middle_block.2", to: "mid_block.resnets.1")
    }

    /// LDM `ResBlock` → diffusers `ResnetBlock2D`. The shortcut exists when the input and output widths
    /// differ (as diffusers decides), read from the convolutions' shapes.
    private mutating func addUNetResnet(_ source: String, to target: String) throws(SingleFileError) {
        try mapParameters("\(source).in_layers.0", to: "\(target).norm1")
        try mapParameters("\(source).in_layers.2", to: "\(target).conv1")
        try mapParameters("\(source).emb_layers.1", to: "\(target).time_emb_proj")
        try mapParameters("\(source).out_layers.0", to: "\(target).norm2")
        try mapParameters("\(source).out_layers.3", to: "\(target).conv2")
        let conv1 = try shape("\(source).in_layers.2.weight", for: "\(target).conv1.weight")
        let conv2 = try shape("\(source).out_layers.3.weight", for: "\(target).conv2.weight")
        // Without shapes (discovering names), every resnet may have a shortcut.
        if discovering || (conv1.count == 4 && conv2.count == 4 && conv1[1] != conv2[0]) {
            try mapParameters("\(source).skip_connection", to: "\(target).conv_shortcut")
        }
    }

    /// LDM `SpatialTransformer` → diffusers `Transformer2DModel`: the inner names are the same; the
    /// projections are presented as linear or 1×1 convolution weights as the layout says.
    private mutating func addTransformer(_ source: String, to target: String, depth: Int, linear: Bool) throws(SingleFileError) {
        try mapParameters("\(source).norm", to: "\(target).norm")
        try mapProjection("\(source).proj_in.weight", to: "\(target).proj_in.weight", linear: linear)
        try map("\(source).proj_in.bias", to: "\(target).proj_in.bias")
        for index in 0..<depth {
            let s = "\(source).transformer_blocks.\(index)", t = "\(target).transformer_blocks.\(index)"
            for norm in ["norm1", "norm2", "norm3"] { try mapParameters("\(s).\(norm)", to: "\(t).\(norm)") }
            for attention in ["attn1", "attn2"] {
                for projection in ["to_q", "to_k", "to_v"] {
                    try map("\(s).\(attention).\(projection).weight", to: "\(t).\(attention).\(projection).weight")
                }
                try mapParameters("\(s).\(attention).to_out.0", to: "\(t).\(attention).to_out.0")
            }
            try mapParameters("\(s).ff.net.0.proj", to: "\(t).ff.net.0.proj")
            try mapParameters("\(s).ff.net.2", to: "\(t).ff.net.2")
        }
        try mapProjection("\(source).proj_out.weight", to: "\(target).proj_out.weight", linear: linear)
        try map("\(source).proj_out.bias", to: "\(target).proj_out.bias")
    }
}
