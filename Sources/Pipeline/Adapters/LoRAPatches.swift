import TensorModule

/// Several LoRAs resolved against a pipeline's models: the low-rank updates for each touched
/// weight (deltas of several LoRAs on one layer sum, as diffusers' `set_adapters` does), and the
/// modules that named no layer.
struct LoRAPatches {
    /// Updates by model and weight name.
    private(set) var updates: [AdapterTarget: [String: [LowRankUpdate]]] = [:]
    /// Per LoRA (by name), the keys of modules that named no layer of the model.
    private(set) var skipped: [(lora: String, keys: [String])] = []

    /// Resolves every module of every LoRA, all or nothing.
    ///
    /// - Parameters:
    ///   - loras: The LoRAs with their scales.
    ///   - indices: The layers of each model the pipeline has.
    /// - Throws: ``AdapterError/shapeMismatch(path:key:layer:expected:actual:)`` for the first
    ///   module that names a layer it does not fit; ``AdapterError/noMatchingLayers(path:key:expected:)``
    ///   for a LoRA none of whose modules names a layer.
    init(loras: [LoRA], indices: [AdapterTarget: LayerIndex]) throws(AdapterError) {
        for lora in loras {
            var unmatched: [String] = []
            var matched = 0
            for module in lora.modules {
                guard let index = indices[module.target], let weight = index.weightName(for: module),
                      let shape = index.shapes[weight] else {
                    unmatched.append(module.key)
                    continue
                }
                let update = try Self.update(module, scale: lora.scale, weight: weight, shape: shape, path: lora.path)
                updates[module.target, default: [:]][weight, default: []].append(update)
                matched += 1
            }
            if matched == 0, let first = lora.modules.first {
                let expected = indices[first.target]?.exampleNames ?? "layers of a \(first.target.displayName), which this model does not have"
                throw .noMatchingLayers(path: lora.path, key: first.key, expected: expected)
            }
            if !unmatched.isEmpty { skipped.append((lora.name, unmatched)) }
        }
    }

    /// The update of one module, after checking that its factors fit the weight: `up` `[out, r]`
    /// with the weight's `out`, `down` `[r, …]` with the weight's elements per output row (a
    /// linear LoRA fits a 1×1 convolution and the other way round, as diffusers' `proj_in` /
    /// `proj_out` LoRAs need).
    static func update(_ module: LoRA.Module, scale: Float, weight: String, shape: [Int], path: String) throws(AdapterError) -> LowRankUpdate {
        let rank = module.rank
        let inner = shape.dropFirst().reduce(1, *)
        let downInner = module.down.shape.dropFirst().reduce(1, *)
        let kernelFits: Bool
        switch (shape.count, module.down.rank) {
        case (4, 4): kernelFits = Array(module.down.shape.dropFirst()) == Array(shape.dropFirst())
        case (4, 2): kernelFits = shape[2] == 1 && shape[3] == 1
        case (2, 4): kernelFits = module.down.shape[2] == 1 && module.down.shape[3] == 1
        default: kernelFits = true
        }
        let expectedDown = shape.count == 4 ? "[r, \(shape[1]), \(shape[2]), \(shape[3])]" : "[r, \(shape[1])]"
        guard kernelFits, downInner == inner else {
            throw .shapeMismatch(path: path, key: module.key, layer: weight,
                                 expected: "a down factor \(expectedDown) for weight \(shape)", actual: module.down.shape)
        }
        guard module.up.shape[0] == shape[0] else {
            throw .shapeMismatch(path: path, key: module.upKey, layer: weight,
                                 expected: "an up factor [\(shape[0]), r] for weight \(shape)", actual: module.up.shape)
        }
        do {
            return try LowRankUpdate(up: module.up.reshaped([shape[0], rank]), down: module.down.reshaped([rank, inner]),
                                     scale: scale * module.alphaScale)
        } catch {
            throw .invalidTensor(path: path, key: module.key, shape: module.down.shape, reason: error.description)
        }
    }
}
