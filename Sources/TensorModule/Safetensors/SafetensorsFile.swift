import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only, memory-mapped safetensors file.
///
/// Opening validates the whole header before any tensor is read: the 8-byte header length fits the
/// file, the header is a well-formed JSON object without duplicate names, every dtype is known, every
/// shape × dtype size equals its byte range, and every range lies inside the data section without
/// overlapping another. Tensors are read on demand: widened to Float32 (F32, F16, BF16, F64) by
/// ``tensor(named:)``, or kept 16-bit by ``storedTensor(named:residency:)``.
public final class SafetensorsFile: @unchecked Sendable {
    /// The path the file was opened from (used in error messages).
    public let path: String
    /// The tensors, by name.
    public let entries: [String: SafetensorsEntry]
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]

    /// Largest header accepted; real headers are well under 1 MB.
    public static let maximumHeaderBytes = 100 << 20

    private let mapping: UnsafeRawBufferPointer
    private let dataStart: Int

    /// Tensor names in sorted order.
    public var tensorNames: [String] { entries.keys.sorted() }

    /// Opens, maps and validates a safetensors file.
    ///
    /// - Parameter path: The file to open.
    /// - Throws: ``TensorError/fileUnreadable(path:reason:)`` if it cannot be opened or mapped,
    ///   ``TensorError/invalidSafetensors(path:tensor:reason:)`` if its header is malformed.
    public init(path: String) throws(TensorError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .fileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .fileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .fileUnreadable(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw .invalidSafetensors(path: path, tensor: nil, reason: "file is \(size) bytes, shorter than the 8-byte header length")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .fileUnreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        let mapping = UnsafeRawBufferPointer(start: base, count: size)
        do {
            let parsed = try SafetensorsFile.parseHeader(mapping, path: path)
            self.entries = parsed.entries
            self.metadata = parsed.metadata
            self.dataStart = parsed.dataStart
            self.mapping = mapping
        } catch {
            munmap(base, size)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count)
    }

    /// Reads a tensor, widened to Float32.
    ///
    /// The file's pages holding the tensor are released from this process's resident memory afterwards
    /// (they stay in the system's page cache), so reading a whole model does not hold both the file
    /// and its float32 copy resident.
    ///
    /// - Throws: ``TensorError/invalidSafetensors(path:tensor:reason:)`` if there is no such tensor,
    ///   ``TensorError/unsupportedDType(path:tensor:dtype:)`` for integer or 8-bit float tensors.
    public func tensor(named name: String) throws(TensorError) -> Tensor {
        let entry = try self.entry(named: name)
        let bytes = self.bytes(of: entry)
        let count = Tensor.elementCount(entry.shape)
        let out = Tensor.uninitialized(entry.shape)
        let o = out.mutablePointer
        switch entry.dtype {
        case .f32:
            if count > 0 {
                let source = bytes.baseAddress!
                parallelFor(count, minimumChunk: 1 << 18) { range in
                    UnsafeMutableRawPointer(o + range.lowerBound)
                        .copyMemory(from: source + 4 * range.lowerBound, byteCount: 4 * range.count)
                }
            }
        case .f16, .bf16:
            if count > 0 {
                let buffer = HalfWidthBuffer(borrowing: bytes.baseAddress!, count: count,
                                             encoding: entry.dtype == .f16 ? .float16 : .bfloat16, owner: self)
                buffer.widen(0..<count, into: o)
            }
        case .f64:
            for i in 0..<count { o[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
        default:
            throw .unsupportedDType(path: path, tensor: name, dtype: entry.dtype.rawValue)
        }
        releasePages(of: bytes)
        return out
    }

    /// Reads a tensor for keeping as a model weight: fp16 and bf16 stay 16-bit (mapped from the file or
    /// copied into memory, as `residency` says); float32 and float64 become a float32 tensor (the
    /// file's pages are released after the copy, as in ``tensor(named:)``).
    ///
    /// - Parameters:
    ///   - name: The tensor.
    ///   - residency: Where 16-bit elements live while the model is loaded.
    /// - Throws: ``TensorError/invalidSafetensors(path:tensor:reason:)`` if there is no such tensor,
    ///   ``TensorError/unsupportedDType(path:tensor:dtype:)`` for integer or 8-bit float tensors.
    public func storedTensor(named name: String, residency: WeightResidency = .default) throws(TensorError) -> StoredTensor {
        let entry = try self.entry(named: name)
        let encoding: HalfWidthEncoding
        switch entry.dtype {
        case .f16: encoding = .float16
        case .bf16: encoding = .bfloat16
        default: return StoredTensor(try tensor(named: name))
        }
        let bytes = self.bytes(of: entry)
        let count = Tensor.elementCount(entry.shape)
        guard count > 0, let source = bytes.baseAddress else {
            return StoredTensor(shape: entry.shape, buffer: HalfWidthBuffer.make(count: 0, encoding: encoding) { _ in })
        }
        switch residency {
        case .memoryMapped:
            return StoredTensor(shape: entry.shape,
                                buffer: HalfWidthBuffer(borrowing: source, count: count, encoding: encoding, owner: self))
        case .inMemory:
            let buffer = HalfWidthBuffer.make(count: count, encoding: encoding) { destination in
                parallelFor(2 * count, minimumChunk: 1 << 20) { range in
                    (destination + range.lowerBound).copyMemory(from: source + range.lowerBound, byteCount: range.count)
                }
            }
            releasePages(of: bytes)
            return StoredTensor(shape: entry.shape, buffer: buffer)
        }
    }

    private func entry(named name: String) throws(TensorError) -> SafetensorsEntry {
        guard let entry = entries[name] else {
            throw .invalidSafetensors(path: path, tensor: name, reason: "no such tensor")
        }
        return entry
    }

    private func bytes(of entry: SafetensorsEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping[(dataStart + entry.byteRange.lowerBound)..<(dataStart + entry.byteRange.upperBound)])
    }

    /// Drops the whole pages inside `bytes` from this process's resident set (`MADV_DONTNEED` on a
    /// read-only private file mapping: the next access reads them again from the page cache). Pages
    /// shared with a neighbouring tensor are left alone.
    private func releasePages(of bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress else { return }
        let page = SafetensorsFile.pageSize
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + bytes.count) / page * page
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(address, end - first, MADV_DONTNEED)
    }

    private static let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    struct ParsedHeader {
        var entries: [String: SafetensorsEntry]
        var metadata: [String: String]
        var dataStart: Int
    }

    /// Validates the header of the bytes of a whole file. Separate from `init` so fuzzing can drive it.
    static func parseHeader(_ file: UnsafeRawBufferPointer, path: String) throws(TensorError) -> ParsedHeader {
        func invalid(_ reason: String, _ tensor: String? = nil) -> TensorError {
            .invalidSafetensors(path: path, tensor: tensor, reason: reason)
        }
        guard file.count >= 8 else { throw invalid("file is \(file.count) bytes, shorter than the 8-byte header length") }
        let declared = file.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(maximumHeaderBytes) else {
            throw invalid("header length \(declared) exceeds the \(maximumHeaderBytes)-byte limit")
        }
        let headerLength = Int(declared)
        guard headerLength <= file.count - 8 else {
            throw invalid("header length \(headerLength) exceeds the file's remaining \(file.count - 8) bytes (truncated file?)")
        }
        guard headerLength >= 2 else { throw invalid("header length \(headerLength) is too short for a JSON object") }
        let headerBytes = UnsafeBufferPointer(rebasing: file.bindMemoryView()[8..<(8 + headerLength)])
        let json: HeaderJSON
        do { json = try HeaderJSON.parse(headerBytes) } catch {
            throw invalid("header is not valid JSON (\(error.reason) at byte \(error.offset + 8))")
        }
        guard case .object(let members) = json else { throw invalid("header is not a JSON object") }
        let dataLength = file.count - 8 - headerLength
        var entries: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw invalid("duplicate name in header", name) }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw invalid("__metadata__ is not an object") }
                for (key, item) in pairs {
                    guard case .string(let text) = item else { throw invalid("__metadata__ value for '\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard case .object(let fields) = value else { throw invalid("entry is not an object", name) }
            let field = Dictionary(fields, uniquingKeysWith: { first, _ in first })
            guard case .string(let dtypeName)? = field["dtype"] else { throw invalid("missing or non-string 'dtype'", name) }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw invalid("unknown dtype '\(dtypeName)'", name) }
            guard case .array(let shapeValues)? = field["shape"] else { throw invalid("missing or non-array 'shape'", name) }
            var shape: [Int] = []
            var elements = 1
            for extent in shapeValues {
                guard case .integer(let n) = extent, n >= 0 else { throw invalid("shape \(shapeValues.count)-D has a non-integer or negative extent", name) }
                let (product, overflow) = elements.multipliedReportingOverflow(by: n)
                guard !overflow else { throw invalid("shape overflows", name) }
                elements = product
                shape.append(n)
            }
            guard case .array(let offsets)? = field["data_offsets"], offsets.count == 2,
                  case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1] else {
                throw invalid("missing or malformed 'data_offsets' (expected [begin, end])", name)
            }
            guard begin >= 0, begin <= end else { throw invalid("data_offsets [\(begin), \(end)] are not an ascending pair", name) }
            guard end <= dataLength else {
                throw invalid("data_offsets [\(begin), \(end)] run past the data section (\(dataLength) bytes; truncated file?)", name)
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, bytes == end - begin else {
                throw invalid("shape \(shape) × \(dtype.rawValue) is \(overflow ? "too large" : "\(bytes) bytes") but data_offsets span \(end - begin)", name)
            }
            entries[name] = SafetensorsEntry(dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        // Compare each range with the furthest end reached so far, not just with its predecessor:
        // an empty range sorted between two overlapping ones must not hide the overlap.
        let ordered = entries.filter { !$0.value.byteRange.isEmpty }.sorted {
            ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key)
        }
        var furthest: (end: Int, name: String)?
        for (name, entry) in ordered {
            if let furthest, entry.byteRange.lowerBound < furthest.end {
                throw invalid("data range overlaps tensor '\(furthest.name)'", name)
            }
            if entry.byteRange.upperBound > furthest?.end ?? 0 { furthest = (entry.byteRange.upperBound, name) }
        }
        return ParsedHeader(entries: entries, metadata: metadata, dataStart: 8 + headerLength)
    }
}

private extension UnsafeRawBufferPointer {
    func bindMemoryView() -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
