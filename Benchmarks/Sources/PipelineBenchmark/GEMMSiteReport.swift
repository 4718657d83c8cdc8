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
        // One line per site, then per shape: calls and thread-seconds per run, share, GFLOPS per thread.
        func line(_ name: String, calls: Int, seconds: Double, flops: Int) -> String {
            row(name, format(Double(calls) * perRun, 0), format(seconds * perRun, 3),
                format(total > 0 ? 100 * seconds / total : 0, 1) + " %", format(seconds > 0 ? Double(flops) / seconds / 1e9 : 0, 1))
        }
        let sites = Dictionary(grouping: statistics, by: \.site).map { site, calls in
            (site: site, calls: calls.map(\.calls).reduce(0, +),
             seconds: calls.map { $0.threadSeconds(threads: threads) }.reduce(0, +), flops: calls.map(\.flops).reduce(0, +))
        }
        for entry in sites.sorted(by: { $0.seconds > $1.seconds }) {
            lines.append(line(entry.site.rawValue, calls: entry.calls, seconds: entry.seconds, flops: entry.flops))
        }
        lines.append("The \(min(shapeRows, statistics.count)) longest shapes (m × n × k; tiles shared between threads or one thread per call):")
        let shapes = statistics.map { ($0, $0.threadSeconds(threads: threads)) }.sorted { $0.1 > $1.1 }
        for (call, seconds) in shapes.prefix(shapeRows) {
            let shape = "\(call.site.rawValue) \(call.m)×\(call.n)×\(call.k) \(call.tilesShared ? "shared" : "one thread")"
            lines.append(line(shape, calls: call.calls, seconds: seconds, flops: call.flops))
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
