import Foundation
import FuzzSupport
import Tokenizer

/// Separates the files of one input: `vocab.json ␤%%␤ merges.txt ␤%%␤ tokenizer_config.json
/// [␤%%␤ special_tokens_map.json]` (the published layout), or `tokenizer.json ␤%%␤
/// tokenizer_config.json` (the transformers 5 layout).
let separator = Array("\n%%\n".utf8)
let publishedNames = ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"]
let transformersNames = ["tokenizer.json", "tokenizer_config.json"]
let prompts = ["a photo of an astronaut riding a horse on mars", "AB ab Ba <|endoftext|>!!", "ÀÉ 猫 \u{301}x  y\t\nz 123",
               ""]

/// A folder in memory-backed storage where possible: the tokenizer reads files, so each input is
/// written there first.
let folder: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm")
        : FileManager.default.temporaryDirectory
    let url = base.appendingPathComponent("sd-fuzz-tokenizer-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

func split(_ bytes: UnsafeRawBufferPointer) -> [Data] {
    var parts: [Data] = []
    var start = 0, index = 0
    while index + separator.count <= bytes.count {
        if bytes[index..<(index + separator.count)].elementsEqual(separator) {
            parts.append(Data(bytes[start..<index]))
            index += separator.count
            start = index
        } else {
            index += 1
        }
    }
    parts.append(Data(bytes[start..<bytes.count]))
    return parts
}

/// Fuzzes loading a tokenizer folder (vocabulary, merges, added and special tokens, configuration)
/// and then tokenizing with it: loading either fails with a one-line ``TokenizerError`` or gives a
/// tokenizer whose ids respect the window invariants.
@_cdecl("FuzzTokenizerFiles_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    atexit { try? FileManager.default.removeItem(at: folder) }
    return FuzzDriver.run(argc: argc, argv: argv) { bytes in
        let parts = split(bytes)
        let names: [String]
        switch parts.count {
        case 2: names = transformersNames
        case 3, 4: names = Array(publishedNames.prefix(parts.count))
        default: return
        }
        for name in Set(publishedNames + transformersNames) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        for (name, data) in zip(names, parts) {
            guard (try? data.write(to: folder.appendingPathComponent(name))) != nil else { return }
        }
        let tokenizer: CLIPTokenizer
        do {
            tokenizer = try CLIPTokenizer(folder: folder)
        } catch {
            require(error is TokenizerError, "untyped error \(error)")
            requireOneLineMessage(error)
            return
        }
        for prompt in prompts {
            let content = tokenizer.contentIDs(for: prompt)
            let ids = tokenizer.inputIDs(for: prompt)
            require(ids.count == tokenizer.maximumLength && ids.first == tokenizer.beginningOfSequenceID, "bad window \(ids)")
            let windows = tokenizer.windowedInputIDs(for: prompt)
            require(windows.count * (tokenizer.maximumLength - 2) >= content.count, "windows drop content ids")
        }
    }
}
