/// Where a scheduler is in its schedule: the full list of timesteps diffusers' `set_timesteps`
/// makes, the index image-to-image starts at (diffusers' `begin_index`), and the index of the next
/// step. Checks the timestep a caller passes against the one due.
struct StepCursor: Sendable {
    /// Every timestep of the full schedule.
    let schedule: [Double]
    /// The index of the first timestep this scheduler runs.
    let begin: Int
    /// The index (into `schedule`) of the next timestep to step.
    private(set) var index: Int
    /// The timesteps from `begin` on: what the scheduler exposes.
    let remaining: [Double]

    /// - Throws: ``SchedulerError/emptySchedule(scheduler:timesteps:begin:)`` when no timestep is left
    ///   from `begin` on: a configuration can clip the schedule away, so this is user input, not an invariant.
    init(schedule: [Double], begin: Int = 0, scheduler: String) throws(SchedulerError) {
        guard begin >= 0, begin < schedule.count else {
            throw .emptySchedule(scheduler: scheduler, timesteps: schedule.count, begin: begin)
        }
        self.schedule = schedule
        self.begin = begin
        self.index = begin
        self.remaining = Array(schedule[begin...])
    }

    /// Checks that `timestep` is the one due and returns the current index.
    func current(_ timestep: Double, scheduler: String) throws(SchedulerError) -> Int {
        guard index < schedule.count else { throw .scheduleFinished(scheduler: scheduler, timesteps: remaining.count) }
        guard timestep == schedule[index] else {
            throw .unexpectedTimestep(scheduler: scheduler, expected: schedule[index], actual: timestep, stepIndex: index - begin)
        }
        return index
    }

    mutating func advance() { index += 1 }

    /// The schedule index of a timestep for `addNoise`: the current position when it is due (as
    /// diffusers uses `begin_index` / `step_index`), else its position in the schedule (the second
    /// occurrence when repeated, as diffusers' `index_for_timestep` picks).
    func noiseIndex(for timestep: Double) -> Int? {
        if index < schedule.count, schedule[index] == timestep { return index }
        let matches = schedule.indices.filter { schedule[$0] == timestep }
        return matches.count > 1 ? matches[1] : matches.first
    }
}

/// Throws unless the model output has the sample's shape.
func checkSameShape(_ modelOutput: Tensor, _ sample: Tensor, scheduler: String) throws(SchedulerError) {
    guard modelOutput.shape == sample.shape else {
        throw .shapeMismatch(operation: "\(scheduler).step", expected: sample.shape, actual: modelOutput.shape)
    }
}
