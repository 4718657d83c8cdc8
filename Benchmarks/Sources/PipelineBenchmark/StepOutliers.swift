import BenchmarkSupport

/// The steps of a generation's denoising loop that took much longer than the typical step, and what
/// set them apart: whether our process did more work in them (CPU seconds grew with the wall time:
/// page faults, allocation, our own code) or waited (CPU seconds as usual while the wall time grew:
/// preemption, or the hypervisor giving the cores to another guest, which shows as steal time); and,
/// from the core probe read after each step, whether the cores ran at a lower clock or shared their
/// FMA units with another thread.
struct StepOutliers {
    /// A step is an outlier when its wall time exceeds the median step's by this factor.
    static let threshold = 1.25

    let steps: [[String: Double]]
    /// The median step's wall time.
    let typicalWall: Double
    /// The outlier steps' indices (over every run, in order).
    let outlierIndices: [Int]

    init(_ steps: [[String: Double]]) {
        self.steps = steps
        typicalWall = Self.median("wall", steps)
        outlierIndices = steps.indices.filter { [typicalWall] in (steps[$0]["wall"] ?? 0) > Self.threshold * typicalWall }
    }

    private static func median(_ key: String, _ rows: [[String: Double]]) -> Double {
        Timings(rows.compactMap { $0[key] }).median
    }

    /// Figures for the RESULT line: counts, and typical versus outlier steps side by side.
    var details: [String: Double] {
        guard !steps.isEmpty else { return [:] }
        let outlierSet = Set(outlierIndices)
        let outliers = outlierIndices.map { steps[$0] }
        let typical = steps.indices.filter { !outlierSet.contains($0) }.map { steps[$0] }
        var figures: [String: Double] = [
            "outlier_steps": Double(outliers.count), "step_cpu_median": Self.median("cpu", steps),
            "step_steal_median": Self.median("steal", steps),
        ]
        if !outliers.isEmpty {
            let keys = ["wall", "cpu", "steal", "minor_faults", "involuntary_switches"] + CoreProbeReading.figureNames
            for key in keys where steps.contains(where: { $0[key] != nil }) {
                figures["outlier_\(key)_median"] = Self.median(key, outliers)
                figures["typical_\(key)_median"] = Self.median(key, typical)
            }
        }
        return figures
    }

    /// One line per step (outliers marked), for the log.
    var report: String {
        let outliers = Set(outlierIndices)
        let header = "steps (\(outliers.count) over \(format(Self.threshold, 2))× the median \(format(typicalWall, 2)) s): "
            + "wall / CPU / steal s, minor faults, involuntary switches, probe GHz / FMAs per cycle (all CPUs, each alone)"
        let lines = steps.enumerated().map { index, step in
            let probe = step["probe_ghz"].map {
                "\(format($0, 2)) / \(format(step["probe_fma_per_cycle"] ?? 0, 2)), "
                    + format(step["probe_fma_per_cycle_alone"] ?? 0, 2)
            } ?? "-"
            return "  \(outliers.contains(index) ? "*" : " ") step \(index + 1): \(format(step["wall"] ?? 0, 2)) / \(format(step["cpu"] ?? 0, 2)) / \(format(step["steal"] ?? 0, 2)), \(Int(step["minor_faults"] ?? 0)), \(Int(step["involuntary_switches"] ?? 0)), \(probe)"
        }
        return ([header] + lines).joined(separator: "\n")
    }
}
