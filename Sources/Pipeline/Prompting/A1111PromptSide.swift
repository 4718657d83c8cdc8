import TensorModule
import UNet

/// One side (prompt or negative prompt) of an A1111 encoding through one tokenizer: per schedule text, its
/// chunks, every text padded with empty chunks to one count. Rows are laid out text by text, chunk by chunk,
/// as the encoder receives them.
///
/// This is the part of A1111's `FrozenCLIPEmbedderWithCustomWordsBase.forward` that every encoder shares:
/// SD 1.x/2.x run it through their one encoder, SDXL through each of its two (each with its own tokenizer and
/// padding), so both conditioners build their chunks, weighting and schedules here.
struct A1111PromptSide {
    /// A1111's end steps (1-based, inclusive) of the schedule entries.
    var endSteps: [Int]
    /// Per text, `chunkCount` chunks.
    var chunks: [[PromptChunk]]
    /// Chunks per text.
    var chunkCount: Int

    /// The schedule texts of a prompt (prompt editing and alternation resolved), as A1111 computes them for
    /// `steps` sampler steps.
    static func schedule(for prompt: String, steps: Int) -> [PromptScheduleEntry] {
        PromptScheduleParser.schedule(for: prompt, steps: max(steps, 1))
    }

    /// Chunks every text of a schedule with one tokenizer.
    /// - Parameters:
    ///   - schedule: the texts (``schedule(for:steps:)``).
    ///   - chunker: the encoder's tokenizer as A1111 chunks with it.
    init(schedule: [PromptScheduleEntry], chunker: PromptChunker) {
        endSteps = schedule.map(\.endStep)
        chunks = schedule.map { chunker.chunks(of: EmphasisParser.fragments(of: $0.text)).chunks }
        chunkCount = 0
        padChunks(to: 1, chunker: chunker)
    }

    /// Pads every text with empty chunks to at least `count` chunks (A1111's `empty_chunk()` for the texts of a
    /// batch that have fewer chunks than the longest).
    mutating func padChunks(to count: Int, chunker: PromptChunker) {
        let target = max(count, chunks.map(\.count).max() ?? 1)
        guard chunks.contains(where: { $0.count < target }) else {
            chunkCount = target
            return
        }
        let empty = chunker.emptyChunk
        for index in chunks.indices { chunks[index] += repeatElement(empty, count: target - chunks[index].count) }
        chunkCount = target
    }

    /// The encoder's input rows.
    var rows: [PromptChunk] { chunks.flatMap { $0 } }

    /// The row of each text's first chunk, counted from the side's first row (SDXL's pooled embedding comes
    /// from it: A1111 returns `zs[0].pooled`).
    var firstChunkRows: [Int] { chunks.indices.map { $0 * chunkCount } }

    /// Emphasis, one batch per chunk index (all of the side's texts), as A1111 encodes a prompt's schedule.
    private func weight(_ values: inout [Float], firstRow: Int, tokens: Int, width: Int) {
        for chunk in 0..<chunkCount {
            let rows = chunks.indices.map { firstRow + $0 * chunkCount + chunk }
            EmphasisWeighting.apply(to: &values, rows: rows, multipliers: chunks.map { $0[chunk].multipliers },
                                    tokens: tokens, width: width)
        }
    }

    /// Weights an encoder's output for several sides and cuts it into per-text contexts.
    ///
    /// - Parameters:
    ///   - encoded: `[rows, tokens, width]`, the sides' ``rows`` one after the other.
    ///   - sides: the sides, in row order.
    ///   - component: the encoder's name for errors.
    /// - Returns: per side, per text, its chunks side by side as `[1, chunkCount · tokens, width]`.
    /// - Throws: ``PipelineError/component(name:message:)`` when the shape is not the rows', and
    ///   ``PipelineError/invalidParameter(name:value:allowed:)`` when the weights make a value overflow.
    static func weightedContexts(_ encoded: Tensor, of sides: [A1111PromptSide],
                                 component: String) throws(PipelineError) -> [[Tensor]] {
        let rowCount = sides.map(\.rows.count).reduce(0, +)
        let tokens = sides.first?.chunks.first?.first?.ids.count ?? 0
        guard encoded.rank == 3, encoded.shape[0] == rowCount, encoded.shape[1] == tokens else {
            throw .component(name: component, message: "returned shape \(encoded.shape) for \(rowCount) chunks of \(tokens) tokens")
        }
        let width = encoded.shape[2]
        var values = encoded.scalars
        var firstRow = 0
        for side in sides {
            side.weight(&values, firstRow: firstRow, tokens: tokens, width: width)
            firstRow += side.rows.count
        }
        // Emphasis weights are user input: weights so large (or a weighted mean so close to zero) that the
        // result overflows would give a NaN image, so they are reported instead.
        guard values.allSatisfy(\.isFinite) else {
            let weights = sides.flatMap(\.rows).flatMap(\.multipliers)
            throw .invalidParameter(name: "prompt", value: "emphasis weights from \(weights.min() ?? 1) to \(weights.max() ?? 1)",
                                    allowed: "weights whose weighted text encoding stays finite")
        }
        var result: [[Tensor]] = []
        firstRow = 0
        for side in sides {
            let size = side.chunkCount * tokens * width
            result.append(side.chunks.indices.map { text in
                let start = (firstRow + text * side.chunkCount) * tokens * width
                return Tensor(shape: [1, side.chunkCount * tokens, width], scalars: Array(values[start..<(start + size)]))
            })
            firstRow += side.rows.count
        }
        return result
    }

    /// The schedule of per-text conditionings. A1111 uses an entry while its 0-based step counter is ≤ the
    /// entry's end, so the entry ends before step end + 1.
    /// - Parameter conditionings: one per schedule text.
    func schedule(_ conditionings: [DenoiserConditioning]) throws(PipelineError) -> ConditioningSchedule {
        try Self.schedule(endSteps: endSteps, conditionings)
    }

    /// The schedule of per-text conditionings with A1111's end steps (one conditioning: a constant schedule).
    static func schedule(endSteps: [Int], _ conditionings: [DenoiserConditioning]) throws(PipelineError) -> ConditioningSchedule {
        guard conditionings.count > 1 else { return ConditioningSchedule(conditionings[0]) }
        return try ConditioningSchedule(entries: zip(endSteps, conditionings).map {
            ConditioningSchedule.Entry(endStep: $0 + 1, conditioning: $1)
        })
    }
}
