import ArgumentParser
import Foundation
import StableDiffusion

/// `sd info`: the compute engine's configuration as one JSON object.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the active BLAS kernel, thread count and library as one JSON object.")

    @Option(name: .long, help: "Threads to use (default: all cores).")
    var threads: Int?

    func run() throws {
        if let threads { ComputeConfiguration.threads = threads }
        let diagnostics = try BLASDiagnostics.current()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(diagnostics), as: UTF8.self))
    }
}
