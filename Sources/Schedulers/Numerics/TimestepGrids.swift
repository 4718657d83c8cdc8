/// The inference timesteps each family of diffusers schedulers derives from `timestep_spacing`.
/// The families differ in small ways (integer or Float32 values, `steps` or `steps + 1` grid
/// points, ascending or descending) that decide which training timesteps are visited.
///
/// For "trailing" spacing and a few step counts (61 of 1000, for example), NumPy's `arange` yields
/// one value more than asked and diffusers appends a timestep of −1; here every grid is cut to
/// `steps` values.
///
/// `steps_offset` is added with wrapping arithmetic: an absurd offset from a config file becomes a
/// timestep outside the training schedule, which the schedulers report as
/// ``SchedulerError/timestepOutOfRange(scheduler:timestep:numTrainTimesteps:)``, instead of a trap.
enum TimestepGrids {
    /// DDIM and DDPM: `steps` descending integers.
    static func descendingIntegers(_ spacing: TimestepSpacing, steps: Int, numTrainTimesteps: Int, stepsOffset: Int) -> [Int] {
        switch spacing {
        case .linspace:
            return NumPyRange.linspace(0, Double(numTrainTimesteps - 1), count: steps).reversed().map { Int(NumPyRange.round($0)) }
        case .leading:
            let ratio = numTrainTimesteps / steps
            return (0..<steps).reversed().map { $0 * ratio &+ stepsOffset }
        case .trailing:
            return trailing(steps: steps, from: numTrainTimesteps, ratio: Double(numTrainTimesteps) / Double(steps))
        }
    }

    /// PNDM's `_timesteps`: `steps` ascending integers (PNDM reorders them itself).
    static func ascendingIntegers(_ spacing: TimestepSpacing, steps: Int, numTrainTimesteps: Int, stepsOffset: Int) -> [Int] {
        switch spacing {
        case .linspace:
            return NumPyRange.linspace(0, Double(numTrainTimesteps - 1), count: steps).map { Int(NumPyRange.round($0)) }
        case .leading:
            let ratio = numTrainTimesteps / steps
            return (0..<steps).map { $0 * ratio &+ stepsOffset }
        case .trailing:
            return trailing(steps: steps, from: numTrainTimesteps, ratio: Double(numTrainTimesteps) / Double(steps)).reversed()
        }
    }

    /// Euler, Euler ancestral, LMS and Heun: `steps` descending Float32 values, fractional for
    /// "linspace".
    static func descendingFloats(_ spacing: TimestepSpacing, steps: Int, numTrainTimesteps: Int, stepsOffset: Int) -> [Float] {
        switch spacing {
        case .linspace:
            return NumPyRange.linspace(0, Double(numTrainTimesteps - 1), count: steps).reversed().map { Float($0) }
        case .leading:
            let ratio = numTrainTimesteps / steps
            return (0..<steps).reversed().map { Float($0 * ratio) + Float(stepsOffset) }
        case .trailing:
            return trailing(steps: steps, from: numTrainTimesteps, ratio: Double(numTrainTimesteps) / Double(steps)).map { Float($0) }
        }
    }

    /// DPM-Solver and UniPC: a grid of `steps + 1` points below `lastTimestep`, descending, its
    /// final point (0) dropped.
    static func multistepIntegers(_ spacing: TimestepSpacing, steps: Int, numTrainTimesteps: Int, lastTimestep: Int,
                                  stepsOffset: Int) -> [Int] {
        switch spacing {
        case .linspace:
            let grid = NumPyRange.linspace(0, Double(lastTimestep - 1), count: steps + 1).map { Int(NumPyRange.round($0)) }
            return Array(grid.reversed().dropLast())
        case .leading:
            let ratio = lastTimestep / (steps + 1)
            return (0...steps).reversed().dropLast().map { $0 * ratio &+ stepsOffset }
        case .trailing:
            return trailing(steps: steps, from: lastTimestep, ratio: Double(numTrainTimesteps) / Double(steps))
        }
    }

    /// `np.round(np.arange(start, 0, -ratio)) - 1`, cut to `steps` values.
    private static func trailing(steps: Int, from start: Int, ratio: Double) -> [Int] {
        NumPyRange.arange(Double(start), 0, step: -ratio).prefix(steps).map { Int(NumPyRange.round($0)) - 1 }
    }
}
