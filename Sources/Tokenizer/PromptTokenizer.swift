/// Turns a prompt into the token ids a text encoder reads.
///
/// `CLIPTokenizer` is the SDK's implementation; an app can bring its own (another vocabulary, a
/// different cleaning step) and hand it to the pipeline. A conformer supplies the four ids and
/// `contentIDs(for:)`; `inputIDs(for:)` and `windowedInputIDs(for:)` have default implementations
/// that frame those ids as CLIP does, and may be replaced.
public protocol PromptTokenizer: Sendable {
    /// The number of ids in one text-encoder window, BOS and EOS included (77 for CLIP). At least 3.
    var maximumLength: Int { get }
    /// The id opening every window (`<|startoftext|>`, 49406, for CLIP).
    var beginningOfSequenceID: Int { get }
    /// The id closing every window (`<|endoftext|>`, 49407, for CLIP).
    var endOfSequenceID: Int { get }
    /// The id that fills a window after EOS (49407 for SD 1.x, 0 (`!`) for SD 2.x).
    var paddingID: Int { get }

    /// The ids of the prompt's text, without BOS, EOS, truncation or padding.
    /// - Parameter text: the prompt.
    /// - Returns: the ids, possibly more than fit in one window.
    func contentIDs(for text: String) -> [Int]

    /// The ids the pipeline feeds the text encoder: BOS, the first `maximumLength − 2` content ids,
    /// EOS, then padding up to `maximumLength` (diffusers' `padding="max_length", truncation=True`).
    /// - Parameter text: the prompt.
    /// - Returns: exactly `maximumLength` ids.
    func inputIDs(for text: String) -> [Int]

    /// The prompt in as many windows as its content needs, for prompts longer than one window: the
    /// content ids cut into runs of `maximumLength − 2`, each framed as `inputIDs(for:)` frames a
    /// prompt. A prompt that fits gives one window equal to `inputIDs(for:)`.
    /// - Parameter text: the prompt.
    /// - Returns: one or more windows of exactly `maximumLength` ids.
    func windowedInputIDs(for text: String) -> [[Int]]
}

extension PromptTokenizer {
    /// Default: the truncated, framed and padded content ids.
    public func inputIDs(for text: String) -> [Int] {
        framedWindow(contentIDs(for: text).prefix(maximumLength - 2))
    }

    /// Default: consecutive runs of `maximumLength − 2` content ids, each framed and padded.
    public func windowedInputIDs(for text: String) -> [[Int]] {
        let content = contentIDs(for: text)
        let stride = maximumLength - 2
        precondition(stride > 0, "PromptTokenizer.maximumLength must be at least 3")
        if content.count <= stride { return [framedWindow(content[...])] }
        return Swift.stride(from: 0, to: content.count, by: stride).map { start in
            framedWindow(content[start..<min(start + stride, content.count)])
        }
    }

    /// BOS + `content` + EOS + padding to `maximumLength`.
    /// - Parameter content: at most `maximumLength − 2` ids.
    /// - Returns: exactly `maximumLength` ids.
    public func framedWindow(_ content: ArraySlice<Int>) -> [Int] {
        precondition(content.count <= maximumLength - 2, "window content exceeds maximumLength − 2")
        var ids = [beginningOfSequenceID]
        ids.reserveCapacity(maximumLength)
        ids.append(contentsOf: content)
        ids.append(endOfSequenceID)
        ids.append(contentsOf: repeatElement(paddingID, count: maximumLength - ids.count))
        return ids
    }
}
