import _CHalfPrecision

/// The 16-bit encodings a weight can be kept in.
enum HalfWidthEncoding: Sendable {
    /// IEEE 754 half precision (safetensors `F16`).
    case float16
    /// bfloat16 (safetensors `BF16`).
    case bfloat16
}

/// 16-bit elements held as stored: either owned memory or a range of a memory-mapped file, which
/// this buffer keeps mapped (through `owner`) for as long as it lives.
///
/// Immutable after creation, so sharing it across threads is safe; that is the invariant behind
/// `@unchecked Sendable`.
final class HalfWidthBuffer: @unchecked Sendable {
    /// First element (2 bytes each, little-endian, not necessarily 2-byte aligned in a file).
    let base: UnsafeRawPointer
    /// Number of 16-bit elements.
    let count: Int
    let encoding: HalfWidthEncoding
    /// What keeps a mapped range alive (the file); nil when this buffer owns `base`.
    private let owner: AnyObject?

    /// Takes ownership of `count` elements allocated with `UnsafeMutableRawPointer.allocate`.
    init(owning base: UnsafeMutableRawPointer, count: Int, encoding: HalfWidthEncoding) {
        self.base = UnsafeRawPointer(base)
        self.count = count
        self.encoding = encoding
        self.owner = nil
    }

    /// Refers to elements inside memory that `owner` keeps valid.
    init(borrowing base: UnsafeRawPointer, count: Int, encoding: HalfWidthEncoding, owner: AnyObject) {
        self.base = base
        self.count = count
        self.encoding = encoding
        self.owner = owner
    }

    /// Allocates `count` elements and lets `body` write them.
    static func make(count: Int, encoding: HalfWidthEncoding, _ body: (UnsafeMutableRawPointer) -> Void) -> HalfWidthBuffer {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 2, alignment: 64)
        body(memory)
        return HalfWidthBuffer(owning: memory, count: count, encoding: encoding)
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    /// Whether the elements live in a file mapping rather than in memory of their own.
    var isMapped: Bool { owner != nil }

    /// Widens elements `range` to float32 at `destination`, on all compute threads. Exact.
    func widen(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let start = base + 2 * range.lowerBound
        let encoding = self.encoding
        // Chunks of 64 Ki elements: large enough to amortise thread hand-off, small enough that both
        // cores share a 1 M-element weight.
        parallelFor(range.count, minimumChunk: 1 << 16) { part in
            let source = start + 2 * part.lowerBound
            switch encoding {
            case .float16: sd_widen_f16(source, destination + part.lowerBound, part.count)
            case .bfloat16: sd_widen_bf16(source, destination + part.lowerBound, part.count)
            }
        }
    }

    /// Rounds float32 values to a new buffer in `encoding` (round to nearest even).
    static func narrowing(_ values: UnsafeBufferPointer<Float>, to encoding: HalfWidthEncoding) -> HalfWidthBuffer {
        make(count: values.count, encoding: encoding) { memory in
            guard let source = values.baseAddress else { return }
            parallelFor(values.count, minimumChunk: 1 << 16) { part in
                narrow(source + part.lowerBound, into: memory + 2 * part.lowerBound, count: part.count, encoding: encoding)
            }
        }
    }

    /// Rounds `count` float32 values at `source` to `encoding` at `destination`.
    static func narrow(_ source: UnsafePointer<Float>, into destination: UnsafeMutableRawPointer, count: Int,
                       encoding: HalfWidthEncoding) {
        switch encoding {
        case .float16: sd_narrow_f16(source, destination, count)
        case .bfloat16: sd_narrow_bf16(source, destination, count)
        }
    }
}
