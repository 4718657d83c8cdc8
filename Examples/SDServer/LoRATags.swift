import Foundation
import StableDiffusion

/// A1111's `<lora:NAME:WEIGHT>` prompt tags resolved against a LoRA folder: the one code path of
/// `sd generate --lora-dir`, `sd serve --lora-dir` and `sd worker --lora-dir`.
public enum LoRATags {
    /// A tag that cannot be applied, in one line.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What is wrong with which tag.
        public let description: String
    }

    /// The LoRAs the prompt's `<lora:NAME:WEIGHT>` tags name, read from `folder` (A1111's LoRA
    /// folder): `NAME.safetensors` at the tag's UNet weight. The SDK scales a LoRA's text-encoder
    /// and UNet parts together, so a tag giving them different weights is an error rather than a
    /// silent choice. A name is a file name in `folder`, never a path, so a prompt cannot read a
    /// file elsewhere.
    ///
    /// - Parameters:
    ///   - prompt: The prompt in A1111's syntax.
    ///   - folder: The LoRA folder.
    ///   - note: Receives one line per LoRA applied.
    /// - Returns: The LoRAs, in the prompt's order.
    /// - Throws: ``Failure`` naming the tag: a weight that is not a number, two weights, a name with a
    ///   path separator, a missing or unreadable file.
    public static func resolve(in prompt: String, folder: String, note: (String) -> Void = { _ in }) throws(Failure) -> [LoRA] {
        var loras: [LoRA] = []
        for tag in A1111Prompt(prompt).loras {
            guard let weight = tag.unetWeight, let textWeight = tag.textEncoderWeight else {
                throw Failure(description: "<lora:\(tag.name):…> in the prompt: its weight is not a number")
            }
            guard weight == textWeight else {
                throw Failure(description: "<lora:\(tag.name):\(textWeight):\(weight)>: separate text-encoder and UNet weights are not supported; give one weight")
            }
            guard !tag.name.isEmpty, !tag.name.contains("/"), !tag.name.contains("\\"), tag.name != "..", tag.name != "." else {
                throw Failure(description: "<lora:\(tag.name):…> in the prompt: a LoRA is named by its file name in the LoRA folder, not a path")
            }
            let path = URL(fileURLWithPath: folder).appendingPathComponent(tag.name + ".safetensors").path
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure(description: "<lora:\(tag.name):…> in the prompt: no \(path) in the --lora-dir folder")
            }
            note("applying \(path) at \(weight) (from the prompt)")
            do { loras.append(try LoRA(contentsOf: path, scale: Float(weight))) } catch {
                throw Failure(description: "<lora:\(tag.name):…>: \(error.description)")
            }
        }
        return loras
    }
}
