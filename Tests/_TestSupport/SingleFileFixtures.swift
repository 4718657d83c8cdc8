import Foundation

/// The tiny single-file checkpoints (`pipeline/sd15-tiny.safetensors`, `pipeline/sd2-tiny.safetensors`),
/// assembled from the committed folders and recipes instead of being committed: they hold the folders'
/// weights again, renamed, rounded to fp16 and with OpenCLIP's q/k/v fused (8.4 MB of duplicates).
///
/// A recipe (`pipeline/<name>.recipe.json`, written by `Tests/Fixtures/generators/single_file_recipes.py`)
/// carries the file's header verbatim and, per tensor, the folder tensors whose bytes (converted to the
/// file's dtype) are concatenated to give its data, or `extras` for tensors no folder has (taken from
/// `<name>.extras.safetensors`). The generator found those sources by value, not through the key map
/// the tests exercise, and recorded the file's FNV-1a-64 checksum: an assembled file that is not
/// byte-identical to the one diffusers' `from_single_file` was verified against is an error.
enum SingleFileFixtures {
    /// Names of the assembled files, relative to `Tests/Fixtures`.
    static let assembled: Set<String> = ["pipeline/sd15-tiny.safetensors", "pipeline/sd2-tiny.safetensors"]

    /// Why a file could not be assembled (a broken checkout or recipe, never expected).
    struct AssemblyError: Error, CustomStringConvertible {
        var description: String
    }

    private static let paths = LockedValue<[String: String]>([:])

    /// The path of the assembled file, building it on first use in this process. The file lives in
    /// the temporary directory under its checksum, so processes share it and nothing is written into
    /// the checkout; it is written under a temporary name and renamed, so a reader never sees half.
    static func path(of relative: String) throws -> String {
        try paths.withLock { cache in
            if let path = cache[relative] { return path }
            let path = try assemble(relative)
            cache[relative] = path
            return path
        }
    }

    private static func assemble(_ relative: String) throws -> String {
        let target = Fixtures.root.appendingPathComponent(relative)
        let name = target.deletingPathExtension().lastPathComponent
        let directory = target.deletingLastPathComponent()
        let recipeURL = directory.appendingPathComponent("\(name).recipe.json")
        guard let recipe = try JSONSerialization.jsonObject(with: Data(contentsOf: recipeURL)) as? [String: Any],
              let headerText = recipe["header"] as? String, let checksum = recipe["fnv1a64"] as? String,
              let length = recipe["length"] as? Int, let folder = recipe["folder"] as? String,
              let steps = recipe["tensors"] as? [String: [String: Any]] else {
            throw AssemblyError(description: "\(recipeURL.path): not a single-file recipe")
        }
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("sd-swift-fixtures").appendingPathComponent(checksum)
        let path = output.appendingPathComponent(target.lastPathComponent).path
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == length { return path }

        let header = try RawSafetensors.entries(ofHeader: Data(headerText.utf8), in: "\(name) recipe")
        var sources: [String: RawSafetensors] = [:]
        func source(_ file: String) throws -> RawSafetensors {
            if let opened = sources[file] { return opened }
            let opened = try RawSafetensors(path: file)
            sources[file] = opened
            return opened
        }
        let extras = directory.appendingPathComponent("\(name).extras.safetensors").path
        var body = Data()
        for (key, entry) in header.sorted(by: { $0.value.begin < $1.value.begin }) {
            guard body.count == entry.begin, let step = steps[key] else {
                throw AssemblyError(description: "\(name) recipe: no step for '\(key)' or a gap before it")
            }
            if step["extras"] as? Bool == true {
                body.append(try source(extras).bytes(of: key, as: entry.dtype))
            } else if let parts = step["from"] as? [[String: String]] {
                for part in parts {
                    guard let file = part["file"], let partKey = part["key"] else {
                        throw AssemblyError(description: "\(name) recipe: malformed source for '\(key)'")
                    }
                    let folderFile = directory.appendingPathComponent(folder).appendingPathComponent(file).path
                    body.append(try source(folderFile).bytes(of: partKey, as: entry.dtype))
                }
            }
            guard body.count == entry.end else {
                throw AssemblyError(description: "\(name) recipe: '\(key)' assembled to the wrong length")
            }
        }
        var file = Data()
        withUnsafeBytes(of: UInt64(headerText.utf8.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(Data(headerText.utf8))
        file.append(body)
        let actual = String(fnv1a64(file), radix: 16)
        let expected = String(checksum.drop(while: { $0 == "0" }))
        guard file.count == length, actual == expected else {
            throw AssemblyError(description: "\(name): assembled \(file.count) bytes with checksum \(actual); the recipe says \(length) bytes, \(checksum)")
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).partial"
        try file.write(to: URL(fileURLWithPath: temporary))
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
        return path
    }

    /// FNV-1a, 64 bits: the recipe's checksum (integrity, not security).
    static func fnv1a64(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        data.withUnsafeBytes { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        return hash
    }
}

/// A safetensors file read as raw bytes: what the assembler needs and nothing of the library under test.
struct RawSafetensors {
    struct Entry {
        var dtype: String
        var begin: Int
        var end: Int
    }

    let path: String
    let data: Data
    let dataStart: Int
    let entries: [String: Entry]

    init(path: String) throws {
        self.path = path
        data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count >= 8 else { throw SingleFileFixtures.AssemblyError(description: "\(path): too short") }
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard 8 + length <= data.count else { throw SingleFileFixtures.AssemblyError(description: "\(path): truncated header") }
        dataStart = 8 + length
        entries = try Self.entries(ofHeader: data.subdata(in: 8..<dataStart), in: path)
    }

    static func entries(ofHeader header: Data, in place: String) throws -> [String: Entry] {
        guard let object = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw SingleFileFixtures.AssemblyError(description: "\(place): header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (key, value) in object where key != "__metadata__" {
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
                throw SingleFileFixtures.AssemblyError(description: "\(place): malformed entry '\(key)'")
            }
            entries[key] = Entry(dtype: dtype, begin: offsets[0], end: offsets[1])
        }
        return entries
    }

    /// The tensor's bytes, converted to `dtype` (only F32 → F16, rounding to nearest even as torch's
    /// `.to(torch.float16)` does; other dtypes must already agree).
    func bytes(of key: String, as dtype: String) throws -> Data {
        guard let entry = entries[key] else {
            throw SingleFileFixtures.AssemblyError(description: "\(path): no tensor '\(key)'")
        }
        let raw = data.subdata(in: (dataStart + entry.begin)..<(dataStart + entry.end))
        if entry.dtype == dtype { return raw }
        guard entry.dtype == "F32", dtype == "F16" else {
            throw SingleFileFixtures.AssemblyError(description: "\(path): cannot convert '\(key)' from \(entry.dtype) to \(dtype)")
        }
        var out = Data(capacity: raw.count / 2)
        raw.withUnsafeBytes { bytes in
            for index in stride(from: 0, to: bytes.count, by: 4) {
                let bits = bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian
                let half = Float16(Float(bitPattern: bits)).bitPattern.littleEndian
                withUnsafeBytes(of: half) { out.append(contentsOf: $0) }
            }
        }
        return out
    }
}
