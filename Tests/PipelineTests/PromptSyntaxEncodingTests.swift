import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// A1111's chunking and weighted encoding on the tiny SD 1.x / 2.x models against
/// `Tests/Fixtures/generators/prompt_syntax.py` (A1111's `tokenize_line` and emphasis, transcribed there, on
/// transformers' tokenizer and text encoder), plus the guarantee that a plain prompt is unchanged.
@Suite("A1111 prompt syntax: chunking and conditioning")
struct PromptSyntaxEncodingTests {
    static let models = ["sd15-tiny", "sd2-tiny"]

    static func pipeline(_ model: String) throws -> StableDiffusionPipeline {
        try (model == "sd15-tiny" ? PipelineRunFixtures.sd15Folder : PipelineRunFixtures.sd2Folder).get()
    }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("prompt_syntax/\(name)")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("Chunk ids, multipliers and token counts match A1111's tokenize_line", arguments: models)
    func chunksMatch(_ model: String) throws {
        let entries = try #require(try Self.json("chunks.json")[model] as? [[String: Any]])
        #expect(entries.count >= 13)
        let chunker = PromptChunker(tokenizer: try Self.pipeline(model).tokenizer)
        for entry in entries {
            let prompt = try #require(entry["prompt"] as? String)
            let expected = try #require(entry["chunks"] as? [[String: Any]])
            let (chunks, count) = chunker.chunks(of: EmphasisParser.fragments(of: prompt))
            #expect(count == (entry["token_count"] as? Int), "\(prompt)")
            #expect(chunks.count == expected.count, "\(prompt)")
            for (got, want) in zip(chunks, expected) {
                #expect(got.ids == (want["ids"] as? [Int]), "\(prompt)")
                // float64 weights rounded to float32 as torch.asarray rounds them: exact.
                let weights = (want["multipliers"] as? [NSNumber])?.map { Float($0.doubleValue) }
                #expect(got.multipliers == weights, "\(prompt)")
            }
        }
    }

    // Tolerance, relative to the reference's largest value. CLIP on both sides agrees to ≈ 1e-6 of that scale
    // (unweighted cases measure 4e-7). The mean restoration divides two means that are close to zero here
    // (|mean| from 4e-4 to 0.03 for values of order 1 in these random tiny encoders), and torch takes them in
    // float32: for sd15-tiny "long-commas" chunk 1 (mean 3.7e-4), torch's factor is 1.011560 against the
    // exact 1.011508, 5.2e-5 apart, which is the whole measured difference (worst 5.4e-5; we accumulate in
    // double, so ours is the closer one). 1e-4 is twice the worst measured.
    static let relativeTolerance: Float = 1e-4

    @Test("Weighted, chunked, scheduled conditioning matches A1111's", arguments: models)
    func conditioningMatches(_ model: String) throws {
        let cases = try #require(try Self.json("conditioning.json")[model] as? [[String: Any]])
        let pipeline = try Self.pipeline(model)
        let reference = try Fixtures.safetensors("prompt_syntax/conditioning.safetensors")
        var worst: Float = 0
        for entry in cases {
            let name = try #require(entry["name"] as? String)
            let steps = try #require(entry["steps"] as? Int)
            let schedule = try #require(entry["schedule"] as? [[Any]])
            let request = PromptRequest(prompt: try #require(entry["prompt"] as? String), negativePrompt: nil, guided: false,
                                        clipSkip: entry["clip_skip"] as? Int, width: 64, height: 64, steps: steps,
                                        syntax: .automatic1111)
            let positive = try pipeline.conditioner.conditioning(for: request).positive
            #expect(positive.entries.count == schedule.count, "\(name)")
            for (index, item) in schedule.enumerated() where index < positive.entries.count {
                let expected = try reference.tensor(named: "\(model)/\(name)/\(index)")
                let got = positive.entries[index].conditioning.context
                if schedule.count > 1 { #expect(positive.entries[index].endStep == (item[0] as? Int).map { $0 + 1 }, "\(name)") }
                let comparison = Comparison(got.reshaped(Array(got.shape.dropFirst())), expected)
                #expect(comparison.shapesMatch, "\(name)/\(index): \(got.shape) vs \(expected.shape)")
                #expect(comparison.relativeToScale <= Self.relativeTolerance, "\(name)/\(index): \(comparison)")
                worst = max(worst, comparison.relativeToScale)
            }
        }
        #expect(worst > 0, "the comparison compared something")
    }

    @Test("Prompt and negative prompt keep their own chunk counts; the negative is weighted too")
    func sidesKeepTheirLengths() throws {
        let cases = try #require(try Self.json("conditioning.json")["sd15-tiny"] as? [[String: Any]])
        let long = try #require(cases.first { $0["name"] as? String == "long-commas" }?["prompt"] as? String)
        let negative = try #require(cases.first { $0["name"] as? String == "negative" }?["prompt"] as? String)
        let pipeline = try Self.pipeline("sd15-tiny")
        let request = PromptRequest(prompt: long, negativePrompt: negative, guided: true, clipSkip: nil, width: 64,
                                    height: 64, steps: 10, syntax: .automatic1111)
        let conditioning = try pipeline.conditioner.conditioning(for: request)
        let tokens = try #require(cases.first { $0["name"] as? String == "long-commas" }?["tokens"] as? Int)
        #expect(tokens == 231)
        #expect(conditioning.positive.entries[0].conditioning.context.shape == [1, tokens, 32])
        let got = try #require(conditioning.negative).entries[0].conditioning.context
        #expect(got.shape == [1, 77, 32])
        let expected = try Fixtures.tensor("prompt_syntax/conditioning.safetensors", "sd15-tiny/negative/0")
        #expect(Comparison(got.reshaped([77, 32]), expected).relativeToScale <= Self.relativeTolerance)
    }

    @Test("A prompt without syntax characters that fits one chunk encodes exactly as plain", arguments: models)
    func plainPromptsAreUnchanged(_ model: String) throws {
        let pipeline = try Self.pipeline(model)
        let prompts: [(String, String?)] = [("a photo of a cat", nil), ("a red, round fruit on a table", "blurry, low quality"),
                                            ("", ""), (Array(repeating: "cat", count: 75).joined(separator: " "), "dog")]
        for (prompt, negative) in prompts {
            for clipSkip in [nil, 1] {
                var request = PromptRequest(prompt: prompt, negativePrompt: negative, guided: true, clipSkip: clipSkip,
                                            width: 64, height: 64, steps: 20)
                let plain = try pipeline.conditioner.conditioning(for: request)
                request.syntax = .automatic1111
                let a1111 = try pipeline.conditioner.conditioning(for: request)
                #expect(a1111.positive.entries.count == 1 && a1111.negative?.entries.count == 1)
                #expect(a1111.positive.entries[0].conditioning.context.scalars == plain.positive.entries[0].conditioning.context.scalars,
                        "\(prompt)")
                #expect(a1111.negative?.entries[0].conditioning.context.scalars == plain.negative?.entries[0].conditioning.context.scalars,
                        "\(prompt)")
            }
        }
    }

    @Test("Schedules switch at A1111's steps (0-based step s uses the entry whose end ≥ s)")
    func scheduleSteps() throws {
        let pipeline = try Self.pipeline("sd15-tiny")
        let request = PromptRequest(prompt: "a [cat:dog:3]", negativePrompt: nil, guided: false, clipSkip: nil, width: 64,
                                    height: 64, steps: 10, syntax: .automatic1111)
        let schedule = try pipeline.conditioner.conditioning(for: request).positive
        #expect(schedule.entries.map(\.endStep) == [4, 11])
        let cat = schedule.entries[0].conditioning.context.scalars
        // A1111's sampler uses "a cat" at steps 0…3 and "a dog" from step 4.
        for step in 0..<10 { #expect((schedule.conditioning(atStep: step).context.scalars == cat) == (step <= 3), "step \(step)") }
    }

    @Test("<lora:…> tags leave the prompt; in the negative prompt they are text, as in the web UI")
    func loraTagsAreRemoved() throws {
        let pipeline = try Self.pipeline("sd15-tiny")
        func context(_ prompt: String) throws -> [Float] {
            let request = PromptRequest(prompt: prompt, negativePrompt: prompt, guided: true, clipSkip: nil, width: 64,
                                        height: 64, steps: 10, syntax: .automatic1111)
            let conditioning = try pipeline.conditioner.conditioning(for: request)
            return conditioning.positive.entries[0].conditioning.context.scalars
                + (conditioning.negative?.entries[0].conditioning.context.scalars ?? [])
        }
        let tagged = try context("a cat<lora:style:0.7>")
        let untagged = try context("a cat")
        #expect(tagged[..<(77 * 32)] == untagged[..<(77 * 32)])
        #expect(tagged[(77 * 32)...] != untagged[(77 * 32)...])
        #expect(A1111Prompt("a cat<lora:style:0.7>").loras == [LoRAPromptTag(arguments: ["style", "0.7"])])
    }
}
