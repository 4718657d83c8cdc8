import TextEncoder
import Tokenizer

/// A conditioner that can be rebuilt with other tokenizer / encoder pairs in its slots and everything
/// else kept: how adapters (LoRA, textual inversion) give a pipeline new text encoders without changing
/// its family or its conditioner's kind. Internal: an app's own conditioner is not rebuilt, and a
/// pipeline holding one cannot take adapters.
protocol TextEncoderSlotReplacing: PromptConditioner {
    /// The same conditioner over `slots`, one for each of ``PromptConditioner/textEncoders``, in that order.
    ///
    /// - Throws: ``PipelineError/component(name:message:)`` when the count differs or an encoder lacks
    ///   what the slot needs (SDXL's encoders must be `PooledTextEncoding`).
    func replacingTextEncoders(_ slots: [TextEncoderSlot]) throws(PipelineError) -> any PromptConditioner
}

extension CLIPPromptConditioner: TextEncoderSlotReplacing {
    func replacingTextEncoders(_ slots: [TextEncoderSlot]) throws(PipelineError) -> any PromptConditioner {
        guard slots.count == 1 else {
            throw .component(name: "text encoder", message: "\(slots.count) replacement slots for a conditioner with 1")
        }
        return CLIPPromptConditioner(tokenizer: slots[0].tokenizer, textEncoder: slots[0].encoder)
    }
}

extension SDXLPromptConditioner: TextEncoderSlotReplacing {
    func replacingTextEncoders(_ slots: [TextEncoderSlot]) throws(PipelineError) -> any PromptConditioner {
        let expected = textEncoders.count
        guard slots.count == expected else {
            throw .component(name: "text encoder", message: "\(slots.count) replacement slots for a conditioner with \(expected)")
        }
        var encoders: [any PooledTextEncoding] = []
        for (index, slot) in slots.enumerated() {
            guard let pooled = slot.encoder as? any PooledTextEncoding else {
                throw .component(name: index == 0 && expected == 2 ? "text encoder" : "text encoder 2",
                                 message: "SDXL needs an encoder with hidden states and a pooled output (PooledTextEncoding)")
            }
            encoders.append(pooled)
        }
        // The public initializers set what is not a slot from their arguments: the refiner's (one slot)
        // aesthetic-score time ids, and the zeros rule, carried over.
        if expected == 1 {
            return SDXLPromptConditioner(refinerTokenizer: slots[0].tokenizer, textEncoder: encoders[0],
                                         forceZerosForEmptyPrompt: forceZerosForEmptyPrompt)
        }
        return SDXLPromptConditioner(tokenizer: slots[0].tokenizer, textEncoder: encoders[0],
                                     tokenizer2: slots[1].tokenizer, textEncoder2: encoders[1],
                                     forceZerosForEmptyPrompt: forceZerosForEmptyPrompt)
    }
}
