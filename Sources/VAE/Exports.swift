// VAE: diffusers' AutoencoderKL as Stable Diffusion 1.x / 2.x uses it — the decoder that turns
// latents into images, the encoder for img2img, the diagonal Gaussian posterior, tiled decoding and
// encoding for large images, and the protocols the pipeline depends on.
@_exported import TensorModule
