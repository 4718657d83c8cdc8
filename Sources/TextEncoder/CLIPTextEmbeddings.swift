import Layers

/// transformers' `CLIPTextEmbeddings`: token embedding plus learned absolute position embedding.
/// Checkpoint keys: `token_embedding.weight` `[vocab, width]`, `position_embedding.weight` `[positions, width]`.
/// Positions are always `0..<length` (the `position_ids` buffer is not read).
struct CLIPTextEmbeddings: Sendable {
    let tokenEmbedding: Tensor
    let positionEmbedding: Tensor

    init(weights: WeightReader, configuration: CLIPTextConfiguration) throws(TensorError) {
        let width = configuration.hiddenSize
        tokenEmbedding = try weights.tensor("token_embedding.weight", shape: [configuration.vocabularySize, width])
        positionEmbedding = try weights.tensor("position_embedding.weight", shape: [configuration.maximumPositions, width])
    }

    /// `[windows, length, width]` for ids already checked to lie in the vocabulary and windows of
    /// equal length no longer than the positions.
    func callAsFunction(_ tokenIDs: [[Int]]) -> Tensor {
        let width = tokenEmbedding.shape[1]
        let length = tokenIDs.first?.count ?? 0
        return Tensor(shape: [tokenIDs.count, length, width]) { out in
            tokenEmbedding.withUnsafeBufferPointer { tokens in
                positionEmbedding.withUnsafeBufferPointer { positions in
                    for (window, ids) in tokenIDs.enumerated() {
                        for (position, id) in ids.enumerated() {
                            let row = (window * length + position) * width
                            let token = id * width, place = position * width
                            for c in 0..<width { out[row + c] = tokens[token + c] + positions[place + c] }
                        }
                    }
                }
            }
        }
    }
}
