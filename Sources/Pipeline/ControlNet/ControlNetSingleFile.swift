import Foundation
import TensorModule
import UNet

/// A ControlNet in the original single-file layout (lllyasviel's `control_v11p_sd15_canny.safetensors`
/// and the like): keys under `control_model.` (or with no prefix, as some SD 2.x ControlNets are
/// shared) — `time_embed`, `input_blocks`, `middle_block` as in the LDM UNet, `input_hint_block.N` (the
/// conditioning embedding, convolutions at even indices), `zero_convs.N.0` and `middle_block_out.0`.
/// Read in place like the checkpoints of ``SingleFileCheckpoint``: fp16 stays 16-bit.
///
/// The file holds no configuration: the encoder's structure is the base UNet's (a ControlNet can
/// only guide the architecture it was trained on), the conditioning embedding's widths are read from
/// the `input_hint_block` shapes. diffusers' `ControlNetModel.from_single_file(file, config=…)` maps
/// the keys the same way (`convert_controlnet_checkpoint`).
enum ControlNetSingleFile {
    /// Loads the ControlNet in `path` for a base UNet of architecture `base`.
    static func load(path: String, base: UNetConfiguration) throws(PipelineError) -> ControlNetModel {
        guard let format = CheckpointFileFormat.sniff(path: path) else { throw .singleFile(.fileNotFound(path: path)) }
        if format == .pickle { throw .singleFile(.pickleCheckpoint(path: path)) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw .singleFile(.unreadableFile(path: path, underlying: error)) }
        let shapes = file.entries.mapValues(\.shape)
        let prefix: String
        if shapes["control_model.time_embed.0.weight"] != nil {
            prefix = "control_model."
        } else if shapes["time_embed.0.weight"] != nil {
            prefix = ""
        } else {
            throw .singleFile(.missingComponent(path: path, component: .controlNet, expectedKey: "control_model.time_embed.0.weight",
                                                found: SingleFileFamily.summary(of: shapes)))
        }
        if let key = shapes.keys.sorted().first(where: { $0.hasPrefix(prefix + "label_emb.") }) {
            throw .incompatibleControlNet(name: path, reason: "it is an SDXL ControlNet (it has '\(key)'); only SD 1.x/2.x ControlNets are supported")
        }
        let configuration = try configuration(shapes: shapes, prefix: prefix, base: base, path: path)
        let layers = configuration.unet.layersPerBlock
        guard let perBlock = layers.first, layers.allSatisfy({ $0 == perBlock }) else {
            throw .singleFile(.invalidConfig(path: path, key: "layers_per_block",
                                             reason: "per-block counts \(layers) are not supported in single-file checkpoints"))
        }
        let unet = configuration.unet
        let layout = SingleFileLayout.UNetLayout(
            downBlocks: unet.downBlockTypes.map { $0 == .crossAttention ? .crossAttention : .plain },
            upBlocks: unet.upBlockTypes.map { $0 == .crossAttention ? .crossAttention : .plain },
            layersPerBlock: perBlock, transformerLayersPerBlock: unet.transformerLayersPerBlock,
            useLinearProjection: unet.useLinearProjection)
        var builder = ComponentMapBuilder(component: .controlNet, shapes: shapes, path: path, sourcePrefix: prefix, targetPrefix: "")
        do {
            try builder.addUNetEncoder(layout)
            let hint = hintIndices(shapes, prefix: prefix)
            try builder.mapParameters("input_hint_block.\(hint[0])", to: "controlnet_cond_embedding.conv_in")
            for (block, index) in hint.dropFirst().dropLast().enumerated() {
                try builder.mapParameters("input_hint_block.\(index)", to: "controlnet_cond_embedding.blocks.\(block)")
            }
            try builder.mapParameters("input_hint_block.\(hint[hint.count - 1])", to: "controlnet_cond_embedding.conv_out")
            for index in 0..<configuration.residualCount {
                try builder.mapParameters("zero_convs.\(index).0", to: "controlnet_down_blocks.\(index)")
            }
            try builder.mapParameters("middle_block_out.0", to: "controlnet_mid_block")
        } catch {
            throw .singleFile(error)
        }
        let unused = shapes.keys.filter { !builder.usedKeys.contains($0) }.sorted()
        guard unused.isEmpty else { throw .singleFile(.unexpectedTensors(path: path, keys: unused)) }
        for source in builder.entries.values {
            if let entry = file.entries[source.checkpointKey], !entry.dtype.isReadableAsFloat {
                throw .singleFile(.unsupportedDType(path: path, key: source.checkpointKey, dtype: entry.dtype.rawValue))
            }
        }
        let weights = SingleFileWeightSource(component: .controlNet, file: file, sources: builder.entries)
        do { return try ControlNetModel(configuration: configuration, source: weights) } catch { throw .unet(error) }
    }

    /// The indices of the conditioning embedding's convolutions (`input_hint_block.N.weight`; the
    /// SiLUs between them have no tensors), ascending.
    private static func hintIndices(_ shapes: [String: [Int]], prefix: String) -> [Int] {
        let start = prefix + "input_hint_block."
        return Set(shapes.keys.compactMap { key -> Int? in
            guard key.hasPrefix(start), key.hasSuffix(".weight") else { return nil }
            return Int(key.dropFirst(start.count).dropLast(".weight".count))
        }).sorted()
    }

    /// The base's encoder with the file's input channels and conditioning embedding; a file made for
    /// another text width (SD 2.x on SD 1.x) is refused before any shape error.
    private static func configuration(shapes: [String: [Int]], prefix: String, base: UNetConfiguration,
                                      path: String) throws(PipelineError) -> ControlNetConfiguration {
        if let key = shapes.keys.sorted().first(where: { $0.hasPrefix(prefix) && $0.hasSuffix("attn2.to_k.weight") }),
           let width = shapes[key]?.last, width != base.crossAttentionDim {
            throw .incompatibleControlNet(
                name: path, reason: "it reads \(width)-wide text embeddings (\(ControlNetCompatibility.familyName(crossAttentionWidth: width))) "
                    + "and this model's are \(base.crossAttentionDim) wide (\(ControlNetCompatibility.familyName(crossAttentionWidth: base.crossAttentionDim)))")
        }
        let hint = hintIndices(shapes, prefix: prefix)
        guard hint.count >= 2, hint.count % 2 == 0, let first = shapes["\(prefix)input_hint_block.\(hint[0]).weight"], first.count == 4 else {
            throw .singleFile(.missingTensor(path: path, key: prefix + "input_hint_block.0.weight", component: .controlNet,
                                             componentKey: "controlnet_cond_embedding.conv_in.weight"))
        }
        // conv_in, then (same-width, stride-2) pairs, then conv_out: the widths are conv_in's output
        // and each stride-2 convolution's.
        var widths = [first[0]]
        for pair in stride(from: 2, to: hint.count - 1, by: 2) {
            widths.append(shapes["\(prefix)input_hint_block.\(hint[pair]).weight"]?.first ?? 0)
        }
        var encoder = base
        encoder.inChannels = shapes["\(prefix)input_blocks.0.0.weight"].flatMap { $0.count == 4 ? $0[1] : nil } ?? base.inChannels
        let configuration = ControlNetConfiguration(unet: encoder, conditioningChannels: first[1], conditioningEmbeddingChannels: widths)
        do { try configuration.validate() } catch { throw .unet(error) }
        return configuration
    }
}
