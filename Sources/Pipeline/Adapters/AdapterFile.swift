import Foundation
import TensorModule

/// Opens an adapter file as safetensors, refusing pickles by their name or first bytes (never
/// unpickling them).
enum AdapterFile {
    static func open(_ path: String) throws(AdapterError) -> SafetensorsFile {
        guard let format = CheckpointFileFormat.sniff(path: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw .unreadableFile(path: path, underlying: .fileUnreadable(path: path, reason: "cannot be opened for reading"))
            }
            throw .fileNotFound(path: path)
        }
        if format == .pickle { throw .pickleFile(path: path) }
        do { return try SafetensorsFile(path: path) } catch { throw .unreadableFile(path: path, underlying: error) }
    }

    /// Reads a tensor as float32 (fp16 / bf16 widened exactly).
    static func tensor(_ file: SafetensorsFile, _ key: String) throws(AdapterError) -> Tensor {
        do { return try file.tensor(named: key) } catch { throw .unreadableFile(path: file.path, underlying: error) }
    }
}
