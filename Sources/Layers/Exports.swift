// Layers: the building blocks diffusers' and transformers' Stable Diffusion models share
// (linear, convolution, normalization, resnet block, attention, up/downsampling), each loading its
// tensors strictly under the checkpoint's own key names.
@_exported import TensorModule
