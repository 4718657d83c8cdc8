/// Element types found in safetensors files.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    /// 64-bit float.
    case f64 = "F64"
    /// 32-bit float.
    case f32 = "F32"
    /// IEEE half precision.
    case f16 = "F16"
    /// bfloat16.
    case bf16 = "BF16"
    /// 64-bit signed integer.
    case i64 = "I64"
    /// 32-bit signed integer.
    case i32 = "I32"
    /// 16-bit signed integer.
    case i16 = "I16"
    /// 8-bit signed integer.
    case i8 = "I8"
    /// 8-bit unsigned integer.
    case u8 = "U8"
    /// Boolean, one byte each.
    case bool = "BOOL"
    /// 8-bit float, E4M3.
    case f8e4m3 = "F8_E4M3"
    /// 8-bit float, E5M2.
    case f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// Whether the SDK can read tensors of this type as Float32.
    public var isReadableAsFloat: Bool { [.f64, .f32, .f16, .bf16].contains(self) }
}

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    /// Element type.
    public var dtype: SafetensorsDType
    /// Extents, outermost first.
    public var shape: [Int]
    /// Byte range relative to the start of the data section.
    public var byteRange: Range<Int>
}
