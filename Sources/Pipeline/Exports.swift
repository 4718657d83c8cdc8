// Pipeline: tokenizer → text encoder → scheduler-driven UNet → VAE decoder, model loading
// (diffusers folders and single-file checkpoints), images and PNG.
@_exported import Schedulers
@_exported import TensorModule
@_exported import TextEncoder
@_exported import Tokenizer
@_exported import UNet
@_exported import VAE
