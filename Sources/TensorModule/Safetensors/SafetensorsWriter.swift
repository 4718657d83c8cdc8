import Foundation

/// Writes Float32 tensors as a safetensors file (F32, little-endian, names sorted, 8-byte aligned
/// header), atomically: the data goes to a temporary file beside the target, which is then renamed.
public enum SafetensorsWriter {
    /// Writes `tensors` to `path`.
    ///
    /// - Parameters:
    ///   - tensors: Name → tensor; all stored as F32.
    ///   - metadata: Optional `__metadata__` strings.
    ///   - path: Destination file; replaced if it exists.
    /// - Throws: ``TensorError/fileUnwritable(path:reason:)``.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws(TensorError) {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\(quote($0.value))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let bytes = t.count * 4
            parts.append("\(quote(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var data = Data()
        data.reserveCapacity(8 + header.utf8.count + offset)
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { buffer in
                data.append(UnsafeBufferPointer(start: buffer.baseAddress, count: buffer.count))
            }
        }
        try AtomicFile.write(data, to: path)
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Writes files so that a reader never sees a partial file: temporary file in the same folder, then rename.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    ///
    /// - Throws: ``TensorError/fileUnwritable(path:reason:)``.
    public static func write(_ data: Data, to path: String) throws(TensorError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        do {
            try data.write(to: temporary)
        } catch {
            // A write that fails part-way (a full disk) must not leave its temporary file behind.
            try? FileManager.default.removeItem(at: temporary)
            throw .fileUnwritable(path: path, reason: error.localizedDescription)
        }
        // rename(2) replaces the target atomically within one file system.
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .fileUnwritable(path: path, reason: reason)
        }
    }
}
