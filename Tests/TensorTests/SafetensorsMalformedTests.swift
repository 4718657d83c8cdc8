import Foundation
import Testing
import TensorModule

/// Malformed safetensors files, built byte by byte: each must be rejected when opened with the
/// specific `TensorError` case, naming the file (and the tensor when one is at fault).
@Suite("Malformed safetensors files are rejected")
struct SafetensorsMalformedTests {
    /// The 8-byte little-endian header length followed by `header` and `data`.
    static func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let length = declaredLength ?? UInt64(json.count)
        return withUnsafeBytes(of: length.littleEndian, Array.init) + json + data
    }

    static func entry(_ dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// The tensor the error must name (nil: the file as a whole).
        let tensor: String?
        /// A phrase of the reason, which tells which check fired.
        let reason: String
        var description: String { name }
    }

    static let eightBytes = [UInt8](repeating: 0, count: 8)

    static let cases: [Case] = [
        Case(name: "empty file", bytes: [], tensor: nil, reason: "shorter than the 8-byte header length"),
        Case(name: "truncated in the header length", bytes: [16, 0, 0, 0, 0], tensor: nil,
             reason: "shorter than the 8-byte header length"),
        Case(name: "truncated in the header",
             bytes: Array(file(header: "{\"a\":\(entry())}", declaredLength: 40).prefix(30)), tensor: nil,
             reason: "exceeds the file's remaining"),
        Case(name: "header length larger than the file", bytes: file(header: "{}", declaredLength: 1_000_000),
             tensor: nil, reason: "exceeds the file's remaining"),
        Case(name: "absurdly large header length", bytes: file(header: "{}", declaredLength: UInt64.max),
             tensor: nil, reason: "-byte limit"),
        Case(name: "header length just over the limit",
             bytes: file(header: "{}", declaredLength: UInt64(SafetensorsFile.maximumHeaderBytes) + 1),
             tensor: nil, reason: "-byte limit"),
        Case(name: "header length zero", bytes: file(header: "", data: eightBytes), tensor: nil, reason: "too short"),
        Case(name: "truncated in the data", bytes: file(header: "{\"a\":\(entry())}", data: [0, 0, 0, 0]),
             tensor: "a", reason: "run past the data section"),
        Case(name: "non-JSON header", bytes: file(header: "{not json}"), tensor: nil, reason: "not valid JSON"),
        Case(name: "JSON with trailing bytes", bytes: file(header: "{}{}"), tensor: nil, reason: "not valid JSON"),
        Case(name: "unterminated JSON", bytes: file(header: "{\"a\":{\"dtype\":\"F3"), tensor: nil, reason: "not valid JSON"),
        Case(name: "invalid UTF-8 in a name", bytes: file(header: "{\"\u{1}\"}").map { $0 == 1 ? 0xFF : $0 },
             tensor: nil, reason: "not valid JSON"),
        Case(name: "nesting too deep", bytes: file(header: String(repeating: "[", count: 100) + String(repeating: "]", count: 100)),
             tensor: nil, reason: "not valid JSON"),
        Case(name: "non-object header", bytes: file(header: "[1,2,3]"), tensor: nil, reason: "not a JSON object"),
        Case(name: "entry that is not an object", bytes: file(header: "{\"a\":[1]}"), tensor: "a", reason: "not an object"),
        Case(name: "missing dtype", bytes: file(header: "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data: eightBytes),
             tensor: "a", reason: "'dtype'"),
        Case(name: "unknown dtype", bytes: file(header: "{\"a\":\(entry("F17"))}", data: eightBytes),
             tensor: "a", reason: "unknown dtype 'F17'"),
        Case(name: "negative extent", bytes: file(header: "{\"a\":\(entry(shape: "[-2]"))}", data: eightBytes),
             tensor: "a", reason: "non-integer or negative extent"),
        Case(name: "fractional extent", bytes: file(header: "{\"a\":\(entry(shape: "[2.0]"))}", data: eightBytes),
             tensor: "a", reason: "non-integer or negative extent"),
        Case(name: "shape whose size overflows",
             bytes: file(header: "{\"a\":\(entry(shape: "[4611686018427387904,4]"))}", data: eightBytes),
             tensor: "a", reason: "overflows"),
        Case(name: "shape × dtype larger than the byte range",
             bytes: file(header: "{\"a\":\(entry(shape: "[3]"))}", data: eightBytes + eightBytes),
             tensor: "a", reason: "is 12 bytes but data_offsets span 8"),
        Case(name: "shape × dtype smaller than the byte range",
             bytes: file(header: "{\"a\":\(entry("F16"))}", data: eightBytes), tensor: "a", reason: "is 4 bytes but data_offsets span 8"),
        Case(name: "offsets past the end", bytes: file(header: "{\"a\":\(entry(offsets: "[8,16]"))}", data: eightBytes),
             tensor: "a", reason: "run past the data section"),
        Case(name: "offsets descending", bytes: file(header: "{\"a\":\(entry(shape: "[0]", offsets: "[8,0]"))}", data: eightBytes),
             tensor: "a", reason: "not an ascending pair"),
        Case(name: "negative offset", bytes: file(header: "{\"a\":\(entry(offsets: "[-8,0]"))}", data: eightBytes),
             tensor: "a", reason: "not an ascending pair"),
        Case(name: "malformed offsets", bytes: file(header: "{\"a\":\(entry(offsets: "[0,4,8]"))}", data: eightBytes),
             tensor: "a", reason: "'data_offsets'"),
        Case(name: "offset beyond 64 bits",
             bytes: file(header: "{\"a\":\(entry(offsets: "[0,99999999999999999999]"))}", data: eightBytes),
             tensor: nil, reason: "not valid JSON"),
        Case(name: "overlapping offsets",
             bytes: file(header: "{\"a\":\(entry(shape: "[4]", offsets: "[0,16]")),\"b\":\(entry(shape: "[4]", offsets: "[8,24]"))}",
                         data: eightBytes + eightBytes + eightBytes),
             tensor: "b", reason: "overlaps tensor 'a'"),
        Case(name: "overlap with an empty tensor sorted between",
             bytes: file(header: "{\"a\":\(entry(shape: "[4]", offsets: "[0,16]")),\"e\":\(entry(shape: "[0]", offsets: "[4,4]")),\"c\":\(entry(shape: "[1]", offsets: "[8,12]"))}",
                         data: eightBytes + eightBytes),
             tensor: "c", reason: "overlaps tensor 'a'"),
        Case(name: "duplicate names",
             bytes: file(header: "{\"a\":\(entry()),\"a\":\(entry(offsets: "[8,16]"))}", data: eightBytes + eightBytes),
             tensor: "a", reason: "duplicate name"),
        Case(name: "__metadata__ not an object", bytes: file(header: "{\"__metadata__\":3}"), tensor: nil,
             reason: "__metadata__ is not an object"),
        Case(name: "__metadata__ value not a string", bytes: file(header: "{\"__metadata__\":{\"k\":1}}"), tensor: nil,
             reason: "__metadata__ value for 'k' is not a string"),
        Case(name: "duplicate __metadata__", bytes: file(header: "{\"__metadata__\":{},\"__metadata__\":{}}"),
             tensor: "__metadata__", reason: "duplicate name"),
    ]

    @Test("Each malformation is reported as invalidSafetensors", arguments: cases)
    func malformed(_ testCase: Case) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(testCase.bytes, to: "bad.safetensors")
        #expect {
            _ = try SafetensorsFile(path: path)
        } throws: { error in
            guard case TensorError.invalidSafetensors(let errorPath, let tensor, let reason) = error else { return false }
            return errorPath == path && tensor == testCase.tensor && reason.contains(testCase.reason)
        }
    }

    @Test("Each malformed case differs from a valid file only in its flaw")
    func validBaseline() throws {
        // The same builders make a file that opens: the cases above fail for their flaw alone.
        let directory = try TemporaryDirectory()
        let bytes = Self.file(header: "{\"__metadata__\":{\"k\":\"v\"},\"a\":\(Self.entry()),\"e\":\(Self.entry(shape: "[0,2]", offsets: "[8,8]"))}",
                              data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
        let file = try SafetensorsFile(path: try directory.write(bytes, to: "good.safetensors"))
        #expect(try file.tensor(named: "a").scalars == [1, -2])
        #expect(try file.tensor(named: "e").shape == [0, 2])
        #expect(file.metadata == ["k": "v"])
    }

    @Test("A directory is not a readable file")
    func directory() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: TensorError.fileUnreadable(path: directory.url.path, reason: "not a regular file")) {
            try SafetensorsFile(path: directory.url.path)
        }
    }

    @Test("A missing file is not a readable file")
    func missingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("absent.safetensors")
        #expect {
            _ = try SafetensorsFile(path: path)
        } throws: { error in
            guard case TensorError.fileUnreadable(let errorPath, _) = error else { return false }
            return errorPath == path
        }
    }

    @Test("Error messages name the file and the tensor")
    func messages() {
        let error = TensorError.invalidSafetensors(path: "/m/x.safetensors", tensor: "w", reason: "unknown dtype 'F17'")
        #expect(error.description == "invalid safetensors file /m/x.safetensors, tensor 'w': unknown dtype 'F17'")
    }
}
