import Foundation

/// What this process and the machine had used at one instant, so that a slow interval can be
/// attributed: to our own work (CPU seconds grow with the wall time), to page faults or to waiting
/// (involuntary context switches, and steal time: the hypervisor running another guest on our cores).
public struct ResourceSnapshot: Sendable {
    /// Wall clock, seconds since boot.
    public var wall: Double
    /// User and system CPU seconds of this process (every thread, OpenBLAS's included).
    public var user: Double, system: Double
    /// Page faults served without and with disk I/O.
    public var minorFaults: Int, majorFaults: Int
    /// Context switches: waits (voluntary) and preemptions (involuntary).
    public var voluntarySwitches: Int, involuntarySwitches: Int
    /// Machine-wide CPU time (all cores, seconds) the hypervisor gave to others (`steal` in /proc/stat),
    /// and the machine's idle time; nil where /proc/stat is unreadable.
    public var steal: Double?, idle: Double?

    /// The figures now.
    public static func now() -> ResourceSnapshot {
        let usage = Measure.resourceUsage()
        let seconds: (timeval) -> Double = Measure.seconds
        let machine = machineTimes()
        return ResourceSnapshot(
            wall: Double(DispatchTime.now().uptimeNanoseconds) / 1e9, user: seconds(usage.ru_utime),
            system: seconds(usage.ru_stime), minorFaults: usage.ru_minflt, majorFaults: usage.ru_majflt,
            voluntarySwitches: usage.ru_nvcsw, involuntarySwitches: usage.ru_nivcsw,
            steal: machine?.steal, idle: machine?.idle)
    }

    /// The first line of /proc/stat: `cpu user nice system idle iowait irq softirq steal …`, in clock
    /// ticks (USER_HZ, 100 on Linux).
    private static func machineTimes() -> (idle: Double, steal: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (fields[3] / ticks, fields[7] / ticks)
    }

    /// What happened between `start` and this snapshot, as JSON-friendly numbers.
    public func since(_ start: ResourceSnapshot) -> [String: Double] {
        var figures: [String: Double] = [
            "wall": wall - start.wall, "cpu": (user + system) - (start.user + start.system),
            "system": system - start.system, "minor_faults": Double(minorFaults - start.minorFaults),
            "major_faults": Double(majorFaults - start.majorFaults),
            "voluntary_switches": Double(voluntarySwitches - start.voluntarySwitches),
            "involuntary_switches": Double(involuntarySwitches - start.involuntarySwitches),
        ]
        if let steal, let startSteal = start.steal { figures["steal"] = steal - startSteal }
        if let idle, let startIdle = start.idle { figures["machine_idle"] = idle - startIdle }
        return figures
    }
}
