extension UNetConfiguration {
    /// Checks that the configuration describes a buildable model: list lengths match the number of
    /// levels, and channel counts are positive and divisible by the group and head counts. (Skip
    /// connections then always line up: up block `i` consumes exactly the skips of down level
    /// `levels − 1 − i` plus the previous level's downsample.)
    ///
    /// - Throws: ``UNetError/invalidConfiguration(key:value:expected:)`` naming the first bad key.
    public func validate() throws(UNetError) {
        let levels = blockOutChannels.count
        guard levels >= 1 else {
            throw .invalidConfiguration(key: "block_out_channels", value: "\(blockOutChannels)", expected: "at least one level")
        }
        try requirePositive(blockOutChannels, key: "block_out_channels")
        try requireCount(downBlockTypes.count, key: "down_block_types", levels: levels)
        try requireCount(upBlockTypes.count, key: "up_block_types", levels: levels)
        try requireCount(layersPerBlock.count, key: "layers_per_block", levels: levels)
        try requireCount(transformerLayersPerBlock.count, key: "transformer_layers_per_block", levels: levels)
        try requireCount(attentionHeads.count, key: "attention_head_dim", levels: levels)
        try requirePositive(layersPerBlock, key: "layers_per_block")
        try requirePositive(transformerLayersPerBlock, key: "transformer_layers_per_block")
        try requirePositive(attentionHeads, key: "attention_head_dim")
        try requirePositive([inChannels], key: "in_channels")
        try requirePositive([outChannels], key: "out_channels")
        try requirePositive([crossAttentionDim], key: "cross_attention_dim")
        try requirePositive([normNumGroups], key: "norm_num_groups")
        if let timeEmbeddingDim { try requirePositive([timeEmbeddingDim], key: "time_embedding_dim") }
        if let sampleSize { try requirePositive([sampleSize], key: "sample_size") }
        guard normEpsilon > 0, normEpsilon.isFinite else {
            throw .invalidConfiguration(key: "norm_eps", value: "\(normEpsilon)", expected: "a positive finite number")
        }
        guard freqShift.isFinite, Double(blockOutChannels[0] / 2) != freqShift else {
            throw .invalidConfiguration(key: "freq_shift", value: "\(freqShift)",
                                        expected: "a finite number other than half of block_out_channels[0]")
        }
        for (key, kernel) in [("conv_in_kernel", convInKernel), ("conv_out_kernel", convOutKernel)]
        where kernel < 1 || kernel % 2 == 0 {
            throw .invalidConfiguration(key: key, value: "\(kernel)", expected: "a positive odd kernel size")
        }
        guard downsamplePadding >= 0 else {
            throw .invalidConfiguration(key: "downsample_padding", value: "\(downsamplePadding)", expected: "0 or more")
        }
        try validateGroupsAndHeads()
        try validateAdditionEmbedding()
    }

    /// `text_time` needs both of its widths, and the input width must leave room for at least one time id.
    private func validateAdditionEmbedding() throws(UNetError) {
        guard additionEmbedType == .textTime else { return }
        guard let timeWidth = additionTimeEmbedDim, timeWidth > 0 else {
            throw .invalidConfiguration(key: "addition_time_embed_dim", value: additionTimeEmbedDim.map { "\($0)" } ?? "null",
                                        expected: "a positive width (addition_embed_type is \"text_time\")")
        }
        guard let inputWidth = projectionClassEmbeddingsInputDim, inputWidth > timeWidth else {
            throw .invalidConfiguration(key: "projection_class_embeddings_input_dim",
                                        value: projectionClassEmbeddingsInputDim.map { "\($0)" } ?? "null",
                                        expected: "the pooled text width plus addition_time_embed_dim per time id (addition_embed_type is \"text_time\")")
        }
    }

    /// Every group norm's channel count must be divisible by `norm_num_groups`, and every
    /// transformer's width by its head count.
    private func validateGroupsAndHeads() throws(UNetError) {
        var normalized = Set(blockOutChannels)
        for level in 0..<levels { for resnet in upResnetChannels(level) { normalized.insert(resnet.input) } }
        for channels in normalized.sorted() where channels % normNumGroups != 0 {
            throw .invalidConfiguration(key: "norm_num_groups", value: "\(normNumGroups)",
                                        expected: "a divisor of every group-normalised channel count (\(channels) is not divisible)")
        }
        let reversedHeads = Array(attentionHeads.reversed()), reversedChannels = Array(blockOutChannels.reversed())
        var transformers: [(channels: Int, heads: Int)] = [(blockOutChannels[levels - 1], attentionHeads[levels - 1])]
        for level in 0..<levels where downBlockTypes[level] == .crossAttention {
            transformers.append((blockOutChannels[level], attentionHeads[level]))
        }
        for level in 0..<levels where upBlockTypes[level] == .crossAttention {
            transformers.append((reversedChannels[level], reversedHeads[level]))
        }
        for transformer in transformers where transformer.channels % transformer.heads != 0 {
            throw .invalidConfiguration(key: "attention_head_dim", value: "\(attentionHeads)",
                                        expected: "head counts dividing their level's channels (\(transformer.channels) channels, \(transformer.heads) heads)")
        }
    }

    /// Channels of each resnet of up block `level` (coarsest first), as diffusers builds them: the
    /// resnet's input is the previous output concatenated with a skip.
    func upResnetChannels(_ level: Int) -> [(input: Int, output: Int)] {
        let reversed = Array(blockOutChannels.reversed())
        let output = reversed[level]
        let previous = reversed[max(level - 1, 0)]
        let skipOfLast = reversed[min(level + 1, reversed.count - 1)]
        let count = layersPerBlock[layersPerBlock.count - 1 - level] + 1
        return (0..<count).map { index in
            let skip = index == count - 1 ? skipOfLast : output
            return ((index == 0 ? previous : output) + skip, output)
        }
    }

    private func requireCount(_ count: Int, key: String, levels: Int) throws(UNetError) {
        guard count == levels else {
            throw .invalidConfiguration(key: key, value: "\(count) entries",
                                        expected: "one per level (\(levels), as block_out_channels)")
        }
    }

    private func requirePositive(_ values: [Int], key: String) throws(UNetError) {
        guard values.allSatisfy({ $0 > 0 }) else {
            throw .invalidConfiguration(key: key, value: values.count == 1 ? "\(values[0])" : "\(values)", expected: "positive values")
        }
    }
}
