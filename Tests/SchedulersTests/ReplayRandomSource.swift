import Schedulers

/// Replays noise recorded from diffusers' `randn_tensor` calls, in order, and notes any request
/// that does not match the recording (a different shape, or more draws than were recorded).
final class ReplayRandomSource: RandomSource {
    private let draws: [Tensor]
    private(set) var consumed = 0
    private(set) var problems: [String] = []

    init(_ draws: [Tensor]) { self.draws = draws }

    func normal(shape: [Int]) -> Tensor {
        defer { consumed += 1 }
        guard consumed < draws.count else {
            problems.append("draw \(consumed) requested but only \(draws.count) were recorded")
            return Tensor.zeros(shape)
        }
        let draw = draws[consumed]
        guard draw.shape == shape else {
            problems.append("draw \(consumed) requested shape \(shape), recorded \(draw.shape)")
            return Tensor.zeros(shape)
        }
        return draw
    }

    /// Every recorded draw was used, each with its recorded shape.
    var replayedExactly: Bool { problems.isEmpty && consumed == draws.count }
}
