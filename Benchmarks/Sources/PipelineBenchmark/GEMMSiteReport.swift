import BenchmarkSupport
import Foundation
import StableDiffusion

/// The table `--gemm-sites N` prints after an item: the GEMM calls of its timed runs by call site
/// (linear layers, Winograd products, attention's `P V`, …), then its `N` longest shapes, in
/// thread-seconds per run (a call whose tiles the threads share counts every thread's time), so
/// that the GEMM time of a step splits into the kinds of work the SDK does.
struct GEMMSiteReport {
    let statistics: [BLASDiagnostics.GEMMCallStatistics]
    let threads: Int
    /// Runs the statistics were collected over (their figures are divided by it).
    let runs: Int
    /// Shapes listed after the sites.
    let shapeRows: Int

    var text: String {
        let perRun = 1 / Double(max(runs, 1))
        let total = statistics.map { $0.threadSeconds(threads: threads) }.reduce(0, +)
        var lines = ["GEMM by call site, per run (\(threads) threads; thread-seconds count every thread of a shared call):",
                     row("site", "calls", "thread s", "share", "GFLOPS/thread")]
        var sites: [(site: BLASDiagnostics.GEMMSite, calls: Int, seconds: Double, flops: Int)] = []
        for (site, calls) in Dictionary(grouping: statistics, by: \.site) {
            let seconds = calls.map { $0.threadSeconds(threads: threads) }.reduce(0, +)
            sites.append((site, calls.map(\.calls).reduce(0, +), seconds, calls.map(\.flops).reduce(0, +)))
        }
        for entry in sites.sorted(by: { $0.seconds > $1.seconds }) {
            let share = total > 0 ? 100 * entry.seconds / total : 0
            let rate = entry.seconds > 0 ? Double(entry.flops) / entry.seconds / 1e9 : 0
            lines.append(row(entry.site.rawValue, format(Double(entry.calls) * perRun, 0), format(entry.seconds * perRun, 3),
                             format(share, 1) + " %", format(rate, 1)))
        }
        lines.append("The \(min(shapeRows, statistics.count)) longest shapes (m × n × k; tiles shared between threads or one thread per call):")
        let longest = statistics.sorted { $0.threadSeconds(threads: threads) > $1.threadSeconds(threads: threads) }
        for call in longest.prefix(shapeRows) {
            let seconds = call.threadSeconds(threads: threads)
            let shape = "\(call.site.rawValue) \(call.m)×\(call.n)×\(call.k) \(call.tilesShared ? "shared" : "one thread")"
            lines.append(row(shape, format(Double(call.calls) * perRun, 0), format(seconds * perRun, 3),
                             format(total > 0 ? 100 * seconds / total : 0, 1) + " %", format(call.gflopsPerThread(threads: threads), 1)))
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ calls: String, _ seconds: String, _ share: String, _ rate: String) -> String {
        name.padding(toLength: 44, withPad: " ", startingAt: 0) + " " + calls.leftPadded(8) + " " + seconds.leftPadded(9)
            + " " + share.leftPadded(7) + " " + rate.leftPadded(13)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
