import Foundation
import Testing
@testable import Tokenizer

/// Code points against what the `tokenizers` library does with them (recorded in unicode.json for
/// every code point): the `\s`, `\p{L}`, `\p{N}` classes of its regular expressions, its lowercase
/// mapping, and the NFC of the code point alone. Exact equality.
///
/// All code points of the planes that hold assigned characters (0–3 and 14) are checked, and every
/// 61st code point of the others (unassigned and private-use planes, where nothing may match); the
/// test first checks that the reference tables have no entry there.
@Suite struct UnicodeTableTests {
    struct Tables: Decodable {
        var classes: [String: [[UInt32]]]
        var lowercase: [Mapping]
        var nfc: [Mapping]

        struct Mapping: Decodable {
            var codePoint: UInt32
            var result: [UInt32]

            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                codePoint = try container.decode(UInt32.self)
                result = try container.decode([UInt32].self)
            }
        }
    }

    static let tables: Result<Tables, any Error> = Result { try TokenizerFixtures.decode(Tables.self, "unicode.json") }

    private static func isInDensePlanes(_ value: UInt32) -> Bool { value < 0x40000 || (0xE0000..<0xF0000).contains(value) }

    /// The code points checked, in order (U+E000 is left out: it marked matches when the table was made).
    private static let checkedScalars: [Unicode.Scalar] = (UInt32(0)...0x10FFFF).compactMap { value in
        guard value != 0xE000, isInDensePlanes(value) || value % 61 == 0 else { return nil }
        return Unicode.Scalar(value)
    }

    @Test func referenceTablesOnlyCoverTheDensePlanes() throws {
        let tables = try Self.tables.get()
        for (name, ranges) in tables.classes {
            #expect(ranges.allSatisfy { Self.isInDensePlanes($0[0]) && Self.isInDensePlanes($0[1]) }, "\(name)")
        }
        #expect(tables.lowercase.allSatisfy { Self.isInDensePlanes($0.codePoint) })
        #expect(tables.nfc.allSatisfy { Self.isInDensePlanes($0.codePoint) })
    }

    @Test(arguments: ["space", "letter", "number"])
    func characterClass(_ name: String) throws {
        let ranges = try #require(try Self.tables.get().classes[name])
        let classify: (Unicode.Scalar) -> Bool = switch name {
        case "space": UnicodeClasses.isWhitespace
        case "letter": UnicodeClasses.isLetter
        default: UnicodeClasses.isNumber
        }
        var wrong: [UInt32] = []
        var rangeIndex = 0
        for scalar in Self.checkedScalars {
            let value = scalar.value
            while rangeIndex < ranges.count && ranges[rangeIndex][1] < value { rangeIndex += 1 }
            let member = rangeIndex < ranges.count && ranges[rangeIndex][0] <= value
            if classify(scalar) != member { wrong.append(value) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10).map { String($0, radix: 16) })")
    }

    @Test func lowercaseMapping() throws {
        let mappings = Dictionary(uniqueKeysWithValues: try Self.tables.get().lowercase.map { ($0.codePoint, $0.result) })
        #expect(mappings.count > 1000)
        // One call over all scalars (each maps on its own), compared with the concatenated expectation.
        let actual = TextNormalizer.lowercased(Self.checkedScalars).map(\.value)
        let expected: [UInt32] = Self.checkedScalars.flatMap { mappings[$0.value] ?? [$0.value] }
        #expect(actual == expected, "\(Self.firstDifference { TextNormalizer.lowercased([$0]).map(\.value) == (mappings[$0.value] ?? [$0.value]) })")
    }

    @Test func canonicalCompositionOfEachCodePoint() throws {
        let mappings = Dictionary(uniqueKeysWithValues: try Self.tables.get().nfc.map { ($0.codePoint, $0.result) })
        #expect(mappings.count > 1000)
        // U+0000 between the scalars is a starter that composes with nothing, so NFC of the joined text
        // is the NFC of each scalar, joined (and one Foundation call instead of 260,000).
        let scalars = Self.checkedScalars.filter { $0.value != 0 }
        let separator = Unicode.Scalar(UInt8(0))
        let joined: [Unicode.Scalar] = scalars.flatMap { [$0, separator] }
        let actual = TextNormalizer.canonicallyComposed(joined[...]).map(\.value)
        let expected: [UInt32] = scalars.flatMap { (mappings[$0.value] ?? [$0.value]) + [0] }
        #expect(actual == expected, "\(Self.firstDifference { TextNormalizer.canonicallyComposed([$0]).map(\.value) == (mappings[$0.value] ?? [$0.value]) })")
    }

    /// The first few code points failing a per-scalar check, for a failure message.
    private static func firstDifference(_ isCorrect: (Unicode.Scalar) -> Bool) -> [String] {
        checkedScalars.filter { !isCorrect($0) }.prefix(10).map { String($0.value, radix: 16) }
    }
}

/// The pieces of the reference's NFC: the canonical decomposition (NFD) of every code point but the
/// algorithmic Hangul syllables, and the combining classes it knows (Unicode 9.0). Exact equality.
@Suite struct CanonicalCompositionTests {
    struct Tables: Decodable {
        var nfd: [UnicodeTableTests.Tables.Mapping]
        var combiningClass: [[UInt32]]

        enum CodingKeys: String, CodingKey {
            case nfd
            case combiningClass = "combining_class"
        }
    }

    static let tables: Result<Tables, any Error> = Result { try TokenizerFixtures.decode(Tables.self, "unicode.json") }

    @Test func decompositionOfEachCodePoint() throws {
        let mappings = Dictionary(uniqueKeysWithValues: try Self.tables.get().nfd.map { ($0.codePoint, $0.result) })
        #expect(mappings.count > 2000)
        // Every other scalar (Hangul syllables aside) must be listed by neither and decompose to itself.
        var wrong: [String] = []
        for value in UInt32(0)...0x10FFFF where mappings[value] != nil || CanonicalComposition.hasListedDecomposition(value) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if CanonicalComposition.decomposed([scalar]).map(\.value) != mappings[value] ?? [value] {
                wrong.append(String(value, radix: 16))
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    @Test func combiningClassesOfUnicode9() throws {
        let known = Dictionary(uniqueKeysWithValues: try Self.tables.get().combiningClass.map { ($0[0], UInt8($0[1])) })
        let decomposable = Set(try Self.tables.get().nfd.map(\.codePoint))
        #expect(known.count > 700)
        var wrong: [String] = []
        for value in UInt32(0x300)...0x10FFFF where !decomposable.contains(value) && Unicode.Scalar(value) != nil {
            if CanonicalComposition.combiningClass(value) != known[value] ?? 0 { wrong.append(String(value, radix: 16)) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    @Test func foundationDifferencesAreHandled() {
        func nfc(_ values: [UInt32]) -> [UInt32] {
            CanonicalComposition.composed(ArraySlice(values.compactMap(Unicode.Scalar.init))).map(\.value)
        }
        // LV syllable + trailing consonant → LVT.
        #expect(nfc([0xAC38, 0x11C2, 0xAC11]) == [0xAC53, 0xAC11])
        // U+0F73's two marks sort before the acute; o + grave still compose.
        #expect(nfc([0x71, 0x301, 0xF73]) == [0x71, 0xF71, 0xF72, 0x301])
        #expect(nfc([0x6F, 0xF73, 0x300]) == [0xF2, 0xF71, 0xF72])
        // U+1DF9 (Unicode 10) is a starter for the reference: nothing moves across it.
        #expect(nfc([0x65, 0x301, 0x1DF9, 0x316]) == [0xE9, 0x1DF9, 0x316])
    }
}
