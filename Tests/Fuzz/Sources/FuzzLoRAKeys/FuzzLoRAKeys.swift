import Foundation
import FuzzSupport
import Pipeline

/// Fuzzes LoRA key mapping: the input is a list of tensor keys, one per line, each followed by a
/// tab and its shape's extents (`lora_unet_…_to_q.lora_down.weight\t4 16`; missing or bad extents
/// become 1). The keys are written as a safetensors file, read with `LoRA(contentsOf:)` and, when
/// that succeeds, applied to the tiny SD 1.x fixture model. Every outcome must be an applied
/// pipeline or an ``AdapterError`` with a one-line message: never a trap, and nothing applied when
/// it throws.
@_cdecl("FuzzLoRAKeys_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Fixtures/pipeline/sd15-tiny").standardizedFileURL.path
    guard let base = try? StableDiffusionPipeline(contentsOf: model) else { fail("cannot load the fixture model at \(model)") }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-lora-\(getpid()).safetensors").path
    return FuzzDriver.run(argc: argc, argv: argv) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        var tensors: [String: Tensor] = [:]
        for line in text.split(separator: "\n").prefix(64) {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard let key = parts.first.map(String.init), !key.isEmpty, key != "__metadata__" else { continue }
            let extents = (parts.count > 1 ? parts[1].split(separator: " ") : []).prefix(4).map { max(1, min(Int($0) ?? 1, 64)) }
            let shape = extents.isEmpty ? [1] : Array(extents)
            tensors[key] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float($0 % 7) / 7 })
        }
        guard (try? SafetensorsWriter.write(tensors, to: file)) != nil else { return }
        do {
            let lora = try LoRA(contentsOf: file, scale: 0.5)
            let adapted = try base.applying(loras: [lora])
            require(adapted.adapters.loras.count == 1, "applied pipeline lists \(adapted.adapters.loras.count) LoRAs")
        } catch {
            let adapterError: AdapterError?
            switch error {
            case let error as AdapterError: adapterError = error
            case PipelineError.adapter(let error): adapterError = error
            default: adapterError = nil
            }
            guard adapterError != nil else { fail("unexpected error \(error)") }
            requireOneLineMessage(error)
        }
    }
}
