import UNet

extension SingleFileKeyMapping {
    /// The original LDM module names of a UNet's layers (`input_blocks.1.1.proj_in` →
    /// `down_blocks.0.attentions.0.proj_in.weight`), from the same map single-file loading uses, for
    /// kohya LoRA files written against LDM / SGM names (A1111 accepts them; kohya's SDXL files always use
    /// them, `label_emb.0.0` for SDXL's `add_embedding` included). Empty for structures a
    /// single-file checkpoint cannot have.
    ///
    /// - Parameter configuration: The UNet's configuration.
    /// - Returns: LDM module name (no `model.diffusion_model.` prefix) → diffusers weight name.
    static func ldmUNetModules(for configuration: UNetConfiguration) -> [String: String] {
        guard let layers = configuration.layersPerBlock.first, configuration.layersPerBlock.allSatisfy({ $0 == layers }),
              configuration.transformerLayersPerBlock.count == configuration.downBlockTypes.count,
              configuration.downBlockTypes.count == configuration.upBlockTypes.count, !configuration.downBlockTypes.isEmpty
        else { return [:] }
        let layout = SingleFileLayout.UNetLayout(
            downBlocks: configuration.downBlockTypes.map { $0 == .crossAttention ? .crossAttention : .plain },
            upBlocks: configuration.upBlockTypes.map { $0 == .crossAttention ? .crossAttention : .plain },
            layersPerBlock: layers, transformerLayersPerBlock: configuration.transformerLayersPerBlock,
            useLinearProjection: configuration.useLinearProjection,
            textTimeEmbedding: configuration.additionEmbedType == .textTime)
        var builder = ComponentMapBuilder(component: .unet, shapes: [:], path: "", sourcePrefix: "", targetPrefix: "")
        builder.discovering = true
        do { try builder.addUNet(layout) } catch { return [:] }
        var modules: [String: String] = [:]
        for (target, source) in builder.entries where target.hasSuffix(".weight") && source.checkpointKey.hasSuffix(".weight") {
            modules[String(source.checkpointKey.dropLast(".weight".count))] = target
        }
        return modules
    }
}
