import Foundation
import Testing
import _TestSupport
@testable import Schedulers

/// Schedules alone, over many step counts and every spacing, and the training noise schedule.
@Suite("Timestep grids and training schedules")
struct ScheduleGridTests {
    struct Grid: Decodable, Sendable, CustomStringConvertible {
        let className: String
        let timestepSpacing: String?
        let steps: Int
        let timesteps: [Double]
        enum CodingKeys: String, CodingKey {
            case steps, timesteps
            case className = "class"
            case timestepSpacing = "timestep_spacing"
        }
        var description: String { "\(className) \(timestepSpacing ?? "-") \(steps)" }
    }

    struct GridFile: Decodable { let grids: [Grid] }

    static let grids: [Grid] = {
        let url = URL(fileURLWithPath: Fixtures.path("schedulers/grids.json"))
        return (try? JSONDecoder().decode(GridFile.self, from: Data(contentsOf: url)).grids) ?? []
    }()

    @Test("The grid fixture loads")
    func gridsLoad() {
        #expect(Self.grids.count > 200)
    }

    // Timesteps are integers or Float32 values that the Swift side computes with the same Double
    // arithmetic as NumPy, so they must agree exactly.
    @Test("Timesteps match diffusers for every spacing and many step counts", arguments: grids)
    func timestepsMatch(_ grid: Grid) throws {
        let sd15 = try #require(TraceManifest.shared?.configs["sd15"])
        var options = DiffusersSchedulerConfig()
        options.className = grid.className
        options.timestepSpacing = grid.timestepSpacing
        let configuration = try sd15.overriding(with: options).modelConfiguration()
        let scheduler = try configuration.makeScheduler(steps: grid.steps)
        #expect(scheduler.timesteps == grid.timesteps)
    }

    static let trainingSchedules: [(String, TrainingSchedule)] = [
        ("sd", .stableDiffusion),
        ("linear", TrainingSchedule()),
        ("cosine", TrainingSchedule(betaSchedule: .squaredCosCapV2)),
        ("linear500", TrainingSchedule(numTrainTimesteps: 500, betaStart: 0.001, betaEnd: 0.03)),
        ("scaled777", TrainingSchedule(numTrainTimesteps: 777, betaSchedule: .scaledLinear)),
    ]

    // Tolerance 0: torch.linspace (a fused multiply-add from each end), the Float32 square and
    // torch.cumprod (Double accumulation) are reproduced operation for operation.
    @Test("Betas and ᾱ equal PyTorch's bit for bit", arguments: trainingSchedules)
    func trainingScheduleIsExact(_ label: String, _ training: TrainingSchedule) throws {
        let file = try Fixtures.safetensors("schedulers/training.safetensors")
        let schedule = NoiseSchedule(training)
        #expect(schedule.betas == (try file.tensor(named: "\(label)/betas")).scalars)
        #expect(schedule.alphasCumprod == (try file.tensor(named: "\(label)/alphas_cumprod")).scalars)
        #expect(try training.alphasCumprod() == schedule.alphasCumprod)
    }

    @Test("Trailing spacing never yields more timesteps than steps, nor a negative one")
    func trailingIsCut() {
        // NumPy's arange gives 62 values for 1000 / 61; diffusers then appends a timestep of −1.
        #expect(NumPyRange.arange(1000, 0, step: -1000.0 / 61).count == 62)
        for steps in 1...1000 {
            let grid = TimestepGrids.descendingIntegers(.trailing, steps: steps, numTrainTimesteps: 1000, stepsOffset: 0)
            #expect(grid.count == steps && grid.allSatisfy { $0 >= 0 && $0 < 1000 }, "\(steps) steps: \(grid.suffix(3))")
            let multistep = TimestepGrids.multistepIntegers(.trailing, steps: steps, numTrainTimesteps: 1000,
                                                            lastTimestep: 1000, stepsOffset: 0)
            #expect(multistep.count == steps && multistep.allSatisfy { $0 >= 0 }, "\(steps) steps: \(multistep.suffix(3))")
        }
    }

    @Test("torch.linspace edge cases")
    func linspaceEdges() {
        #expect(NoiseSchedule.torchLinspace(0.5, 0.7, count: 1) == [0.5])
        #expect(NoiseSchedule.torchLinspace(0.5, 0.7, count: 0).isEmpty)
        let two = NoiseSchedule.torchLinspace(0.1, 0.2, count: 2)
        #expect(two == [Float(0.1), Float(0.2)])
    }
}
