import Foundation
import Layers

extension CLIPTextModel {
    /// The prefix published SD 1.x / 2.x checkpoints (saved by transformers before version 5) put before
    /// every tensor name; files saved by transformers 5's `CLIPTextModel` have none.
    public static let legacyPrefix = "text_model"

    /// Loads the model strictly from any weight source: every tensor must exist with its shape, and a
    /// tensor the model does not use is an error.
    ///
    /// Both layouts load: tensors named `text_model.embeddings.…` (published checkpoints) or
    /// `embeddings.…` (transformers 5). The one tensor accepted without being used is the int64
    /// `embeddings.position_ids` buffer older transformers saved (it must be `[1, max_position_embeddings]`).
    /// For `CLIPTextModelWithProjection`, `text_projection.weight` is loaded as the projection head.
    ///
    /// - Parameters:
    ///   - configuration: The model's shape.
    ///   - weightSource: The tensors (a safetensors file, a dictionary, or random weights for benchmarks).
    /// - Throws: ``TextEncoderError/invalidConfiguration(key:value:reason:path:)`` for a bad configuration,
    ///   ``TextEncoderError/weights(_:)`` naming a missing, misshapen or unused tensor.
    public init(configuration: CLIPTextConfiguration, weightSource: any WeightSource) throws(TextEncoderError) {
        try configuration.validate()
        let loader = WeightLoader(source: weightSource)
        // Any `text_model.` name selects the published layout, so that a missing tensor is reported under the
        // name the file would have used.
        let hasLegacyPrefix = configuration.hasProjectionHead
            || (weightSource.tensorNames?.contains { $0.hasPrefix("\(Self.legacyPrefix).") } ?? false)
        let root = loader.reader(prefix: hasLegacyPrefix ? Self.legacyPrefix : "")
        if weightSource.tensorNames != nil {
            try Self.acceptUnusedBuffer(root.key("embeddings.position_ids"), shape: [1, configuration.maximumPositions],
                                        required: false, loader: loader)
        }
        try self.init(configuration: configuration, weights: root,
                      projection: configuration.hasProjectionHead ? loader.reader(prefix: "text_projection") : nil)
        do { try loader.finish() } catch { throw .weights(error) }
    }

    /// Loads `config.json` and the weights of a transformers text-encoder folder (a pipeline's `text_encoder/`).
    ///
    /// - Parameters:
    ///   - folder: The folder.
    ///   - variant: The weight file variant: nil reads `model.safetensors`, or `model.fp16.safetensors` when
    ///     only that exists; `"fp16"` reads `model.fp16.safetensors` (diffusers' `variant="fp16"`).
    ///     fp16 and bf16 tensors are widened to Float32.
    /// - Throws: ``TextEncoderError/fileNotFound(folder:tried:)``, the configuration errors of
    ///   ``CLIPTextConfiguration/init(contentsOf:)``, and the weight errors of ``init(configuration:weightSource:)``.
    public init(folder: URL, variant: String? = nil) throws(TextEncoderError) {
        let (configuration, source) = try Self.folderContents(folder, variant: variant)
        try self.init(configuration: configuration, weightSource: source)
    }

    /// The configuration and the opened weight file of a text-encoder folder, for callers that build
    /// the model from the source themselves (the pipeline keeps it to rebuild the encoder with LoRAs
    /// and embeddings).
    ///
    /// - Parameters:
    ///   - folder: The folder.
    ///   - variant: The weight file variant, as for ``init(folder:variant:)``.
    /// - Throws: The configuration and file errors of ``init(folder:variant:)``.
    public static func folderContents(_ folder: URL, variant: String? = nil) throws(TextEncoderError)
        -> (configuration: CLIPTextConfiguration, source: SafetensorsWeightSource) {
        let configurationURL = folder.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configurationURL.path) else {
            throw .fileNotFound(folder: folder.path, tried: ["config.json"])
        }
        let configuration = try CLIPTextConfiguration(contentsOf: configurationURL)
        guard let file = WeightFile.locate(in: folder, baseName: "model", variant: variant) else {
            throw .fileNotFound(folder: folder.path, tried: WeightFile.candidates(baseName: "model", variant: variant))
        }
        let source: SafetensorsWeightSource
        do { source = try SafetensorsWeightSource(path: file.path) } catch { throw .weights(error) }
        return (configuration, source)
    }

    /// Marks a tensor the model does not compute with as used, after checking its shape (without reading
    /// it: `position_ids` is int64, which the tensor reader does not widen).
    private static func acceptUnusedBuffer(_ key: String, shape expected: [Int], required: Bool,
                                           loader: WeightLoader) throws(TextEncoderError) {
        let source = loader.source
        guard let actual = source.shape(of: key) else {
            if required { throw .weights(.missingWeight(key: key, source: source.sourceDescription)) }
            return
        }
        guard actual == expected else {
            throw .weights(.weightShapeMismatch(key: key, expected: expected, actual: actual,
                                                source: source.sourceDescription))
        }
        loader.markUsed(key)
    }
}
