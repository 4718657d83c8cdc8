import Foundation
import TensorModule

/// Clocks and memory figures of this process.
public enum Measure {
    /// Wall seconds `body` took.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// User + system CPU seconds of this process so far: unlike wall time, barely affected by other
    /// processes competing for the cores.
    public static func cpuSeconds() -> Double {
        let usage = resourceUsage()
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// This process's `getrusage(RUSAGE_SELF)`: CPU time, faults and context switches of every thread.
    public static func resourceUsage() -> rusage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage
    }

    /// A `timeval` in seconds.
    public static func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

    /// Peak resident set (the library's ``ResourceUsage/peakResidentBytes``: VmHWM on Linux) in MiB:
    /// anonymous memory and touched pages of mapped files alike; NaN if it cannot be read.
    public static func peakResidentMiB() -> Double { mebibytes(ResourceUsage.peakResidentBytes) }

    /// Current resident set (``ResourceUsage/currentResidentBytes``: VmRSS) in MiB; NaN if unreadable.
    public static func residentMiB() -> Double { mebibytes(ResourceUsage.currentResidentBytes) }

    /// Resets the peak resident set to the current one (Linux ≥ 4.0: `5` to /proc/self/clear_refs), so
    /// that ``peakResidentMiB()`` reports the peak of what follows. Returns false where unsupported.
    @discardableResult
    public static func resetPeakResident() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }

    private static func mebibytes(_ bytes: Int?) -> Double { bytes.map { Double($0) / 1_048_576 } ?? .nan }
}

/// Median and spread of repeated timings.
public struct Timings: Codable {
    /// Every run, in seconds, in the order they ran.
    public var runs: [Double]

    /// Wraps the runs.
    public init(_ runs: [Double]) { self.runs = runs }

    /// The median (the mean of the middle two for an even count).
    public var median: Double {
        let sorted = runs.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The fastest run.
    public var best: Double { runs.min() ?? .nan }
    /// The slowest run.
    public var worst: Double { runs.max() ?? .nan }
    /// (slowest − fastest) / median: how much the runs disagree (0 for one run).
    public var spread: Double { runs.count > 1 ? (worst - best) / median : 0 }

    /// "12.345 s (11.9–13.0, ±4 %, 3 runs)".
    public var summary: String {
        runs.count == 1 ? "\(format(median)) s (1 run)"
            : "\(format(median)) s (\(format(best, 2))–\(format(worst, 2)), spread \(format(100 * spread, 0)) %, \(runs.count) runs)"
    }
}

/// A number with a fixed count of decimals.
public func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
