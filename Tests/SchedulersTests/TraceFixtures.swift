import Foundation
import Schedulers
import _TestSupport

/// The diffusers traces written by `Tests/Fixtures/generators/schedulers.py` (see its docstring).
struct TraceManifest: Decodable, Sendable {
    let diffusers: String
    let shape: [Int]
    let bankSize: Int
    let modelInputWeight: Double
    let configs: [String: DiffusersSchedulerConfig]
    let cases: [TraceCase]

    enum CodingKeys: String, CodingKey {
        case diffusers, shape, configs, cases
        case bankSize = "bank_size"
        case modelInputWeight = "model_input_weight"
    }

    static let path = Fixtures.path("schedulers/cases.json")

    static func load() throws -> TraceManifest {
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        return try decoder.decode(TraceManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The manifest, read once; nil if it cannot be read (a separate test requires it to load).
    static let shared: TraceManifest? = try? load()

    /// The cases, or none if the manifest cannot be read.
    static let cases: [TraceCase] = shared?.cases ?? []
}

/// One recorded run: a scheduler built from a model config plus options, its schedule, and the
/// sample after each step.
struct TraceCase: Decodable, Sendable, CustomStringConvertible {
    let id: String
    /// The CLI name, or nil for the configuration's own `_class_name`.
    let scheduler: String?
    let config: String
    let options: DiffusersSchedulerConfig
    let steps: Int
    let strength: Double?
    let eta: Double?
    let className: String
    let order: Int
    let fullTimesteps: [Double]
    let timesteps: [Double]
    let sigmas: [Double]?
    let initNoiseSigma: Double
    let noiseDraws: Int
    let denoisedRecorded: Bool
    let file: String

    enum CodingKeys: String, CodingKey {
        case id, scheduler, config, options, steps, strength, eta, order, timesteps, sigmas, file
        case className = "class"
        case fullTimesteps = "full_timesteps"
        case initNoiseSigma = "init_noise_sigma"
        case noiseDraws = "noise_draws"
        case denoisedRecorded = "denoised_recorded"
    }

    var description: String { id }

    func tensor(_ name: String) throws -> Tensor {
        guard let file = TraceFiles.open[file] else { throw TraceFiles.Missing(file: file) }
        return try file.tensor(named: "\(id)/\(name)")
    }
}

/// The traces' safetensors files, each opened once (their headers list thousands of tensors).
enum TraceFiles {
    struct Missing: Error { let file: String }

    static let open: [String: SafetensorsFile] = {
        let names = Set((TraceManifest.shared?.cases ?? []).map(\.file))
        return Dictionary(uniqueKeysWithValues: names.compactMap { name in
            (try? Fixtures.safetensors("schedulers/\(name)")).map { (name, $0) }
        })
    }()
}

/// The inputs every case shares: initial noise, the model-output bank, and the img2img latents.
struct TraceInputs: Sendable {
    let noise: Tensor
    let bank: [Tensor]
    let imageLatents: Tensor
    let imageNoise: Tensor

    init() throws {
        let file = try Fixtures.safetensors("schedulers/inputs.safetensors")
        noise = try file.tensor(named: "noise")
        let bankTensor = try file.tensor(named: "bank")
        let perItem = bankTensor.count / bankTensor.shape[0]
        let scalars = bankTensor.scalars
        bank = (0..<bankTensor.shape[0]).map { k in
            Tensor(shape: Array(bankTensor.shape.dropFirst()), scalars: Array(scalars[(k * perItem)..<((k + 1) * perItem)]))
        }
        imageLatents = try file.tensor(named: "image_latents")
        imageNoise = try file.tensor(named: "image_noise")
    }

    /// The inputs, read once.
    static let shared: TraceInputs? = try? TraceInputs()
}
