import ArgumentParser
import Foundation
import SDServer
import StableDiffusion

/// `sd serve`: an AUTOMATIC1111-compatible HTTP API over one model (Documentation/Server.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an AUTOMATIC1111-compatible HTTP API (txt2img, img2img, progress, interrupt, …).",
        discussion: """
            Loads the model once and answers A1111 API clients. Binds 127.0.0.1 unless --host says otherwise. \
            The OpenAPI document is at /openapi.json. Stops on SIGINT / SIGTERM.
            """)

    @Option(name: .long, help: "A diffusers model folder, or a single-file .safetensors checkpoint.")
    var model: String
    @Option(name: .long, help: "For a single-file checkpoint: a diffusers folder whose configs, tokenizer and scheduler to use.")
    var config: String?
    @Option(name: .long, help: "Address to bind (0.0.0.0 opens the server to the network).")
    var host: String = "127.0.0.1"
    @Option(name: .long, help: "TCP port (0 picks a free one).")
    var port: Int = 7860
    @Option(name: .long, help: "Requests that may wait for a generation; more are answered 503 with Retry-After.")
    var maxQueue: Int = 8
    @Option(name: .long, help: "Generations run at the same time (each uses every core).")
    var parallel: Int = 1
    @Option(name: .long, help: "HTTP basic authentication: user:password, several separated by commas (A1111's --api-auth).")
    var apiAuth: String?
    @Option(name: .long, help: "Largest width × height accepted.")
    var maxPixels: Int = 1024 * 1024
    @Option(name: .long, help: "Largest steps accepted.")
    var maxSteps: Int = 150
    @Option(name: .long, help: "Largest batch_size × n_iter accepted.")
    var maxImages: Int = 16
    @Option(name: .long, help: "Largest request body in bytes.")
    var maxBodyBytes: Int = 32 * 1024 * 1024
    @Option(name: .long, help: "Folder for requests with save_images: true (otherwise such requests are refused). Nothing is written elsewhere.")
    var outputDir: String?
    @Option(name: .long, help: "Compute threads (default: all cores).")
    var threads: Int?
    @Flag(name: .long, help: "Decode in overlapping tiles (bounded memory for large images).")
    var vaeTiling = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard maxPixels >= 64, maxSteps >= 1, maxImages >= 1, maxBodyBytes >= 1024 else {
            throw ValidationError("--max-pixels must be at least 64, --max-steps and --max-images at least 1, --max-body-bytes at least 1024")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let apiAuth {
            do { _ = try BasicCredentials.parseList(apiAuth) } catch { throw ValidationError(error.detail) }
        }
    }

    func run() async throws {
        if let outputDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: outputDir, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: outputDir) else {
                throw CommandError("--output-dir \(outputDir) is not a writable folder")
            }
        }
        if let threads { ComputeConfiguration.threads = threads }
        FileHandle.standardError.write(Data("loading \(model)\n".utf8))
        let pipeline = try StableDiffusionPipeline(
            contentsOf: model, options: LoadOptions(configFolder: config, vaeTiling: vaeTiling ? VAETiling(tileSize: 512) : nil))
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxQueue = maxQueue
        configuration.parallel = parallel
        configuration.credentials = try apiAuth.map { try BasicCredentials.parseList($0) } ?? []
        configuration.maxPixels = maxPixels
        configuration.maxSteps = maxSteps
        configuration.maxImages = maxImages
        configuration.maxBodyBytes = maxBodyBytes
        configuration.outputDirectory = outputDir
        let server = SDServer(pipeline: pipeline, modelPath: model, configuration: configuration)
        let host = self.host
        try await server.run { port in
            FileHandle.standardError.write(Data("serving http://\(host):\(port) (OpenAPI: /openapi.json)\n".utf8))
        }
    }
}
