import ArgumentParser
import Foundation
import StableDiffusion

/// `sd tokenize`: the ids the pipeline feeds the text encoder for a prompt, as JSON.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids the text encoder receives (padded/truncated to the model's length) as JSON.",
        discussion: """
            With a prompt, prints one JSON array of ids. With --prompts-file (a JSON array of strings), \
            prints one JSON array holding the id array of each prompt, in order.
            """)

    @Option(name: .long, help: "A diffusers model folder (its tokenizer/ subfolder is used), a tokenizer folder, or a single-file checkpoint (bundled CLIP vocabulary).")
    var model: String

    @Option(name: .long, help: "A JSON file holding an array of prompts.")
    var promptsFile: String?

    @Argument(help: "The prompt.")
    var prompt: String?

    func validate() throws {
        if (prompt == nil) == (promptsFile == nil) {
            throw ValidationError("give exactly one of a prompt and --prompts-file")
        }
    }

    func run() throws {
        let tokenizer = try Self.tokenizer(for: model)
        if let prompt {
            print(Self.json(tokenizer.inputIDs(for: prompt)))
        } else if let promptsFile {
            let prompts = try Self.readPrompts(promptsFile)
            print("[" + prompts.map { Self.json(tokenizer.inputIDs(for: $0)) }.joined(separator: ",") + "]")
        }
    }

    /// The tokenizer of a diffusers folder (its `tokenizer/`), a tokenizer folder, or — for a
    /// single-file checkpoint, which holds none — the bundled CLIP vocabulary with the family's padding.
    private static func tokenizer(for model: String) throws -> CLIPTokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) else {
            throw CommandError("no model folder or checkpoint file at \(model)")
        }
        guard isDirectory.boolValue else {
            let family = try SingleFileCheckpoint.detectFamily(path: model)
            return try CLIPTokenizer.bundled(padding: family == .stableDiffusion1 ? .endOfText : .exclamationMark)
        }
        let folder = URL(fileURLWithPath: model)
        let tokenizerFolder = folder.appendingPathComponent("tokenizer")
        let useSubfolder = FileManager.default.fileExists(atPath: tokenizerFolder.path, isDirectory: &isDirectory)
            && isDirectory.boolValue
        return try CLIPTokenizer(folder: useSubfolder ? tokenizerFolder : folder)
    }

    private static func json(_ ids: [Int]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    private static func readPrompts(_ path: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandError("cannot read prompts file \(path): \(error.localizedDescription)")
        }
        guard let prompts = try? JSONDecoder().decode([String].self, from: data) else {
            throw CommandError("prompts file \(path) must hold a JSON array of strings")
        }
        return prompts
    }
}

/// A failure of the command itself (not of the library), printed as one line.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
