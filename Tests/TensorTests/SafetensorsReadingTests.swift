import Foundation
import Testing
import TensorModule
import _TestSupport

/// Reading files written by Python's `safetensors` (F32, F16, BF16, F64), and the writer → reader
/// round trip. Widening to float32 is exact (F16, BF16) or correctly rounded (F64), so values must
/// equal torch's `.to(torch.float32)` bit for bit.
@Suite("Safetensors reading and writing")
struct SafetensorsReadingTests {
    @Test("F16, BF16 and F64 files widen exactly as torch does", arguments: ["f16", "bf16", "f64"])
    func dtypes(_ dtype: String) throws {
        let file = try Fixtures.safetensors("tensor_ops/dtype_\(dtype).safetensors")
        #expect(file.entries["values"]?.dtype.rawValue == dtype.uppercased())
        #expect(file.entries["expected"]?.dtype == .f32)
        let values = try file.tensor(named: "values"), expected = try file.tensor(named: "expected")
        expectIdentical(values, expected, "\(dtype) widened to F32")
        // The fixtures hold infinities (and F64 a value that overflows float32): not vacuous.
        #expect(values.scalars.contains(.infinity) && values.scalars.contains(-.infinity))
    }

    @Test("Metadata is read")
    func metadata() throws {
        let file = try Fixtures.safetensors("tensor_ops/dtype_f16.safetensors")
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensorNames == ["expected", "values"])
    }

    @Test("Integer tensors are listed but cannot be read as float")
    func integerTensor() throws {
        let path = Fixtures.path("tensor_ops/dtype_f64.safetensors")
        let file = try SafetensorsFile(path: path)
        let entry = try #require(file.entries["ids"])
        #expect(entry.dtype == .i64 && entry.shape == [6] && entry.byteRange.count == 48)
        #expect(throws: TensorError.unsupportedDType(path: path, tensor: "ids", dtype: "I64")) {
            try file.tensor(named: "ids")
        }
    }

    @Test("Asking for a tensor the file does not have")
    func missingTensor() throws {
        let path = Fixtures.path("tensor_ops/dtype_f16.safetensors")
        #expect(throws: TensorError.invalidSafetensors(path: path, tensor: "nope", reason: "no such tensor")) {
            try SafetensorsFile(path: path).tensor(named: "nope")
        }
    }

    static let referenceTensors: [String: Tensor] = [
        "b": Tensor(shape: [2, 3], scalars: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]),
        "a.x": Tensor(shape: [1], scalars: [1.5]),
        "\u{e9}": Tensor.zeros([0, 3]),
        "scalar": Tensor(shape: [], scalars: [3.25]),
        "quote\"d": Tensor(shape: [1, 2], scalars: [-0.0, 1e-3]),
    ]

    @Test("The writer produces the bytes Python's safetensors writes")
    func writerMatchesPython() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("out.safetensors")
        try SafetensorsWriter.write(Self.referenceTensors, metadata: ["format": "pt"], to: path)
        let ours = try Data(contentsOf: URL(fileURLWithPath: path))
        let python = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tensor_ops/writer_reference.safetensors")))
        #expect(ours == python, "header: \(String(decoding: ours.prefix(400), as: UTF8.self))")
    }

    @Test("Writer → reader round trip")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("round.safetensors")
        var tensors = Self.referenceTensors
        tensors["big"] = TorchGenerator(seed: 9).normal(shape: [3, 5, 7])
        tensors["special"] = Tensor(shape: [4], scalars: [.infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude])
        let metadata = ["format": "pt", "note": "line\nbreak \"quoted\" \\ and \u{1}"]
        try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == metadata)
        #expect(Set(file.tensorNames) == Set(tensors.keys))
        for (name, tensor) in tensors {
            let read = try file.tensor(named: name)
            #expect(file.entries[name]?.dtype == .f32)
            expectIdentical(read, tensor, name)
        }
        // Writing again replaces the file atomically and leaves no temporary file behind.
        try SafetensorsWriter.write(["only": Tensor(shape: [1], scalars: [7])], to: path)
        #expect(try SafetensorsFile(path: path).tensorNames == ["only"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["round.safetensors"])
    }

    @Test("Writing into a missing folder throws fileUnwritable")
    func unwritable() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("missing/out.safetensors")
        #expect {
            try SafetensorsWriter.write(["a": .zeros([1])], to: path)
        } throws: { error in
            guard case TensorError.fileUnwritable(let failedPath, _) = error else { return false }
            return failedPath == path
        }
    }
}
