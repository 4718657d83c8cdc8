/// A1111's "Original" emphasis (`sd_emphasis.EmphasisOriginal.after_transformers`): the text encoder's
/// output for one chunk index of a batch of texts is multiplied token by token by the chunks' multipliers,
/// then rescaled so that its mean over every value of the batch (all rows, all 77 positions, all
/// channels: BOS, EOS and padding included) equals the mean before weighting.
enum EmphasisWeighting {
    /// Weights `rows` in place.
    /// - Parameters:
    ///   - values: the encoder output, `[rows, tokens, width]` flattened; only the listed rows are touched.
    ///   - rows: the row indices forming the batch (a prompt's schedule texts at one chunk index).
    ///   - multipliers: per row, one multiplier per token.
    ///   - tokens: tokens per row (77).
    ///   - width: channels per token.
    static func apply(to values: inout [Float], rows: [Int], multipliers: [[Float]], tokens: Int, width: Int) {
        // All-ones multipliers leave the values unchanged (z · 1 · (m / m) = z exactly): skipping them keeps
        // a prompt without emphasis bit-identical to the plain encoding.
        guard multipliers.contains(where: { $0.contains { $0 != 1 } }) else { return }
        let rowSize = tokens * width
        let count = Double(rows.count * rowSize)
        // torch takes both means in float32; summing in double and rounding once is at least as accurate
        // (the difference is a rounding of the mean, far inside the tests' tolerance).
        var originalSum = 0.0
        var weightedSum = 0.0
        for (row, weights) in zip(rows, multipliers) {
            let base = row * rowSize
            for token in 0..<tokens {
                let weight = weights[token]
                let offset = base + token * width
                for channel in 0..<width {
                    let value = values[offset + channel]
                    originalSum += Double(value)
                    let weighted = value * weight
                    values[offset + channel] = weighted
                    weightedSum += Double(weighted)
                }
            }
        }
        let factor = Float(originalSum / count) / Float(weightedSum / count)
        for row in rows {
            let base = row * rowSize
            for index in base..<(base + rowSize) { values[index] *= factor }
        }
    }
}
