import Dispatch
import Foundation
import TensorModule

/// Times Stable Diffusion's GEMM shapes through `Tensor.matmul`, and the SDK's conv2d, linear and
/// attention at UNet sizes. Prints the active BLAS kernel, then one line per timed sample:
/// `name <TAB> flops <TAB> seconds` (what `run-gemm.sh` reads). Options:
///   --samples N   timed samples per workload (default 7; the 77-GFLOP VAE shape uses ⌈N/2⌉)
///   --only TEXT   run only workloads whose name contains TEXT
///   --workload N  run only the workload named exactly N
///   --threads N   threads for OpenBLAS (default: every core)
///   --list        print the workload names and exit
struct Options {
    var samples = 7
    var only: String?
    var exact: String?
    var threads: Int?
    var list = false

    init(_ arguments: [String]) {
        var rest = arguments.makeIterator()
        while let argument = rest.next() {
            switch argument {
            case "--samples": samples = rest.next().flatMap(Int.init) ?? samples
            case "--only": only = rest.next()
            case "--workload": exact = rest.next()
            case "--threads": threads = rest.next().flatMap(Int.init)
            case "--list": list = true
            default: FileHandle.standardError.write(Data("ignoring unknown argument \(argument)\n".utf8))
            }
        }
    }

    func wants(_ workload: Workload) -> Bool {
        (only.map { workload.name.contains($0) } ?? true) && (exact.map { workload.name == $0 } ?? true)
    }
}

/// Values in [-1, 1) from a fixed linear congruential sequence: cheap to make for 300M elements.
func filled(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(shape: shape) { buffer in
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        for i in buffer.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            buffer[i] = Float(Int32(truncatingIfNeeded: state >> 32)) * 0x1p-31
        }
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Runs `body` once to warm up, then `samples` timed samples; prints each sample's time per run.
func measure(_ workload: Workload, samples: Int, _ body: () throws -> Tensor) throws {
    var sink: Float = 0
    sink += try body().withUnsafeBufferPointer { $0.first ?? 0 }
    let repetitions = workload.repetitionsPerSample
    for _ in 0..<samples {
        let elapsed = try seconds {
            for _ in 0..<repetitions { sink += try body().withUnsafeBufferPointer { $0.first ?? 0 } }
        }
        print("\(workload.name)\t\(workload.flops)\t\(elapsed / Double(repetitions))")
    }
    if sink.isNaN { print("# (NaN in output)") }   // keeps the results alive
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
if options.list {
    for workload in Workloads.gemms.map(\.workload) + [Workloads.conv2d, Workloads.linear, Workloads.attention] {
        print(workload.name)
    }
    exit(0)
}
if let threads = options.threads { ComputeConfiguration.threads = threads }
let diagnostics = try BLASDiagnostics.current()
print("# kernel \(diagnostics.blasCore) (\(diagnostics.kernelSelection)), \(diagnostics.threads) threads, \(diagnostics.library)")
print("# \(diagnostics.blasConfiguration)")

for shape in Workloads.gemms where options.wants(shape.workload) {
    let a = filled([shape.m, shape.k], seed: 1)
    let b = filled(shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n], seed: 2)
    let samples = shape.workload.flops > 5e10 ? (options.samples + 1) / 2 : options.samples
    try measure(shape.workload, samples: samples) { try a.matmul(b, transposeOther: shape.transposeB) }
}

if options.wants(Workloads.conv2d) {
    let x = filled([2, 320, 64, 64], seed: 3), weight = filled([320, 320, 3, 3], seed: 4) * 0.02
    let bias = filled([320], seed: 5)
    try measure(Workloads.conv2d, samples: options.samples) {
        try x.conv2d(weight: weight, bias: bias, padding: .uniform(1))
    }
}
if options.wants(Workloads.linear) {
    let x = filled([2, 4096, 320], seed: 6), weight = filled([1280, 320], seed: 7), bias = filled([1280], seed: 8)
    try measure(Workloads.linear, samples: options.samples) { try x.linear(weight: weight, bias: bias) }
}
if options.wants(Workloads.attention) {
    let q = filled([2, 4096, 320], seed: 9), k = filled([2, 4096, 320], seed: 10), v = filled([2, 4096, 320], seed: 11)
    try measure(Workloads.attention, samples: options.samples) { try q.attention(key: k, value: v, heads: 8) }
}
