import CoreProbe
import Dispatch
import Synchronization

/// A core's clock rate and FMA rate, read by timing fixed instruction loops on every CPU the compute
/// threads use, at once and one at a time. Where the hypervisor exposes no hardware counters (`perf
/// stat -e cycles` prints "not supported" on the AMD EPYC guests of Performance.md), this tells some
/// causes of a slow interval apart: a lower clock (both loops slow down), or another thread on the
/// same physical core (the clock holds and the FMAs per cycle drop below the core's 2), which may be
/// our own other virtual CPU (the rate drops only while all run) or another guest's (it drops on a
/// CPU alone too). A thread that loses its CPU during a loop reads low on both; the loops touch only
/// registers, so contention in shared caches and memory does not show.
public struct CoreProbeReading: Sendable {
    /// Clock rate, GHz, from 16 dependent one-cycle additions per iteration: the lowest of all the
    /// readings (every CPU at once and each alone).
    public var gigahertz: Double
    /// Fused multiply-adds per cycle of the reading thread's clock, with every CPU running the loops
    /// at once: the slowest CPU's (2 on an idle Zen 3 core).
    public var fmaPerCycle: Double
    /// The same rate read on each CPU alone while the others wait: the slowest CPU's.
    public var fmaPerCycleAlone: Double

    /// The reading as named figures, as the per-step log records them (names in ``figureNames``).
    public var figures: [String: Double] {
        ["probe_ghz": gigahertz, "probe_fma_per_cycle": fmaPerCycle, "probe_fma_per_cycle_alone": fmaPerCycleAlone]
    }
    /// The names ``figures`` uses.
    public static let figureNames = ["probe_ghz", "probe_fma_per_cycle", "probe_fma_per_cycle_alone"]

    /// Iterations of each loop: about 1 ms each at 3 GHz. Each thread times both loops ``repeats``
    /// times and keeps the medians, so that one preemption inside a loop does not pass for a slow
    /// core; a reading (all CPUs at once, then each alone) costs about 30 ms on 2 CPUs, 0.3 % of a 512²
    /// UNet step.
    static let additionIterations = 200_000, fmaIterations = 50_000, repeats = 5

    /// Reads the probe on the first `threads` CPUs the process may use: on all of them at once (a
    /// thread pinned to each; Dispatch runs them side by side when it has idle workers, as it does
    /// between steps), then on each alone. Nil on CPUs without the loops (not x86-64 with AVX2).
    public static func read(threads: Int) -> CoreProbeReading? {
        var ids = [Int32](repeating: 0, count: 256)
        let cpus = Array(ids.prefix(Int(core_probe_cpus(&ids, Int32(ids.count)))).prefix(max(1, threads)))
        guard !cpus.isEmpty else { return nil }
        let together = Mutex<[(Double, Double)]>([])
        DispatchQueue.concurrentPerform(iterations: cpus.count) { index in
            if let reading = pinned(to: cpus[index]) { together.withLock { $0.append(reading) } }
        }
        let all = together.withLock { $0 }
        let alone = cpus.compactMap { pinned(to: $0) }
        guard !all.isEmpty, !alone.isEmpty else { return nil }
        return CoreProbeReading(gigahertz: (all + alone).map(\.0).min()!, fmaPerCycle: all.map(\.1).min()!,
                                fmaPerCycleAlone: alone.map(\.1).min()!)
    }

    /// ``medians()`` on CPU `cpu`.
    private static func pinned(to cpu: Int32) -> (Double, Double)? {
        guard core_probe_pin(cpu) != 0 else { return nil }
        defer { core_probe_unpin() }
        return medians()
    }

    /// This thread's clock (GHz) and FMAs per cycle: the medians of ``repeats`` timings.
    private static func medians() -> (Double, Double)? {
        var clocks: [Double] = [], rates: [Double] = []
        for _ in 0..<repeats {
            let additions = core_probe_add_chain_seconds(additionIterations)
            let fmas = core_probe_fma_seconds(fmaIterations)
            guard additions > 0, fmas > 0 else { return nil }
            let hertz = 16 * Double(additionIterations) / additions
            clocks.append(hertz / 1e9)
            rates.append(96 * Double(fmaIterations) / fmas / hertz)
        }
        return (Timings(clocks).median, Timings(rates).median)
    }
}
