import TensorModule
import UNet

/// The ControlNet part of one generation, prepared once by the ``DenoisingSession``: each net's
/// control image converted as diffusers' `prepare_image` does (Lanczos-resized to the output size,
/// `/255`, no −1…1 normalisation), and, per denoiser call, the summed residuals of the nets that are
/// active at that step (diffusers' `MultiControlNetModel`).
///
/// A net outside its start/end window is not run: diffusers runs it at scale 0, and adding its zero
/// residuals changes no value, so skipping it gives the same latents with less work.
struct ControlGuidance {
    struct Net {
        let input: ControlNetInput
        /// `[1, 3, H, W]` in 0…1.
        let image: Tensor
    }

    let nets: [Net]

    /// Prepares the control images for an output of `width` × `height`.
    init(inputs: [ControlNetInput], width: Int, height: Int) {
        nets = inputs.map { input in
            let resized = input.controlImage.resizedLanczos(width: width, height: height)
            return Net(input: input, image: Self.unitTensor(resized))
        }
    }

    /// The residuals for one denoiser call of `step` (of `stepCount`): the active nets' residuals,
    /// summed, for a batch of `latents` with `context`; nil when no net is active.
    func residuals(step: Int, of stepCount: Int, latents: Tensor, timestep: Double,
                   context: Tensor) throws(PipelineError) -> ControlResiduals? {
        var total: ControlResiduals?
        let batch = latents.shape[0]
        for net in nets where net.input.isActive(step: step, of: stepCount) {
            // diffusers repeats the image per image and, with guidance, once more for the
            // unconditional half: every row is the same image.
            let image = try attributing(to: "ControlNet") { try Tensor.concatenate(Array(repeating: net.image, count: batch), axis: 0) }
            let residuals = try attributing(to: "ControlNet") {
                try net.input.model.residuals(latents: latents, timestep: timestep, context: context,
                                              controlImage: image, scale: net.input.scale)
            }
            guard let sum = total else { total = residuals; continue }
            total = ControlResiduals(down: zip(sum.down, residuals.down).map { $0 + $1 }, mid: sum.mid + residuals.mid)
        }
        return total
    }

    /// An RGB image as `[1, 3, H, W]` float32 in 0…1 (`np.array(image) / 255`, diffusers' `pil_to_numpy`).
    static func unitTensor(_ image: RGBImage) -> Tensor {
        let plane = image.width * image.height
        return Tensor(shape: [1, 3, image.height, image.width]) { buffer in
            for i in 0..<plane {
                for c in 0..<3 { buffer[c * plane + i] = Float(image.pixels[i * 3 + c]) / 255 }
            }
        }
    }
}
