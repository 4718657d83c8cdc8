/// A merge waiting in the BPE queue: the pair starting at symbol `position` becomes `newID`.
struct PendingMerge {
    var rank: Int32
    var position: Int32
    var newID: Int32

    /// The queue's order: lowest rank first, then leftmost (`Merge`'s `Ord` in tokenizers' word.rs).
    func precedes(_ other: PendingMerge) -> Bool {
        rank != other.rank ? rank < other.rank : position < other.position
    }
}

/// A binary min-heap of pending merges.
struct MergeQueue {
    private var storage: [PendingMerge] = []

    init(capacity: Int) { storage.reserveCapacity(capacity) }

    mutating func push(_ merge: PendingMerge) {
        storage.append(merge)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child].precedes(storage[parent]) else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> PendingMerge? {
        guard let first = storage.first else { return nil }
        let last = storage.removeLast()
        if storage.isEmpty { return first }
        storage[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < storage.count && storage[left].precedes(storage[smallest]) { smallest = left }
            if right < storage.count && storage[right].precedes(storage[smallest]) { smallest = right }
            if smallest == parent { break }
            storage.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
