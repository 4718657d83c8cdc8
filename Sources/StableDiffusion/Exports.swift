// The umbrella module: `import StableDiffusion` brings in every component of the SDK.
@_exported import Layers
@_exported import Pipeline
@_exported import Schedulers
@_exported import TensorModule
@_exported import TextEncoder
@_exported import Tokenizer
@_exported import UNet
@_exported import VAE
