import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// The A1111 prompt parsers against the web UI's own `prompt_parser.py` (run by
/// `Tests/Fixtures/generators/prompt_syntax.py` on its doctest examples, hand-written edge cases and 1,200
/// seeded random strings over the syntax characters).
@Suite("A1111 prompt syntax: parsers match the web UI")
struct PromptSyntaxParserTests {
    struct Case: Sendable, CustomStringConvertible {
        var prompt: String
        var steps: Int
        /// nil where A1111 raises.
        var attention: [WeightedPromptFragment]?
        var schedules: [PromptScheduleEntry]?
        var description: String { prompt.debugDescription }
    }

    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: Fixtures.path("prompt_syntax/parser.json")),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.map { entry in
            let attention = (entry["attention"] as? [[Any]])?.map {
                WeightedPromptFragment(text: $0[0] as? String ?? "", weight: Double($0[1] as? String ?? "") ?? .nan)
            }
            let schedules = (entry["schedules"] as? [[Any]])?.map {
                PromptScheduleEntry(endStep: ($0[0] as? NSNumber)?.intValue ?? -1, text: $0[1] as? String ?? "")
            }
            return Case(prompt: entry["prompt"] as? String ?? "", steps: (entry["steps"] as? NSNumber)?.intValue ?? 0,
                        attention: attention, schedules: schedules)
        }
    }()

    @Test("The corpus is there: doctests, edge cases, random strings")
    func corpusLoaded() {
        #expect(Self.cases.count > 1300)
        #expect(Self.cases.contains { $0.prompt == "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))." })
        #expect(Self.cases.contains { $0.prompt == "[fe|||]male" })
    }

    // Weights are compared exactly: both sides multiply the same float64 factors in the same order (the
    // fixture stores them as repr() strings, which Double(_:) reads back exactly).
    @Test("parse_prompt_attention: same fragments and weights on every prompt")
    func attentionMatches() {
        var mismatches: [String] = []
        for entry in Self.cases {
            let got = EmphasisParser.fragments(of: entry.prompt)
            guard let expected = entry.attention else {
                // A1111 raises (float() rejects the weight); the SDK gives finite weights instead.
                if got.contains(where: { !$0.weight.isFinite }) { mismatches.append("\(entry): \(got)") }
                continue
            }
            if got != expected { mismatches.append("\(entry): \(got) vs \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test("Prompt editing and alternation: same schedules on every prompt")
    func schedulesMatch() {
        var mismatches: [String] = []
        for entry in Self.cases {
            guard let expected = entry.schedules else { continue }
            let got = PromptScheduleParser.schedule(for: entry.prompt, steps: entry.steps)
            if got != expected { mismatches.append("\(entry): \(got) vs \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test("The documented examples")
    func documentedExamples() {
        #expect(EmphasisParser.fragments(of: "(((red)))dish") == [
            WeightedPromptFragment(text: "red", weight: 1.1 * 1.1 * 1.1), WeightedPromptFragment(text: "dish", weight: 1)])
        #expect(EmphasisParser.fragments(of: "(x: 1.3 )") == [WeightedPromptFragment(text: "x", weight: 1.3)])
        #expect(EmphasisParser.fragments(of: "a BREAK b").map(\.isBreak) == [false, true, false])
        // Where A1111 raises, the bracket weighs 1.
        #expect(EmphasisParser.fragments(of: "(a:1.2.3)") == [WeightedPromptFragment(text: "a", weight: 1)])
        let schedule = PromptScheduleParser.schedule(for: "a [cat:dog:0.5]", steps: 20)
        #expect(schedule == [PromptScheduleEntry(endStep: 10, text: "a cat"), PromptScheduleEntry(endStep: 20, text: "a dog")])
    }

    @Test("<lora:…> tags are removed and read as the web UI reads them")
    func extraNetworkTags() throws {
        let (text, tags) = ExtraNetworkTag.extract(from: "a <lora:foo:0.8> cat <hypernet:h> <lora:bar:te=0.5:unet=1.5> <lora:x:y:z> <not a tag> <:x>")
        #expect(text == "a  cat    <not a tag> <:x>")
        #expect(tags.map(\.kind) == ["lora", "hypernet", "lora", "lora"])
        #expect(tags[0].lora == LoRAPromptTag(arguments: ["foo", "0.8"]))
        let foo = try #require(tags[0].lora)
        #expect(foo.name == "foo" && foo.textEncoderWeight == 0.8 && foo.unetWeight == 0.8)
        let bar = try #require(tags[2].lora)
        #expect(bar.textEncoderWeight == 0.5 && bar.unetWeight == 1.5)
        let bad = try #require(tags[3].lora)
        #expect(bad.name == "x" && bad.textEncoderWeight == nil)
        #expect(tags[1].lora == nil)
    }
}

@Suite("A1111 prompt syntax: hostile prompts")
struct PromptSyntaxHostileInputTests {
    @Test("Deep nesting and long runs of brackets parse quickly, without deep recursion")
    func deepNesting() {
        let deep = String(repeating: "[", count: 5000) + "a:b:3" + String(repeating: "]", count: 5000)
        // Beyond the depth limit the prompt is used as typed (lark would exhaust Python's recursion limit).
        #expect(PromptScheduleParser.schedule(for: deep, steps: 10) == [PromptScheduleEntry(endStep: 10, text: deep)])
        let open = String(repeating: "[a ", count: 3000)
        #expect(PromptScheduleParser.schedule(for: open, steps: 10).count == 1)
        let fragments = EmphasisParser.fragments(of: String(repeating: "(", count: 9000) + "a")
        #expect(fragments.count == 1 && fragments[0].weight.isFinite)
    }

    @Test("Weights too large for the encoding are an error, not a NaN image")
    func hugeWeights() throws {
        let pipeline = try PipelineRunFixtures.sd15Folder.get()
        let request = PromptRequest(prompt: "(a:" + String(repeating: "9", count: 60) + ")", negativePrompt: nil, guided: false,
                                    clipSkip: nil, width: 64, height: 64, steps: 4, syntax: .automatic1111)
        #expect(throws: PipelineError.self) { try pipeline.conditioner.conditioning(for: request) }
    }
}
