import Foundation

/// The files one `sd generate` run writes (images, latents, statistics), made all-or-nothing: each
/// is written to a hidden temporary file beside its destination, and only when every one of them
/// has been written are they renamed into place. A run that fails leaves no output behind, neither
/// partial files nor a PNG without the statistics asked for.
final class OutputFiles {
    private var staged: [(temporary: String, destination: String)] = []

    /// Fails before any work is done if a destination's folder does not exist or is not writable,
    /// rather than after a generation of minutes.
    static func checkFolders(of paths: [String]) throws {
        for path in paths {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw CommandError("cannot write \(path): it is a folder")
            }
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandError("cannot write \(path): folder \(folder) does not exist")
            }
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw CommandError("cannot write \(path): folder \(folder) is not writable")
            }
        }
    }

    /// Writes one output to a temporary file beside `path` with `write`, to be moved into place by
    /// ``commit()``.
    func stage(_ path: String, _ write: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).staged").path
        staged.append((temporary, path))
        try write(temporary)
    }

    /// Renames every staged file to its destination.
    func commit() throws {
        for (index, file) in staged.enumerated() where rename(file.temporary, file.destination) != 0 {
            let reason = String(cString: strerror(errno))
            staged.removeFirst(index)
            throw CommandError("cannot write \(file.destination): \(reason)")
        }
        staged.removeAll()
    }

    /// Removes whatever was staged but not committed.
    deinit {
        for file in staged { try? FileManager.default.removeItem(atPath: file.temporary) }
    }
}
