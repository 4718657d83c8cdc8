import FuzzSupport
import TensorModule

/// Fuzzes the safetensors header validation from memory: any bytes must either be rejected with a
/// ``TensorError`` or yield entries that are safe to read (each byte range inside the data section,
/// its size equal to shape × dtype size, no two ranges overlapping).
@_cdecl("FuzzSafetensorsHeader_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    FuzzDriver.run(argc: argc, argv: argv) { bytes in
        guard let header = try? SafetensorsFile.validateHeader(ofFileBytes: bytes, source: "fuzz") else { return }
        let dataLength = bytes.count - header.dataOffset
        require(header.dataOffset >= 8 && header.dataOffset <= bytes.count, "data section outside the file")
        var ranges: [Range<Int>] = []
        for (name, entry) in header.entries {
            require(entry.byteRange.lowerBound >= 0 && entry.byteRange.upperBound <= dataLength,
                         "\(name): range \(entry.byteRange) outside \(dataLength) data bytes")
            require(entry.shape.allSatisfy { $0 >= 0 }, "\(name): negative extent")
            let elements = entry.shape.reduce(1, *)
            require(elements * entry.dtype.byteSize == entry.byteRange.count, "\(name): size mismatch")
            if !entry.byteRange.isEmpty { ranges.append(entry.byteRange) }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        for (previous, next) in zip(ranges, ranges.dropFirst()) {
            require(previous.upperBound <= next.lowerBound, "overlapping ranges \(previous) and \(next)")
        }
    }
}
