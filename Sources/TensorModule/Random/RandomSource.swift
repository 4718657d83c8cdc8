/// A source of random numbers for initial latents and stochastic sampler steps.
///
/// Randomness is always injected (never global, never seeded from the clock), so a generation is
/// reproducible from its inputs. A source is a stateful object: the pipeline passes one source to
/// every consumer in a fixed order (initial noise, then each stochastic step), as diffusers does
/// with a single `torch.Generator`. Not `Sendable`: one generation owns one source.
public protocol RandomSource: AnyObject {
    /// Draws a tensor of independent standard normal samples, in one request.
    ///
    /// The request size matters for sources that mimic PyTorch, whose sampling path depends on the
    /// number of elements drawn at once.
    func normal(shape: [Int]) -> Tensor
}
