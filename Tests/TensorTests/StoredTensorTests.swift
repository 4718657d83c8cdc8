import Foundation
import Layers
import Testing
import TensorModule

/// 16-bit weight storage: fp16 / bf16 kept as stored and widened where used. Widening is exact, so
/// every comparison here is bit for bit (NaNs compared as NaNs: their payload is not a value).
@Suite("Stored tensors (fp16 / bf16 weights)")
struct StoredTensorTests {
    /// A safetensors file with one 16-bit tensor, written byte by byte. `headerPadding` spaces make the
    /// header length odd, so the data starts at an odd address in the mapping (safetensors does not
    /// promise alignment).
    static func halfFile(_ directory: TemporaryDirectory, name: String, dtype: String, shape: [Int],
                         bits: [UInt16], headerPadding: Int) throws -> String {
        var header = "{\"w\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[0,\(bits.count * 2)]}}"
        header += String(repeating: " ", count: headerPadding)
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init)
        bytes += Array(header.utf8)
        for value in bits { bytes += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        return try directory.write(bytes, to: name)
    }

    static func sameFloat(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test("Every fp16 and bf16 bit pattern widens exactly, from a misaligned mapping and from memory",
          arguments: [WeightResidency.memoryMapped, .inMemory])
    func exhaustiveWidening(_ residency: WeightResidency) throws {
        let directory = try TemporaryDirectory()
        let bits = (0...0xFFFF).map { UInt16($0) }
        for dtype in ["F16", "BF16"] {
            let path = try Self.halfFile(directory, name: "\(dtype).safetensors", dtype: dtype, shape: [256, 256],
                                         bits: bits, headerPadding: 1)
            let file = try SafetensorsFile(path: path)
            let stored = try file.storedTensor(named: "w", residency: residency)
            #expect(stored.precision == (dtype == "F16" ? .float16 : .bfloat16))
            #expect(stored.isMemoryMapped == (residency == .memoryMapped))
            #expect(stored.storedBytes == 2 * bits.count && stored.shape == [256, 256])
            let expected = bits.map { dtype == "F16" ? Float(Float16(bitPattern: $0)) : Float(bitPattern: UInt32($0) << 16) }
            let widened = stored.float32().scalars
            let mismatches = zip(widened, expected).filter { !Self.sameFloat($0, $1) }.count
            #expect(mismatches == 0, "\(dtype): \(mismatches) of 65536 patterns differ")
            // The read-everything path widens the same way.
            #expect(zip(try file.tensor(named: "w").scalars, expected).allSatisfy { Self.sameFloat($0, $1) })
            // One element at a time: the scalar path that handles what does not fill a vector, on every
            // zero, subnormal, smallest normal, largest finite, infinity and NaN, and a sample of the rest.
            if dtype == "F16", residency == .inMemory {
                let flat = stored.reshaped([65536])
                let edges = (0..<65536).filter { [0, 1, 30, 31].contains(($0 >> 10) & 0x1F) || $0 % 7 == 0 }
                var scalarMismatches = 0
                for index in edges where !Self.sameFloat(try flat.rows(index..<(index + 1)).float32().scalars[0], expected[index]) {
                    scalarMismatches += 1
                }
                #expect(scalarMismatches == 0, "one at a time: \(scalarMismatches) of \(edges.count) patterns differ")
            }
            // Inside withFloat32 too (the reused-buffer path).
            stored.withFloat32 { tensor in
                #expect(tensor.shape == [256, 256])
                #expect(zip(tensor.scalars, expected).allSatisfy { Self.sameFloat($0, $1) })
            }
        }
    }

    @Test("A mapped weight stays readable after its file and source are released")
    func mappedLifetime() throws {
        let directory = try TemporaryDirectory()
        let bits: [UInt16] = (0..<1000).map { Float16(Float($0) / 8).bitPattern }
        let path = try Self.halfFile(directory, name: "w.safetensors", dtype: "F16", shape: [10, 100], bits: bits, headerPadding: 0)
        var stored: StoredTensor?
        do {
            let source = try SafetensorsWeightSource(path: path, residency: .memoryMapped)
            stored = try WeightLoader(source: source).reader().storedTensor("w", shape: [10, 100])
        }
        let values = try #require(stored).float32().scalars
        #expect(values == (0..<1000).map { Float($0) / 8 })
    }

    @Test("Rounding to fp16 and bf16 matches Swift's own round-to-nearest-even conversion")
    func narrowing() {
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519.996, 65520, -65520, 1e-8, 2.9802322e-8, 2.9802326e-8,
                                5.9604645e-8, 6.1035156e-5, 6.1e-5, .infinity, -.infinity, .greatestFiniteMagnitude,
                                Float(bitPattern: 0x3F80_1000), Float(bitPattern: 0x3F80_3000), Float(bitPattern: 0x3F80_8000),
                                Float(bitPattern: 0x3F81_8000), Float(bitPattern: 0x7F7F_FFFF)]
        var state: UInt64 = 12345
        for _ in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let bits = UInt32(truncatingIfNeeded: state >> 32)
            samples.append(Float(bitPattern: bits))
            // Magnitudes around fp16's range, where rounding matters.
            samples.append(Float(bitPattern: (bits & 0x8FFF_FFFF) | 0x3000_0000))
        }
        let tensor = Tensor(shape: [samples.count], scalars: samples)
        let half = StoredTensor(rounding: tensor, to: .float16).float32().scalars
        let halfMismatches = zip(half, samples).filter { !Self.sameFloat($0, Float(Float16($1))) }.count
        #expect(halfMismatches == 0)
        // One value at a time: the scalar path that handles what does not fill a vector.
        let scalarMismatches = samples.prefix(20_000).filter { value in
            let rounded = StoredTensor(rounding: Tensor(shape: [1], scalars: [value]), to: .float16).float32().scalars[0]
            return !Self.sameFloat(rounded, Float(Float16(value)))
        }.count
        #expect(scalarMismatches == 0)
        let brain = StoredTensor(rounding: tensor, to: .bfloat16).float32().scalars
        let brainExpected = samples.map { value -> Float in
            guard !value.isNaN else { return .nan }
            let bits = value.bitPattern
            return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
        }
        #expect(zip(brain, brainExpected).filter { !Self.sameFloat($0, $1) }.isEmpty)
    }

    @Test("Reshaping and taking rows share the 16-bit elements and read the right ones")
    func viewsOfStoredTensors() throws {
        let values = Tensor(shape: [4, 3], scalars: (0..<12).map { Float($0) * 0.5 })
        for precision in StoredPrecision.allCases {
            let stored = StoredTensor(rounding: values, to: precision)
            #expect(stored.precision == precision && stored.count == 12 && stored.rank == 2)
            #expect(stored.reshaped([2, 6]).float32().shape == [2, 6])
            #expect(stored.reshaped([12]).float32().scalars == values.scalars)
            let middle = try stored.rows(1..<3)
            #expect(middle.shape == [2, 3] && middle.float32().scalars == [1.5, 2, 2.5, 3, 3.5, 4])
            #expect(throws: TensorError.self) { try stored.rows(2..<5) }
        }
    }

    @Test("One row widened alone is that row of the whole widened weight, with a low-rank delta too")
    func singleRowWidening() throws {
        let values = Tensor(shape: [5, 3], scalars: (0..<15).map { Float($0) * 0.37 - 2 })
        let update = try LowRankUpdate(up: Tensor(shape: [5, 1], scalars: [1, -2, 0.5, 3, -1]),
                                       down: Tensor(shape: [1, 3], scalars: [0.25, -0.5, 1]), scale: 0.3)
        for precision in StoredPrecision.allCases {
            for stored in [StoredTensor(rounding: values, to: precision), try StoredTensor(rounding: values, to: precision).adding(update)] {
                let whole = stored.float32().scalars
                var row = [Float](repeating: .nan, count: 3)
                for index in 0..<5 {
                    row.withUnsafeMutableBufferPointer { stored.writeFloat32(row: index, into: $0.baseAddress!) }
                    // Exact: the same widening and the same one-row delta product as the whole weight's.
                    #expect(row == Array(whole[(index * 3)..<(index * 3 + 3)]), "\(precision) row \(index)")
                }
            }
        }
    }

    @Test("Nested uses of same-sized weights get separate buffers; buffers are kept for reuse")
    func wideningBuffers() {
        let a = StoredTensor(rounding: Tensor(shape: [64, 64], scalars: (0..<4096).map { Float($0 % 7) }), to: .float16)
        let b = StoredTensor(rounding: Tensor(shape: [64, 64], scalars: (0..<4096).map { Float($0 % 5) }), to: .float16)
        a.withFloat32 { outer in
            b.withFloat32 { inner in
                #expect(outer.scalars == (0..<4096).map { Float($0 % 7) })
                #expect(inner.scalars == (0..<4096).map { Float($0 % 5) })
            }
        }
    }

    @Test("A widened tensor kept past its use is never overwritten by a later widening")
    func keptWideningIsNotReused() {
        let big = StoredTensor(rounding: Tensor(shape: [128, 64], scalars: (0..<8192).map { Float($0 % 11) }), to: .float16)
        let small = StoredTensor(rounding: Tensor(shape: [32, 32], scalars: (0..<1024).map { Float($0 % 3) }), to: .float16)
        // Warm a buffer large enough for both, so the small weight would borrow it if it were free.
        big.withFloat32 { _ in }
        let kept = big.withFloat32 { $0 }
        for _ in 0..<3 {
            small.withFloat32 { #expect($0.scalars == (0..<1024).map { Float($0 % 3) }) }
        }
        #expect(kept.scalars == (0..<8192).map { Float($0 % 11) })
    }

    @Test("A layer on fp16 weights computes exactly what it computes on the widened float32 weights")
    func layersOnHalfWeights() throws {
        let source = RandomWeightSource(seed: 9, precision: .float16)
        let reader = WeightLoader(source: source).reader()
        let linear = try Linear(weights: reader.scoped("proj"), inFeatures: 24, outFeatures: 16)
        let conv = try Conv2D(weights: reader.scoped("conv"), inChannels: 3, outChannels: 5, kernelSize: 3, padding: .uniform(1))
        #expect(linear.weight.precision == .float16 && conv.weight.precision == .float16)
        let x = Tensor(shape: [2, 7, 24], scalars: (0..<(2 * 7 * 24)).map { sin(Float($0)) })
        let image = Tensor(shape: [1, 3, 6, 6], scalars: (0..<108).map { cos(Float($0)) })
        let wideLinear = Linear(weight: linear.weight.float32(), bias: linear.bias)
        let wideConv = Conv2D(weight: StoredTensor(conv.weight.float32()), bias: conv.bias, padding: .uniform(1))
        #expect(try linear(x).scalars == wideLinear(x).scalars)
        #expect(try conv(image).scalars == wideConv(image).scalars)
        // The float32 source makes the same values before rounding: fp16 is within half an fp16 ulp.
        let wide = try WeightLoader(source: RandomWeightSource(seed: 9)).reader().storedTensor("proj.weight", shape: [16, 24])
        #expect(wide.precision == .float32)
        for (half, full) in zip(linear.weight.float32().scalars, wide.float32().scalars) {
            #expect(half == Float(Float16(full)))
        }
    }

    @Test("Stored weights follow the strict loading rules: missing, misshapen, legacy shape")
    func strictStoredLoading() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("w.safetensors")
        try SafetensorsWriter.write(["to_q.weight": Tensor(shape: [2, 2, 1, 1], scalars: [1, 2, 3, 4]),
                                     "to_k.weight": Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])], to: path)
        let loader = WeightLoader(source: try SafetensorsWeightSource(path: path))
        let reader = loader.reader()
        let q = try reader.storedTensor("to_q.weight", shape: [2, 2], orLegacyShape: [2, 2, 1, 1])
        #expect(q.shape == [2, 2] && q.float32().scalars == [1, 2, 3, 4] && q.precision == .float32)
        #expect(throws: TensorError.weightShapeMismatch(key: "to_k.weight", expected: [4], actual: [2, 2], source: path)) {
            try reader.storedTensor("to_k.weight", shape: [4])
        }
        #expect(throws: TensorError.missingWeight(key: "to_v.weight", source: path)) {
            try reader.storedTensor("to_v.weight", shape: [2, 2])
        }
        _ = try reader.storedTensor("to_k.weight", shape: [2, 2])
        try loader.finish()
    }
}
