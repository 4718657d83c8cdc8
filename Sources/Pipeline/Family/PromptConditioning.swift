import UNet

/// The conditioning of one prompt across the steps of a generation: a constant value, or several
/// that take turns (AUTOMATIC1111's prompt editing `[from:to:when]` and alternation `[a|b]`).
public struct ConditioningSchedule: Sendable {
    /// One stretch of the schedule.
    public struct Entry: Sendable {
        /// The first step (0-based) that no longer uses this entry; the last entry's is ignored.
        public var endStep: Int
        /// The conditioning, batch 1.
        public var conditioning: DenoiserConditioning

        /// An entry used for the steps before `endStep`.
        public init(endStep: Int, conditioning: DenoiserConditioning) {
            self.endStep = endStep
            self.conditioning = conditioning
        }
    }

    /// Entries in step order, at least one.
    public let entries: [Entry]

    /// The same conditioning for every step.
    public init(_ conditioning: DenoiserConditioning) {
        entries = [Entry(endStep: Int.max, conditioning: conditioning)]
    }

    /// A schedule from entries in increasing `endStep` order.
    ///
    /// - Throws: ``PipelineError/invalidParameter(name:value:allowed:)`` when there are none or their
    ///   steps do not increase.
    public init(entries: [Entry]) throws(PipelineError) {
        guard !entries.isEmpty, zip(entries, entries.dropFirst()).allSatisfy({ $0.endStep < $1.endStep }) else {
            throw .invalidParameter(name: "conditioning schedule", value: "\(entries.map(\.endStep))",
                                    allowed: "one or more entries with increasing end steps")
        }
        self.entries = entries
    }

    /// The conditioning for step `step` (0-based): the first entry whose end lies after it.
    public func conditioning(atStep step: Int) -> DenoiserConditioning {
        (entries.first { step < $0.endStep } ?? entries[entries.count - 1]).conditioning
    }

    /// Whether every step uses the same conditioning.
    public var isConstant: Bool { entries.count == 1 }
}

/// A conditioner's answer for one generation: the positive prompt's schedule and, when guided, the
/// negative prompt's. Each holds batch-1 conditionings; the session repeats them per image and
/// batches the two halves.
public struct PromptConditioning: Sendable {
    /// What the image should show.
    public var positive: ConditioningSchedule
    /// What it should not show (classifier-free guidance's unconditional half); nil when unguided.
    public var negative: ConditioningSchedule?

    /// The two schedules.
    public init(positive: ConditioningSchedule, negative: ConditioningSchedule?) {
        self.positive = positive
        self.negative = negative
    }
}
