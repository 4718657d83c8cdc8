import Foundation
import FuzzSupport
import Tokenizer

/// The CLIP vocabulary that ships with the library, configured as SD 1.x and SD 2.x folders are.
nonisolated(unsafe) let tokenizers: [CLIPTokenizer] = {
    do {
        return [try CLIPTokenizer.bundled(padding: .endOfText), try CLIPTokenizer.bundled(padding: .exclamationMark)]
    } catch {
        FileHandle.standardError.write(Data("cannot load the bundled tokenizer: \(error)\n".utf8))
        exit(2)
    }
}()

/// Fuzzes prompt tokenization with arbitrary text: the bytes are read as UTF-8 (invalid sequences
/// become U+FFFD, as `String(decoding:as:)` repairs them). Every prompt must tokenize, and the ids
/// must keep the pipeline's invariants: one window of `maximumLength` ids framed by BOS and EOS,
/// ids inside the vocabulary or the added tokens, windows covering all content ids.
@_cdecl("FuzzTokenizer_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    _ = tokenizers
    return FuzzDriver.run(argc: argc, argv: argv) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        for tokenizer in tokenizers {
            let largestID = max(tokenizer.vocabularySize - 1, tokenizer.addedTokens.keys.max() ?? 0)
            let content = tokenizer.contentIDs(for: text)
            require(content.allSatisfy { (0...largestID).contains($0) }, "id outside the vocabulary")
            let ids = tokenizer.inputIDs(for: text)
            require(ids.count == tokenizer.maximumLength, "inputIDs has \(ids.count) ids")
            require(ids.first == tokenizer.beginningOfSequenceID, "no BOS")
            require(ids.contains(tokenizer.endOfSequenceID), "no EOS")
            let windows = tokenizer.windowedInputIDs(for: text)
            require(!windows.isEmpty && windows.allSatisfy { $0.count == tokenizer.maximumLength }, "bad windows")
            let capacity = windows.count * (tokenizer.maximumLength - 2)
            require(capacity >= content.count, "windows drop content ids")
        }
    }
}
