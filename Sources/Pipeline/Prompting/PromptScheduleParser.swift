/// One entry of a prompt schedule: the text to use up to and including sampler step `endStep`.
public struct PromptScheduleEntry: Sendable, Equatable {
    /// The last step (A1111 numbering, 1…steps; its sampler uses the entry while its 0-based step counter
    /// is ≤ this) at which `text` applies.
    public var endStep: Int
    /// The prompt text for those steps, with the editing and alternation resolved (emphasis syntax kept).
    public var text: String

    /// An entry.
    /// - Parameters:
    ///   - endStep: last step of the entry.
    ///   - text: the prompt for it.
    public init(endStep: Int, text: String) {
        self.endStep = endStep
        self.text = text
    }
}

/// A1111's prompt editing `[from:to:when]`, `[to:when]`, `[from::when]` and alternation `[a|b|…]`
/// (`prompt_parser.get_learned_conditioning_prompt_schedules`, with the web UI's default "new" scheduling and
/// no hires pass): the texts a prompt takes over the steps.
///
/// A1111 parses with a lark grammar; this is a recursive-descent parser that accepts the same language and
/// resolves its ambiguities as lark does (checked against lark on 1,300 fixture prompts and 13,000 more random
/// ones while writing it):
/// - inside a bracket structure everything must be a prompt: balanced `()`/`[]`, `:` only in `(a:b)` and
///   editing, `|` only between alternatives; otherwise the opening bracket is literal text;
/// - at the top level, a `|` outside any structure, or a backslash at the very end or before a newline, makes
///   the whole prompt unparsable: A1111 then uses it as typed for every step;
/// - `when` is a signed number (ASCII digits, optional fraction and exponent): with a `.` in it, a fraction
///   of the steps (`0.25`, `1.0` = all), otherwise a step; truncated and capped at the step count.
public enum PromptScheduleParser {
    /// The schedule of a prompt for a run of `steps` steps.
    /// - Parameters:
    ///   - prompt: the prompt (without `<lora:…>` tags).
    ///   - steps: the number of sampler steps (at least 1).
    /// - Returns: entries with increasing end steps, the last one ending at `steps`.
    public static func schedule(for prompt: String, steps: Int) -> [PromptScheduleEntry] {
        let s = Array(prompt.unicodeScalars)
        let parser = Parser(s: s)
        guard let tree = parser.topLevel() else { return [PromptScheduleEntry(endStep: steps, text: prompt)] }
        var ends: Set<Int> = [steps]
        let resolved = tree.map { $0.resolvingWhen(steps: steps, collecting: &ends) }
        return ends.sorted().map { step in
            var text: [Unicode.Scalar] = []
            for node in resolved { node.write(step: step, into: &text) }
            return PromptScheduleEntry(endStep: step, text: String(scalars: text))
        }
    }

    indirect enum Node {
        /// Text kept at every step (plain text, brackets of emphasis, literal brackets).
        case text(ArraySlice<Unicode.Scalar>)
        /// Emphasis brackets with their content: written whole.
        case group([Node])
        /// `[before:after:when]`; `when` is the raw number until resolved.
        case edit(before: [Node], after: [Node], number: String, when: Int)
        /// `[a|b|…]`.
        case alternate([[Node]])

        func resolvingWhen(steps: Int, collecting ends: inout Set<Int>) -> Node {
            switch self {
            case .text: return self
            case .group(let nodes): return .group(nodes.map { $0.resolvingWhen(steps: steps, collecting: &ends) })
            case .alternate(let options):
                ends.formUnion(1...max(steps, 1))
                return .alternate(options.map { $0.map { $0.resolvingWhen(steps: steps, collecting: &ends) } })
            case .edit(let before, let after, let number, _):
                // Python: float(s); × steps if "." in s; min(steps, int(v)); only values ≥ 1 end an entry.
                // Every value below 1 behaves alike (steps count from 1), and ±inf (where Python's int()
                // raises) is capped like any large value.
                let value = Double(number) ?? 0
                let scaled = number.contains(".") ? value * Double(steps) : value
                let when = scaled >= Double(steps) ? steps : (scaled < 1 ? 0 : Int(scaled))
                if when >= 1 { ends.insert(when) }
                return .edit(before: before.map { $0.resolvingWhen(steps: steps, collecting: &ends) },
                             after: after.map { $0.resolvingWhen(steps: steps, collecting: &ends) },
                             number: number, when: when)
            }
        }

        func write(step: Int, into out: inout [Unicode.Scalar]) {
            switch self {
            case .text(let scalars): out += scalars
            case .group(let nodes): for node in nodes { node.write(step: step, into: &out) }
            case .edit(let before, let after, _, let when):
                for node in step <= when ? before : after { node.write(step: step, into: &out) }
            case .alternate(let options):
                for node in options[(step - 1) % options.count] { node.write(step: step, into: &out) }
            }
        }
    }

    struct Parser {
        let s: [Unicode.Scalar]
        /// Structures already tried, by opening position: whether `(`/`[` at a position opens a structure
        /// does not depend on where it is reached from, so each is parsed once (linear time on any input).
        let memo = Memo()
        /// Deeper nesting makes the whole prompt unparsable (used as typed), where lark would exhaust
        /// Python's recursion limit; it keeps this recursive parser's stack small on any input.
        static let maximumDepth = 200

        final class Memo {
            var structures: [Int: (Node, Int)?] = [:]
            var depth = 0
            var tooDeep = false
        }

        /// `start: (prompt | /[][():]/+)*`: structures where they parse, literal brackets elsewhere.
        func topLevel() -> [Node]? {
            var nodes: [Node] = []
            var i = 0
            while i < s.count {
                let c = s[i]
                if c == "(" || c == "[" {
                    let parsed = structure(at: i)
                    if memo.tooDeep { return nil }
                    if let (node, end) = parsed {
                        nodes.append(node)
                        i = end
                    } else {
                        nodes.append(.text(s[i...i]))
                        i += 1
                    }
                } else if c == ")" || c == "]" || c == ":" {
                    nodes.append(.text(s[i...i]))
                    i += 1
                } else if c == "|" {
                    return nil
                } else if c == "\\" {
                    guard i + 1 < s.count, s[i + 1] != "\n" else { return nil }
                    nodes.append(.text(s[i...(i + 1)]))
                    i += 2
                } else {
                    nodes.append(.text(s[i...i]))
                    i += 1
                }
            }
            return nodes
        }

        /// `prompt`: text and structures up to the next `:`, `|`, `)`, `]` or the end; nil if a structure
        /// inside fails (inside a structure nothing may be literal).
        func items(from start: Int) -> (nodes: [Node], end: Int)? {
            var nodes: [Node] = []
            var i = start
            while i < s.count {
                let c = s[i]
                if c == ":" || c == "|" || c == ")" || c == "]" { break }
                if c == "(" || c == "[" {
                    guard let (node, end) = structure(at: i) else { return nil }
                    nodes.append(node)
                    i = end
                } else if c == "\\" {
                    guard i + 1 < s.count, s[i + 1] != "\n" else { return nil }
                    nodes.append(.text(s[i...(i + 1)]))
                    i += 2
                } else {
                    var end = i + 1
                    while end < s.count, !"\\[]():|".unicodeScalars.contains(s[end]) { end += 1 }
                    nodes.append(.text(s[i..<end]))
                    i = end
                }
            }
            return (nodes, i)
        }

        /// The structure opening at `open` (a `(` or `[`), memoized.
        func structure(at open: Int) -> (Node, Int)? {
            if let known = memo.structures[open] { return known }
            guard memo.depth < Self.maximumDepth else {
                memo.tooDeep = true
                return nil
            }
            memo.depth += 1
            let parsed = s[open] == "(" ? paren(at: open) : bracket(at: open)
            memo.depth -= 1
            if !memo.tooDeep { memo.structures[open] = .some(parsed) }
            return parsed
        }

        /// `"(" prompt ")"` or `"(" prompt ":" prompt ")"`.
        func paren(at open: Int) -> (Node, Int)? {
            guard let (first, j) = items(from: open + 1), j < s.count else { return nil }
            if s[j] == ")" { return (.group([.text(s[open...open])] + first + [.text(s[j...j])]), j + 1) }
            guard s[j] == ":", let (second, k) = items(from: j + 1), k < s.count, s[k] == ")" else { return nil }
            return (.group([.text(s[open...open])] + first + [.text(s[j...j])] + second + [.text(s[k...k])]), k + 1)
        }

        /// `"[" prompt "]"`, prompt editing, or alternation.
        func bracket(at open: Int) -> (Node, Int)? {
            guard let (first, j) = items(from: open + 1), j < s.count else { return nil }
            switch s[j] {
            case "]":
                return (.group([.text(s[open...open])] + first + [.text(s[j...j])]), j + 1)
            case "|":
                var options = [first]
                var k = j
                while k < s.count, s[k] == "|" {
                    guard let (option, end) = items(from: k + 1) else { return nil }
                    options.append(option)
                    k = end
                }
                guard k < s.count, s[k] == "]" else { return nil }
                return (.alternate(options), k + 1)
            case ":":
                if let (number, end) = whenClose(from: j + 1) {
                    return (.edit(before: [], after: first, number: number, when: 0), end)
                }
                guard let (second, k) = items(from: j + 1), k < s.count, s[k] == ":",
                      let (number, end) = whenClose(from: k + 1) else { return nil }
                return (.edit(before: first, after: second, number: number, when: 0), end)
            default:
                return nil
            }
        }

        /// `[WHITESPACE] NUMBER [WHITESPACE] "]"` (lark's SIGNED_NUMBER): the number and the index after `]`.
        func whenClose(from start: Int) -> (String, Int)? {
            func isDigit(_ i: Int) -> Bool { i < s.count && s[i].isASCII && ("0"..."9").contains(Character(s[i])) }
            var i = start
            while i < s.count, PythonCharacters.isWhitespace(s[i]) { i += 1 }
            let numberStart = i
            if i < s.count, s[i] == "+" || s[i] == "-" { i += 1 }
            let integerStart = i
            while isDigit(i) { i += 1 }
            var mantissaDigits = i - integerStart
            if i < s.count, s[i] == "." {
                i += 1
                let fractionStart = i
                while isDigit(i) { i += 1 }
                mantissaDigits += i - fractionStart
            }
            guard mantissaDigits > 0 else { return nil }
            if i < s.count, s[i] == "e" || s[i] == "E" {
                var e = i + 1
                if e < s.count, s[e] == "+" || s[e] == "-" { e += 1 }
                let exponentStart = e
                while isDigit(e) { e += 1 }
                if e > exponentStart { i = e }
            }
            let number = String(scalars: s[numberStart..<i])
            while i < s.count, PythonCharacters.isWhitespace(s[i]) { i += 1 }
            guard i < s.count, s[i] == "]" else { return nil }
            return (number, i + 1)
        }
    }
}
