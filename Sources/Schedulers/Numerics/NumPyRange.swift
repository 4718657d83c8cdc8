/// NumPy's `linspace` and `arange` for Double, reproduced operation for operation, since diffusers
/// derives timesteps from them and rounding decides which timestep a step lands on.
enum NumPyRange {
    /// `np.linspace(start, stop, count, endpoint=endpoint)`: `i · step + start`, the last value set
    /// to `stop` exactly when the endpoint is included.
    static func linspace(_ start: Double, _ stop: Double, count: Int, endpoint: Bool = true) -> [Double] {
        guard count > 0 else { return [] }
        let divisions = endpoint ? count - 1 : count
        let delta = stop - start
        var values: [Double]
        if divisions > 0 {
            let step = delta / Double(divisions)
            values = step == 0
                ? (0..<count).map { Double($0) / Double(divisions) * delta + start }
                : (0..<count).map { Double($0) * step + start }
        } else {
            values = (0..<count).map { Double($0) * delta + start }
        }
        if endpoint && count > 1 { values[count - 1] = stop }
        return values
    }

    /// `np.arange(start, stop, step)` for floats: `ceil((stop − start) / step)` values, filled as
    /// NumPy does (`start + i · ((start + step) − start)`).
    static func arange(_ start: Double, _ stop: Double, step: Double) -> [Double] {
        let length = ((stop - start) / step).rounded(.up)
        guard length.isFinite, length >= 1 else { return [] }
        let count = Int(length)
        let second = start + step
        let delta = second - start
        return (0..<count).map { i in
            switch i {
            case 0: return start
            case 1: return second
            default: return start + Double(i) * delta
            }
        }
    }

    /// `np.round`: half to even.
    static func round(_ value: Double) -> Double { value.rounded(.toNearestOrEven) }
}
