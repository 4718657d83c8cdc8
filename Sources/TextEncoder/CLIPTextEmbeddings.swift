import Layers

/// transformers' `CLIPTextEmbeddings`: token embedding plus learned absolute position embedding.
/// Checkpoint keys: `token_embedding.weight` `[vocab, width]`, `position_embedding.weight` `[positions, width]`.
/// Positions are always `0..<length` (the `position_ids` buffer is not read).
struct CLIPTextEmbeddings: Sendable {
    /// Kept as stored (an fp16 file's table stays 16-bit and mapped): a prompt reads only its own
    /// rows, so widening the whole table at load would hold 152 MB (SD) or 253 MB (SDXL's second
    /// encoder) of float32 that no lookup needs.
    let tokenEmbedding: StoredTensor
    let positionEmbedding: Tensor

    init(weights: WeightReader, configuration: CLIPTextConfiguration) throws(TensorError) {
        let width = configuration.hiddenSize
        tokenEmbedding = try weights.storedTensor("token_embedding.weight", shape: [configuration.vocabularySize, width])
        positionEmbedding = try weights.tensor("position_embedding.weight", shape: [configuration.maximumPositions, width])
    }

    /// `[windows, length, width]` for ids already checked to lie in the vocabulary and windows of
    /// equal length no longer than the positions.
    func callAsFunction(_ tokenIDs: [[Int]]) -> Tensor {
        let width = tokenEmbedding.shape[1]
        let length = tokenIDs.first?.count ?? 0
        return Tensor(shape: [tokenIDs.count, length, width]) { out in
            positionEmbedding.withUnsafeBufferPointer { positions in
                for (window, ids) in tokenIDs.enumerated() {
                    for (position, id) in ids.enumerated() {
                        let row = (window * length + position) * width, place = position * width
                        tokenEmbedding.writeFloat32(row: id, into: out.baseAddress! + row)
                        for c in 0..<width { out[row + c] += positions[place + c] }
                    }
                }
            }
        }
    }
}
