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
            The OpenAPI document is at /openapi.json. Stops on SIGINT / SIGTERM. With --queue the node loads \
            no model: it enqueues requests in PostgreSQL for `sd worker`s on any number of machines.
            """)

    @Option(name: .long, help: "A diffusers model folder, or a single-file .safetensors checkpoint (with --queue: only its name is reported; the workers load the model).")
    var model: String?
    @Option(name: .long, help: "Scale out: enqueue requests in this PostgreSQL database (postgres://user:password@host:port/database) for `sd worker`s instead of generating here.")
    var queue: String?
    @Option(name: .long, help: "A folder of LoRA files: each <lora:NAME:WEIGHT> tag in a prompt applies DIR/NAME.safetensors at WEIGHT (prompts with tags are refused without it).")
    var loraDir: String?
    @Option(name: .long, help: "Decode a preview of the current image every N steps for /sdapi/v1/progress's current_image (0: none).")
    var previewEvery: Int = 5
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
    @OptionGroup var loading: ModelLoadingOptions

    func validate() throws {
        if queue == nil, model == nil { throw ValidationError("--model is required (or --queue, to serve from a job queue)") }
        if queue != nil, outputDir != nil { throw ValidationError("--output-dir cannot be used with --queue: images are returned to the client, not saved by the node") }
        if queue != nil, loraDir != nil { throw ValidationError("--lora-dir with --queue belongs on the workers: sd worker --lora-dir") }
        guard previewEvery >= 0 else { throw ValidationError("--preview-every must be 0 or more") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard maxPixels >= 64, maxSteps >= 1, maxImages >= 1, maxBodyBytes >= 1024 else {
            throw ValidationError("--max-pixels must be at least 64, --max-steps and --max-images at least 1, --max-body-bytes at least 1024")
        }
        try loading.validate(model: model)
        if let apiAuth {
            do { _ = try BasicCredentials.parseList(apiAuth) } catch { throw ValidationError(error.detail) }
        }
    }

    func run() async throws {
        if let outputDir { try Self.checkFolder(outputDir, option: "--output-dir", writable: true) }
        if let loraDir { try Self.checkFolder(loraDir, option: "--lora-dir", writable: false) }
        loading.applyThreads()
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
        configuration.loraFolder = loraDir
        configuration.previewInterval = previewEvery > 0 ? previewEvery : nil
        let server: SDServer
        if let queue {
            let address = try QueueAddress(queue)
            FileHandle.standardError.write(Data("opening the job queue \(address.redacted)\n".utf8))
            let jobs = try await JobQueue.open(address)
            let name = model.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "queue"
            server = SDServer(queue: jobs, modelName: name, configuration: configuration)
        } else if let model {
            FileHandle.standardError.write(Data("loading \(model)\n".utf8))
            let pipeline = try StableDiffusionPipeline(
                contentsOf: model, options: loading.loadOptions())
            server = SDServer(pipeline: pipeline, modelPath: model, configuration: configuration)
        } else {
            throw CommandError("--model is required")
        }
        let host = self.host
        try await server.run { port in
            FileHandle.standardError.write(Data("serving http://\(host):\(port) (OpenAPI: /openapi.json)\n".utf8))
        }
    }

    /// Fails with one line unless `path` is a folder (that this process may write, if asked).
    static func checkFolder(_ path: String, option: String, writable: Bool) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              !writable || FileManager.default.isWritableFile(atPath: path) else {
            throw CommandError("\(option) \(path) is not \(writable ? "a writable" : "a") folder")
        }
    }
}
