/// Byte-level BPE with CLIP's settings: `</w>` appended to a word's last symbol, no subword prefix,
/// unknown symbols become the unknown token one by one (no fusing), no dropout. The merge loop is
/// that of the `tokenizers` library (`Word::merge_all`): a queue ordered by merge rank, then by
/// position, with stale entries skipped.
final class BytePairModel: Sendable {
    /// One merge rule: its rank (line order in merges.txt) and the id of the merged token.
    struct Merge: Sendable {
        var rank: Int32
        var newID: Int32
    }

    /// Token → id.
    let vocabulary: [String: Int]
    /// (left id, right id) packed as `left << 32 | right` → merge.
    let merges: [UInt64: Merge]
    /// The id of each byte's character, and of that character + `</w>` (-1 when absent).
    private let byteIDs: [Int32]
    private let wordEndByteIDs: [Int32]
    /// Replaces symbols missing from the vocabulary; when nil they are dropped.
    let unknownID: Int32?
    let cache = BPECache()

    static let endOfWordSuffix = "</w>"

    /// - Parameters:
    ///   - vocabulary: token → id.
    ///   - merges: merge rules in rank order, as token ids (validated by the caller).
    ///   - unknownToken: the token standing for symbols missing from the vocabulary.
    init(vocabulary: [String: Int], merges: [(left: Int, right: Int, merged: Int)], unknownToken: String?) {
        self.vocabulary = vocabulary
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            // A repeated pair keeps its last rank, as the reference's map does.
            table[Self.key(Int32(merge.left), Int32(merge.right))] = Merge(rank: Int32(rank), newID: Int32(merge.merged))
        }
        self.merges = table
        byteIDs = ByteLevelAlphabet.characters.map { vocabulary[String($0)].map(Int32.init) ?? -1 }
        wordEndByteIDs = ByteLevelAlphabet.characters.map {
            vocabulary[String($0) + Self.endOfWordSuffix].map(Int32.init) ?? -1
        }
        unknownID = unknownToken.flatMap { vocabulary[$0] }.map(Int32.init)
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of one pre-tokenized word.
    func encode(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.count * 4)
        for scalar in word { bytes.append(contentsOf: scalar.utf8) }
        if bytes.isEmpty { return }
        if let cached = cache.ids(for: bytes) {
            ids.append(contentsOf: cached.lazy.map(Int.init))
            return
        }
        let merged = mergeAll(bytes)
        cache.store(merged, for: bytes)
        ids.append(contentsOf: merged.lazy.map(Int.init))
    }

    /// The symbols of a word after all merges.
    private func mergeAll(_ bytes: [UInt8]) -> [Int32] {
        // Initial symbols, one per byte (`merge_word`); `length` is the byte length, 0 once merged away.
        var symbol: [Int32] = [], length: [Int] = []
        symbol.reserveCapacity(bytes.count)
        length.reserveCapacity(bytes.count)
        var pendingUnknown = 0
        for (index, byte) in bytes.enumerated() {
            let id = index == bytes.count - 1 ? wordEndByteIDs[Int(byte)] : byteIDs[Int(byte)]
            if id >= 0 {
                if pendingUnknown > 0, let unknownID {
                    symbol.append(unknownID)
                    length.append(pendingUnknown)
                }
                pendingUnknown = 0
                symbol.append(id)
                length.append(1)
            } else if let unknownID {
                // Not fused: a pending unknown symbol is emitted before the next one starts.
                if pendingUnknown > 0 {
                    symbol.append(unknownID)
                    length.append(pendingUnknown)
                }
                pendingUnknown = 1
            }
        }
        if pendingUnknown > 0, let unknownID {
            symbol.append(unknownID)
            length.append(pendingUnknown)
        }

        let count = symbol.count
        var previous = (0..<count).map { $0 - 1 }
        var next = (0..<count).map { $0 + 1 < count ? $0 + 1 : -1 }
        var queue = MergeQueue(capacity: count * 2)
        for position in 0..<max(count - 1, 0) {
            if let merge = merges[Self.key(symbol[position], symbol[position + 1])] {
                queue.push(PendingMerge(rank: merge.rank, position: Int32(position), newID: merge.newID))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            if length[position] == 0 || next[position] == -1 { continue }
            let right = next[position]
            // Skip entries made stale by an earlier merge.
            guard let current = merges[Self.key(symbol[position], symbol[right])], current.newID == top.newID else {
                continue
            }
            symbol[position] = top.newID
            length[position] += length[right]
            next[position] = next[right]
            length[right] = 0
            if next[right] >= 0 { previous[next[right]] = position }

            if previous[position] >= 0 {
                let left = previous[position]
                if let merge = merges[Self.key(symbol[left], symbol[position])] {
                    queue.push(PendingMerge(rank: merge.rank, position: Int32(left), newID: merge.newID))
                }
            }
            if next[position] >= 0 {
                if let merge = merges[Self.key(symbol[position], symbol[next[position]])] {
                    queue.push(PendingMerge(rank: merge.rank, position: Int32(position), newID: merge.newID))
                }
            }
        }
        var result: [Int32] = []
        for index in 0..<count where length[index] != 0 { result.append(symbol[index]) }
        return result
    }
}
