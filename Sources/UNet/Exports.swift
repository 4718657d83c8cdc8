@_exported import TensorModule
