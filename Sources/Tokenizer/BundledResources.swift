import Foundation

/// Finds the CLIP vocabulary that ships in the Tokenizer target's resource bundle.
///
/// SwiftPM's generated `Bundle.module` stops the program when the bundle is missing; this lookup
/// throws instead. It searches where SwiftPM puts the bundle (beside the executable or test bundle,
/// in the main bundle's resources, in loaded bundles), then the package sources this file was
/// built from.
enum BundledResources {
    private final class Marker {}
    static let directoryName = "clip"
    private static let bundleSuffixes = ["_Tokenizer.resources", "_Tokenizer.bundle"]

    /// The `clip` folder (vocab.json, merges.txt, sd1/, sd2/).
    /// - Throws: `TokenizerError.missingResource` when no copy is found.
    static func clipDirectory() throws -> URL {
        for base in bundleCandidates() {
            let directory = base.appendingPathComponent(directoryName)
            if TokenizerFiles.exists(directory.appendingPathComponent("vocab.json").path) { return directory }
        }
        throw TokenizerError.missingResource(name: "\(directoryName)/vocab.json")
    }

    private static func bundleCandidates() -> [URL] {
        var searchDirectories: [URL] = []
        var seen = Set<String>()
        func addSearchDirectory(_ url: URL?) {
            guard let url, seen.insert(url.standardizedFileURL.path).inserted else { return }
            searchDirectories.append(url)
        }
        let ownBundle = Bundle(for: Marker.self)
        for bundle in [Bundle.main, ownBundle] + Bundle.allBundles {
            addSearchDirectory(bundle.bundleURL)
            addSearchDirectory(bundle.bundleURL.deletingLastPathComponent())
            addSearchDirectory(bundle.resourceURL)
        }
        addSearchDirectory(Bundle.main.executableURL?.deletingLastPathComponent())

        var candidates: [URL] = []
        let fileManager = FileManager.default
        for directory in searchDirectories {
            guard let names = try? fileManager.contentsOfDirectory(atPath: directory.path) else { continue }
            for name in names.sorted() where bundleSuffixes.contains(where: name.hasSuffix) {
                let bundle = directory.appendingPathComponent(name)
                candidates.append(bundle)
                candidates.append(bundle.appendingPathComponent("Contents/Resources"))
            }
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources"))
        return candidates
    }
}
