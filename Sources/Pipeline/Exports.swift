// Pipeline: tokenizer → text encoder → scheduler-driven UNet → VAE decoder, and the image types.
@_exported import TensorModule
