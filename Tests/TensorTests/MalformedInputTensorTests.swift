import Foundation
import Testing
import TensorModule

/// Bad input to the tensor engine beyond the byte-level safetensors cases of
/// `SafetensorsMalformedTests`: the in-memory header check, error messages that quote names from
/// hostile files, and writing output files.
@Suite("Malformed input: tensor engine")
struct MalformedInputTensorTests {
    @Test("Checking a header in memory rejects each malformed file exactly as opening it does",
          arguments: SafetensorsMalformedTests.cases)
    func headerFromMemory(_ testCase: SafetensorsMalformedTests.Case) {
        #expect {
            _ = try SafetensorsFile.validateHeader(of: Data(testCase.bytes), source: "upload.safetensors")
        } throws: { error in
            guard case TensorError.invalidSafetensors(let source, let tensor, let reason) = error else { return false }
            return source == "upload.safetensors" && tensor == testCase.tensor && reason.contains(testCase.reason)
        }
    }

    @Test("A valid header in memory gives its entries, metadata and data offset")
    func validHeaderFromMemory() throws {
        let bytes = SafetensorsMalformedTests.file(
            header: "{\"__metadata__\":{\"k\":\"v\"},\"a\":\(SafetensorsMalformedTests.entry())}", data: [UInt8](repeating: 0, count: 8))
        let header = try SafetensorsFile.validateHeader(of: Data(bytes))
        let entry = try #require(header.entries["a"])
        #expect(entry.dtype == .f32 && entry.shape == [2] && entry.byteRange == 0..<8)
        #expect(header.metadata == ["k": "v"])
        #expect(header.dataOffset == bytes.count - 8)
    }

    @Test("A tensor name with line breaks and terminal escapes is quoted escaped, on one line")
    func hostileNameStaysOnOneLine() throws {
        // JSON escapes put a newline, a carriage return, an ESC and a right-to-left override in the name.
        let name = #"evil\n\r\u001b[2J\u202e"#
        let bytes = SafetensorsMalformedTests.file(header: "{\"\(name)\":\(SafetensorsMalformedTests.entry("F99"))}")
        let error = #expect(throws: TensorError.self) { try SafetensorsFile.validateHeader(of: Data(bytes)) }
        let message = error?.description ?? ""
        #expect(!message.contains { $0.isNewline })
        #expect(message.contains(#"tensor 'evil\n\r\u{1B}[2J\u{202E}'"#))
        #expect(message.contains("unknown dtype 'F99'"))
    }

    @Test("Writing into a missing folder is a typed error and leaves no temporary file")
    func unwritableOutput() throws {
        let directory = try TemporaryDirectory()
        let target = directory.path("absent/out.safetensors")
        #expect {
            try SafetensorsWriter.write(["x": Tensor(shape: [1], scalars: [1])], to: target)
        } throws: { error in
            guard case TensorError.fileUnwritable(let path, _) = error else { return false }
            return path == target
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }
}
