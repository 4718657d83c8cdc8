// TextEncoder: CLIP's text transformer (transformers' CLIPTextModel) that turns token ids into the
// conditioning for the UNet, and the `TextEncoding` protocol a pipeline depends on.
@_exported import TensorModule
