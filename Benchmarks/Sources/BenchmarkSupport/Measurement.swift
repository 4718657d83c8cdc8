import Foundation

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

    /// Peak resident set (VmHWM from /proc/self/status) in MiB: anonymous memory and touched pages of
    /// mapped files alike.
    public static func peakResidentMiB() -> Double { statusMiB("VmHWM:") }

    /// Current resident set (VmRSS) in MiB.
    public static func residentMiB() -> Double { statusMiB("VmRSS:") }

    /// Resets the peak resident set to the current one (Linux ≥ 4.0: `5` to /proc/self/clear_refs), so
    /// that ``peakResidentMiB()`` reports the peak of what follows. Returns false where unsupported.
    @discardableResult
    public static func resetPeakResident() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }

    private static func statusMiB(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              // "VmHWM:\t 8289280 kB": the field is padded to 8 digits, so from 10⁷ kB (9766 MiB) on no space
              // follows the tab; split on both.
              let kilobytes = Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }
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
