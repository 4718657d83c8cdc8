/// NFC exactly as the reference computes it.
///
/// The `tokenizers` library normalizes with the `unicode-normalization-alignments` crate, whose
/// tables are Unicode 9.0: a scalar assigned later is a starter that neither decomposes nor
/// composes. Foundation's NFC cannot stand in for it: besides newer tables, on Linux it leaves a
/// precomposed LV Hangul syllable and a trailing consonant apart, and does not reorder the marks of a
/// multi-mark decomposition (U+0F73) with the marks before it. So this is the textbook algorithm
/// (UAX #15): full canonical decomposition, canonical ordering, canonical composition, with the
/// reference's decompositions (`CanonicalDecompositionData`), Swift's combining classes capped at
/// Unicode 9.0 (Unicode keeps them stable), and Hangul done arithmetically.
enum CanonicalComposition {
    /// The Unicode version of the reference's normalization tables.
    static let version: Unicode.Version = (major: 9, minor: 0)

    private struct Tables {
        /// Single-level canonical decompositions.
        var decompositions: [UInt32: [UInt32]] = [:]
        /// (first << 32 | second) → primary composite.
        var compositions: [UInt64: UInt32] = [:]
    }

    private static let tables: Tables = {
        var tables = Tables()
        for item in CanonicalDecompositionData.entries.split(separator: ";") {
            let entry = item.drop(while: \.isWhitespace)
            let excluded = entry.hasPrefix("!")
            let fields = entry.drop(while: { $0 == "!" }).split(separator: ":")
            guard fields.count == 2, let code = UInt32(fields[0], radix: 16) else { continue }
            let mapping = fields[1].split(separator: " ").compactMap { UInt32($0, radix: 16) }
            tables.decompositions[code] = mapping
            if !excluded && mapping.count == 2 {
                tables.compositions[UInt64(mapping[0]) << 32 | UInt64(mapping[1])] = code
            }
        }
        return tables
    }()

    private static let hangulBase: UInt32 = 0xAC00, hangulCount: UInt32 = 11_172
    private static let leadingBase: UInt32 = 0x1100, vowelBase: UInt32 = 0x1161, trailingBase: UInt32 = 0x11A7
    private static let vowelCount: UInt32 = 21, trailingCount: UInt32 = 28

    /// NFC of a run of scalars.
    static func composed(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var decomposed: [UInt32] = []
        decomposed.reserveCapacity(scalars.count + 4)
        for scalar in scalars { appendDecomposition(of: scalar.value, to: &decomposed) }
        reorder(&decomposed)
        return compose(decomposed).compactMap(Unicode.Scalar.init)
    }

    /// NFD of a run of scalars.
    static func decomposed(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var decomposed: [UInt32] = []
        for scalar in scalars { appendDecomposition(of: scalar.value, to: &decomposed) }
        reorder(&decomposed)
        return decomposed.compactMap(Unicode.Scalar.init)
    }

    /// Whether the table lists a decomposition for the scalar (Hangul syllables are not listed).
    static func hasListedDecomposition(_ value: UInt32) -> Bool { tables.decompositions[value] != nil }

    /// The canonical combining class the reference uses: 0 for scalars it does not know.
    static func combiningClass(_ value: UInt32) -> UInt8 {
        if value < 0x300 { return 0 }
        guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age,
              (age.major, age.minor) <= (version.major, version.minor) else { return 0 }
        return scalar.properties.canonicalCombiningClass.rawValue
    }

    private static func appendDecomposition(of value: UInt32, to output: inout [UInt32]) {
        let index = value &- hangulBase
        if index < hangulCount {
            output.append(leadingBase + index / (vowelCount * trailingCount))
            output.append(vowelBase + (index % (vowelCount * trailingCount)) / trailingCount)
            if index % trailingCount != 0 { output.append(trailingBase + index % trailingCount) }
        } else if value >= 0xC0, let mapping = tables.decompositions[value] {
            for part in mapping { appendDecomposition(of: part, to: &output) }
        } else {
            output.append(value)
        }
    }

    /// Stable sort of each run of non-starters by combining class.
    private static func reorder(_ values: inout [UInt32]) {
        var index = 0
        while index < values.count {
            guard combiningClass(values[index]) != 0 else {
                index += 1
                continue
            }
            var end = index
            while end < values.count && combiningClass(values[end]) != 0 { end += 1 }
            if end - index > 1 {
                let sorted = values[index..<end].enumerated().sorted {
                    let (left, right) = (combiningClass($0.element), combiningClass($1.element))
                    return left != right ? left < right : $0.offset < $1.offset
                }
                values.replaceSubrange(index..<end, with: sorted.map(\.element))
            }
            index = end
        }
    }

    private static func compose(_ values: [UInt32]) -> [UInt32] {
        var output: [UInt32] = []
        output.reserveCapacity(values.count)
        var starter: Int?
        var lastClass: UInt8 = 0
        for value in values {
            let currentClass = combiningClass(value)
            if let starter {
                // Not blocked: adjacent to the starter, or every scalar between has a lower class.
                let adjacent = output.count - 1 == starter
                if adjacent || (lastClass != 0 && lastClass < currentClass),
                   let composite = primaryComposite(output[starter], value) {
                    output[starter] = composite
                    continue
                }
            }
            if currentClass == 0 { starter = output.count }
            output.append(value)
            lastClass = currentClass
        }
        return output
    }

    private static func primaryComposite(_ first: UInt32, _ second: UInt32) -> UInt32? {
        let leadingIndex = first &- leadingBase, vowelIndex = second &- vowelBase
        if leadingIndex < 19 && vowelIndex < vowelCount {
            return hangulBase + (leadingIndex * vowelCount + vowelIndex) * trailingCount
        }
        let syllableIndex = first &- hangulBase, trailingIndex = second &- trailingBase
        if syllableIndex < hangulCount && syllableIndex % trailingCount == 0 && trailingIndex > 0 && trailingIndex < trailingCount {
            return first + trailingIndex
        }
        return tables.compositions[UInt64(first) << 32 | UInt64(second)]
    }
}
