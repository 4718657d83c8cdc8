import Foundation
import FuzzSupport
import Pipeline
import Tokenizer

/// The bundled CLIP vocabulary, configured as SD 1.x and SD 2.x folders are.
nonisolated(unsafe) let chunkers: [PromptChunker] = {
    do {
        return [PromptChunker(tokenizer: try CLIPTokenizer.bundled(padding: .endOfText)),
                PromptChunker(tokenizer: try CLIPTokenizer.bundled(padding: .exclamationMark))]
    } catch {
        FileHandle.standardError.write(Data("cannot load the bundled tokenizer: \(error)\n".utf8))
        exit(2)
    }
}()

/// Fuzzes the A1111 prompt syntax with arbitrary text (bytes read as UTF-8, invalid sequences repaired):
/// every prompt must parse (no error, no crash, no hang), weights must be finite, schedules must end at the
/// step count with increasing steps, and every chunk must be a framed window of `maximumLength` ids with a
/// weight per id.
@_cdecl("FuzzPromptSyntax_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    _ = chunkers
    return FuzzDriver.run(argc: argc, argv: argv) { bytes in
        let prompt = A1111Prompt(String(decoding: bytes, as: UTF8.self))
        _ = prompt.loras
        _ = prompt.usesComposableAND
        for steps in [1, 7] {
            let schedule = PromptScheduleParser.schedule(for: prompt.text, steps: steps)
            require(schedule.last?.endStep == steps, "schedule does not end at \(steps)")
            require(zip(schedule, schedule.dropFirst()).allSatisfy { $0.endStep < $1.endStep }, "steps not increasing")
            require(schedule.allSatisfy { $0.endStep >= 1 }, "entry ending before step 1")
            for entry in schedule {
                let fragments = EmphasisParser.fragments(of: entry.text)
                require(!fragments.isEmpty, "no fragments")
                require(fragments.allSatisfy { $0.weight.isFinite }, "weight not finite")
                for chunker in chunkers {
                    let length = chunker.tokenizer.maximumLength
                    let chunks = chunker.chunks(of: fragments).chunks
                    require(!chunks.isEmpty, "no chunks")
                    for chunk in chunks {
                        require(chunk.ids.count == length && chunk.multipliers.count == length, "chunk size")
                        require(chunk.ids.first == chunker.tokenizer.beginningOfSequenceID, "no BOS")
                        require(chunk.ids.contains(chunker.tokenizer.endOfSequenceID), "no EOS")
                    }
                }
            }
        }
    }
}
