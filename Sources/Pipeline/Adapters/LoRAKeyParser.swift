import Foundation
import TensorModule

/// Reads a LoRA file's keys into modules: which spelling each key is in, which layer it names and
/// whether it is the down factor, the up factor or the alpha.
enum LoRAKeyParser {
    /// What one key holds.
    enum Role: Equatable { case down, up, alpha }

    /// A key taken apart.
    struct Parsed: Equatable {
        var target: AdapterTarget
        var module: String
        var isKohya: Bool
        var role: Role
    }

    /// kohya prefixes and the model each names.
    static let kohyaPrefixes: [(String, AdapterTarget)] = [
        ("lora_unet_", .unet), ("lora_te1_", .textEncoder), ("lora_te2_", .textEncoder2), ("lora_te_", .textEncoder),
    ]
    /// kohya suffixes (after the first dot).
    static let kohyaRoles: [String: Role] = ["lora_down.weight": .down, "lora_up.weight": .up, "alpha": .alpha]
    /// Dotted suffixes of diffusers / PEFT / training-script files.
    static let dottedRoles: [(String, Role)] = [
        (".lora_A.weight", .down), (".lora_B.weight", .up),
        (".lora_linear_layer.down.weight", .down), (".lora_linear_layer.up.weight", .up),
        (".lora.down.weight", .down), (".lora.up.weight", .up),
        ("_lora.down.weight", .down), ("_lora.up.weight", .up),
        (".alpha", .alpha),
    ]
    /// Dotted prefixes and the model each names (a PEFT file saved from a bare UNet has none).
    static let dottedPrefixes: [(String, AdapterTarget)] = [
        ("unet.", .unet), ("text_encoder_2.", .textEncoder2), ("text_encoder.", .textEncoder),
    ]

    /// Takes one key apart, or says why it is not a LoRA key the SDK applies.
    static func parse(key: String) -> Result<Parsed, UnsupportedKey> {
        for (prefix, target) in kohyaPrefixes where key.hasPrefix(prefix) {
            guard let dot = key.firstIndex(of: ".") else { return .failure(UnsupportedKey(reason: "no '.lora_down.weight' / '.lora_up.weight' / '.alpha' suffix")) }
            let module = String(key[key.index(key.startIndex, offsetBy: prefix.count)..<dot])
            let suffix = String(key[key.index(after: dot)...])
            if let role = kohyaRoles[suffix] { return .success(Parsed(target: target, module: module, isKohya: true, role: role)) }
            return .failure(unsupported(suffix: suffix))
        }
        for (suffix, role) in dottedRoles where key.hasSuffix(suffix) {
            var module = String(key.dropLast(suffix.count))
            var target = AdapterTarget.unet
            for (prefix, named) in dottedPrefixes where module.hasPrefix(prefix) {
                module.removeFirst(prefix.count)
                target = named
                break
            }
            // The attention-processor spelling (`attn1.processor.to_q_lora.down.weight`) names the
            // layer through its processor; diffusers drops `.processor` the same way.
            module = module.replacingOccurrences(of: ".processor.", with: ".")
            if module.hasSuffix(".processor") { module.removeLast(".processor".count) }
            return .success(Parsed(target: target, module: module, isKohya: false, role: role))
        }
        for marker in ["lora_magnitude_vector", "dora_scale"] where key.contains(marker) {
            return .failure(UnsupportedKey(reason: "DoRA (weight-decomposed LoRA) is not supported"))
        }
        let last = key.split(separator: ".").last.map(String.init) ?? key
        return .failure(unsupported(suffix: last))
    }

    /// Why a suffix is refused.
    static func unsupported(suffix: String) -> UnsupportedKey {
        if suffix.hasPrefix("hada_") { return UnsupportedKey(reason: "LoHa (hada_) adapters are not supported") }
        if suffix.hasPrefix("lokr_") { return UnsupportedKey(reason: "LoKr (lokr_) adapters are not supported") }
        if suffix == "dora_scale" { return UnsupportedKey(reason: "DoRA (weight-decomposed LoRA) is not supported") }
        if suffix.hasPrefix("lora_mid") { return UnsupportedKey(reason: "LoCon with a CP-decomposed middle factor (lora_mid) is not supported") }
        if suffix.hasPrefix("diff") { return UnsupportedKey(reason: "full-weight differences (diff) are not supported") }
        return UnsupportedKey(reason: "not a LoRA key in a known spelling (kohya '.lora_down.weight', PEFT '.lora_A.weight', diffusers '.lora.down.weight' / '.lora_linear_layer.down.weight')")
    }

    /// A reason a key is refused.
    struct UnsupportedKey: Error { var reason: String }

    /// Reads every key of the file into modules.
    static func parse(_ file: SafetensorsFile) throws(AdapterError) -> (format: LoRA.Format, modules: [LoRA.Module]) {
        struct Group { var down: (String, Tensor)?; var up: (String, Tensor)?; var alpha: (String, Tensor)?; var parsed: Parsed }
        var groups: [String: Group] = [:]
        var format: LoRA.Format?
        for key in file.tensorNames {
            let parsed: Parsed
            switch parse(key: key) {
            case .success(let value): parsed = value
            case .failure(let error): throw .unsupportedFormat(path: file.path, key: key, reason: error.reason)
            }
            if parsed.isKohya { format = .kohya } else if format == nil || format == .diffusers {
                format = key.contains(".lora_A.") || key.contains(".lora_B.") ? .peft : .diffusers
            }
            let id = "\(parsed.target.rawValue)/\(parsed.isKohya ? "k" : "d")/\(parsed.module)"
            var group = groups[id] ?? Group(parsed: parsed)
            let tensor = try AdapterFile.tensor(file, key)
            switch parsed.role {
            case .down: group.down = (key, tensor)
            case .up: group.up = (key, tensor)
            case .alpha: group.alpha = (key, tensor)
            }
            groups[id] = group
        }
        guard let format else {
            throw .unsupportedFormat(path: file.path, key: "(none)", reason: "the file holds no tensors")
        }
        let metadata = PEFTMetadata(file.metadata)
        var modules: [LoRA.Module] = []
        for group in groups.values {
            guard let (downKey, down) = group.down, let (upKey, up) = group.up else {
                let present = group.down?.0 ?? group.up?.0 ?? group.alpha?.0 ?? group.parsed.module
                let shape = group.down?.1.shape ?? group.up?.1.shape ?? group.alpha?.1.shape ?? []
                throw .invalidTensor(path: file.path, key: present, shape: shape,
                                     reason: group.down == nil ? "has no matching down factor" : "has no matching up factor")
            }
            try check(down: down, key: downKey, up: up, upKey: upKey, path: file.path)
            var alpha: Float?
            if let (alphaKey, value) = group.alpha {
                guard value.shape.reduce(1, *) == 1 else {
                    throw .invalidTensor(path: file.path, key: alphaKey, shape: value.shape, reason: "alpha must be a scalar")
                }
                alpha = value.scalars[0]
            } else if !group.parsed.isKohya {
                alpha = metadata.alpha(target: group.parsed.target, module: group.parsed.module)
            }
            if let value = alpha, !value.isFinite {
                throw .invalidTensor(path: file.path, key: group.alpha?.0 ?? "lora_adapter_metadata", shape: [], reason: "alpha is not finite")
            }
            modules.append(LoRA.Module(target: group.parsed.target, name: group.parsed.module, isKohyaName: group.parsed.isKohya,
                                       key: downKey, upKey: upKey, down: down, up: up, alpha: alpha))
        }
        return (format, modules.sorted { $0.key < $1.key })
    }

    /// The factors must be 2-D (linear) or 4-D (convolution, up `[out, r, 1, 1]`) and chain.
    static func check(down: Tensor, key: String, up: Tensor, upKey: String, path: String) throws(AdapterError) {
        guard down.rank == 2 || down.rank == 4, down.shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidTensor(path: path, key: key, shape: down.shape, reason: "a down factor must be [rank, in] or [rank, in, kh, kw]")
        }
        guard up.rank == 2 || (up.rank == 4 && up.shape[2] == 1 && up.shape[3] == 1), up.shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidTensor(path: path, key: upKey, shape: up.shape, reason: "an up factor must be [out, rank] or [out, rank, 1, 1]")
        }
        guard up.shape[1] == down.shape[0] else {
            throw .invalidTensor(path: path, key: upKey, shape: up.shape,
                                 reason: "rank \(up.shape[1]) differs from the down factor's \(down.shape[0]) (\(key) \(down.shape))")
        }
        let finite = down.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) } && up.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
        guard finite else { throw .invalidTensor(path: path, key: key, shape: down.shape, reason: "holds NaN or infinity") }
    }
}

/// The `lora_adapter_metadata` header entry diffusers' `save_lora_weights` writes: each model's
/// PEFT `LoraConfig` as a flat JSON object with keys prefixed `unet.` / `text_encoder.`.
struct PEFTMetadata {
    private var values: [String: Any] = [:]

    init(_ metadata: [String: String]) {
        guard let text = metadata["lora_adapter_metadata"], let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        values = object
    }

    private static func prefix(_ target: AdapterTarget) -> String {
        switch target {
        case .unet: return "unet."
        case .textEncoder: return "text_encoder."
        case .textEncoder2: return "text_encoder_2."
        }
    }

    /// The alpha PEFT would give `module`: the `alpha_pattern` entry matching its name (a pattern
    /// matches a whole trailing part of the dotted name), else `lora_alpha`; nil without metadata.
    func alpha(target: AdapterTarget, module: String) -> Float? {
        let prefix = Self.prefix(target)
        if let patterns = values[prefix + "alpha_pattern"] as? [String: Any] {
            for (pattern, value) in patterns.sorted(by: { $0.key.count > $1.key.count })
            where module == pattern || module.hasSuffix("." + pattern) {
                if let number = Self.number(value) { return number }
            }
        }
        return values[prefix + "lora_alpha"].flatMap(Self.number)
    }

    /// A JSON number as Float (Foundation hands them over as Int, Double or NSNumber by platform).
    private static func number(_ value: Any) -> Float? {
        if let value = value as? Int { return Float(value) }
        if let value = value as? Double { return Float(value) }
        if let value = value as? NSNumber { return value.floatValue }
        return nil
    }
}
