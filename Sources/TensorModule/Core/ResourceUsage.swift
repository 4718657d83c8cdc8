import Foundation

/// Memory figures of this process, read from the operating system.
public enum ResourceUsage {
    /// The peak resident set size of the process so far, in bytes (`VmHWM` on Linux, `ru_maxrss`
    /// elsewhere), or nil if it cannot be read.
    public static var peakResidentBytes: Int? {
        #if os(Linux)
        if let kilobytes = statusField("VmHWM:") { return kilobytes * 1024 }
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024
        #else
        var usage = rusage()
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss)
        #endif
    }

    /// The current resident set size in bytes (`VmRSS`), or nil where unavailable.
    public static var currentResidentBytes: Int? {
        #if os(Linux)
        return statusField("VmRSS:").map { $0 * 1024 }
        #else
        return nil
        #endif
    }

    private static func statusField(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return kilobytes(name, inStatus: status)
    }

    /// The number after `name` in `/proc/self/status` text. The kernel writes `"VmHWM:\t 8289280 kB"`,
    /// padding to 8 digits, so from 10⁷ kB on no space follows the tab: trimming both is what reads it.
    static func kilobytes(_ name: String, inStatus status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            return Int(line.dropFirst(name.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }
}
