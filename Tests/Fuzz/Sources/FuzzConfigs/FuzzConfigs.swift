import Foundation
import FuzzSupport
import Schedulers
import TensorModule
import TextEncoder
import UNet
import VAE

/// Fuzzes the configuration decoders with the same bytes as each of the four `config.json` kinds:
/// UNet, VAE, CLIP text encoder and scheduler. Each decoder either throws its module's typed error
/// with a one-line message or returns a configuration that encodes and decodes back to itself. A
/// scheduler configuration is then built as every named sampler and run for a few steps on a tiny
/// sample, since its numbers (betas, step counts, offsets) drive the arithmetic.
@_cdecl("FuzzConfigs_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    FuzzDriver.run(argc: argc, argv: argv) { bytes in
        let data = Data(bytes)
        check(UNetConfiguration.self, data, UNetError.self) { try UNetConfiguration(jsonData: $0) }
        check(AutoencoderKLConfiguration.self, data, VAEError.self) { try AutoencoderKLConfiguration(jsonData: $0) }
        check(CLIPTextConfiguration.self, data, TextEncoderError.self) { try CLIPTextConfiguration(jsonData: $0) }
        fuzzScheduler(data)
    }
}

/// Decodes with the module's entry point; on success the JSON round trip must be exact.
func check<Configuration: Codable & Equatable, Failure: Error>(
    _ type: Configuration.Type, _ data: Data, _ failure: Failure.Type, _ decode: (Data) throws -> Configuration
) {
    let configuration: Configuration
    do {
        configuration = try decode(data)
    } catch {
        require(error is Failure, "\(type): untyped error \(error)")
        requireOneLineMessage(error)
        return
    }
    guard let encoded = try? JSONEncoder().encode(configuration) else { fail("\(type) does not encode") }
    let decoded = try? decode(encoded)
    require(decoded == configuration, "\(type) does not round-trip: \(String(decoding: encoded, as: UTF8.self))")
}

func fuzzScheduler(_ data: Data) {
    let options: DiffusersSchedulerConfig
    do {
        options = try DiffusersSchedulerConfig(jsonData: data)
    } catch {
        requireOneLineMessage(error)
        return
    }
    var configurations: [any SchedulerConfiguration] = []
    if let own = try? options.modelConfiguration() { configurations.append(own) }
    for name in SchedulerName.allCases {
        do { configurations.append(try name.configuration(from: options)) } catch { requireOneLineMessage(error) }
    }
    let sample = Tensor(shape: [1, 1, 2, 2], scalars: [0.5, -0.25, 1, 0])
    let output = Tensor(shape: [1, 1, 2, 2], scalars: [0.1, 0.2, -0.3, 0.4])
    for configuration in configurations {
        for (steps, strength) in [(1, 1.0), (4, 1.0), (25, 0.5)] {
            do {
                var scheduler = try configuration.makeScheduler(steps: steps, strength: strength)
                require(!scheduler.timesteps.isEmpty, "\(configuration.name): no timesteps")
                let random = TorchGenerator(seed: 0)
                var latents = sample
                if strength < 1 { latents = try scheduler.addNoise(to: sample, noise: output, timestep: scheduler.timesteps[0]) }
                for timestep in scheduler.timesteps {
                    _ = try scheduler.scaleModelInput(latents, timestep: timestep)
                    latents = try scheduler.step(modelOutput: output, timestep: timestep, sample: latents, random: random).nextSample
                }
            } catch {
                requireOneLineMessage(error)
            }
        }
    }
}
