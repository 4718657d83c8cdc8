import Foundation
import TensorModule
import VAE

/// A VAE in one `.safetensors` file, as people download replacement VAEs
/// (`vae-ft-mse-840000-ema-pruned.safetensors`), read with no conversion step, as diffusers'
/// `AutoencoderKL.from_single_file` does (`convert_ldm_vae_checkpoint` in `loaders/single_file_utils.py`).
///
/// Layouts recognised from the keys:
/// - the original LDM layout (`encoder.down.0.block.0.norm1.weight`, `decoder.up.3…`, `quant_conv`):
///   mapped by the same code as a full checkpoint's VAE (`ComponentMapBuilder.addVAE`);
/// - the same under `first_stage_model.` (a full SD checkpoint used for its VAE): only those keys are read;
/// - diffusers' names (`decoder.up_blocks.0…`, a `diffusion_pytorch_model.safetensors` on its own).
///
/// A single file carries no configuration: the caller gives one (the base model's `vae/config.json`,
/// or the family's published one), which also fixes `scaling_factor`. Strict: a missing or misshapen
/// tensor, or one no layer uses, is an error naming it; `loss.*` (the training discriminator and
/// LPIPS weights some LDM exports keep) and `model_ema.*` counters are ignored.
enum SingleFileVAE {
    /// Key prefixes of tensors a standalone VAE file may hold that no inference layer uses.
    static let ignorablePrefixes = ["loss.", "model_ema."]

    /// Loads the VAE.
    ///
    /// - Parameters:
    ///   - path: The `.safetensors` file.
    ///   - configuration: The architecture and scaling factor.
    ///   - tiling: Initial tiling option.
    /// - Throws: ``PipelineError/singleFile(_:)`` for pickles, unreadable files, missing, misshapen or
    ///   unexpected tensors; ``PipelineError/vae(_:)`` from the model.
    static func load(path: String, configuration: AutoencoderKLConfiguration, tiling: VAETiling?) throws(PipelineError) -> AutoencoderKL {
        guard let format = CheckpointFileFormat.sniff(path: path) else { throw .singleFile(.fileNotFound(path: path)) }
        if format == .pickle { throw .singleFile(.pickleCheckpoint(path: path)) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw .singleFile(.unreadableFile(path: path, underlying: error)) }
        let shapes = file.entries.mapValues(\.shape)
        let source = try weightSource(file: file, shapes: shapes, configuration: configuration)
        let loader = WeightLoader(source: source)
        return try attributing(to: "VAE") {
            let vae = try AutoencoderKL(configuration: configuration, weights: loader.reader(), tiling: tiling)
            try loader.finish { name in ignorablePrefixes.contains { name.hasPrefix($0) } }
            return vae
        }
    }

    /// The file's tensors under diffusers' names.
    private static func weightSource(file: SafetensorsFile, shapes: [String: [Int]],
                                     configuration: AutoencoderKLConfiguration) throws(PipelineError) -> any WeightSource {
        let path = file.path
        if shapes.keys.contains(where: { $0.hasPrefix("decoder.up_blocks.") || $0.hasPrefix("encoder.down_blocks.") }) {
            do { return try SafetensorsWeightSource(path: path) } catch { throw .singleFile(.unreadableFile(path: path, underlying: error)) }
        }
        let prefix = shapes.keys.contains { $0.hasPrefix("first_stage_model.") } ? "first_stage_model." : ""
        guard shapes.keys.contains(where: { $0.hasPrefix(prefix + "decoder.") }) else {
            let found = shapes.keys.sorted().prefix(3).joined(separator: ", ")
            throw .singleFile(.missingComponent(path: path, component: .vae, expectedKey: prefix + "decoder.conv_in.weight",
                                                found: found.isEmpty ? "no tensors" : found + (shapes.count > 3 ? ", …" : "")))
        }
        var builder = ComponentMapBuilder(component: .vae, shapes: shapes, path: path, sourcePrefix: prefix, targetPrefix: "")
        let layout = SingleFileLayout.VAELayout(blockCount: configuration.blockOutChannels.count,
                                                layersPerBlock: configuration.layersPerBlock,
                                                midBlockHasAttention: configuration.midBlockAddAttention)
        do { try builder.addVAE(layout) } catch { throw .singleFile(error) }
        // With the prefix, the file is a whole checkpoint: its other components are not ours to check.
        let unexpected = shapes.keys.filter { key in
            key.hasPrefix(prefix) && !builder.usedKeys.contains(key)
                && !ignorablePrefixes.contains { key.dropFirst(prefix.count).hasPrefix($0) }
        }
        guard unexpected.isEmpty else { throw .singleFile(.unexpectedTensors(path: path, keys: unexpected.sorted())) }
        for entry in builder.entries.values {
            if let stored = file.entries[entry.checkpointKey], !stored.dtype.isReadableAsFloat {
                throw .singleFile(.unsupportedDType(path: path, key: entry.checkpointKey, dtype: stored.dtype.rawValue))
            }
        }
        return SingleFileWeightSource(component: .vae, file: file, sources: builder.entries)
    }
}
