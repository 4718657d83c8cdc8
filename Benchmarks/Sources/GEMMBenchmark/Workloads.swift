/// One timed workload: a GEMM shape of Stable Diffusion, or one of the SDK's own call sites.
struct Workload {
    /// The name printed in the results (also the name the C reference uses).
    let name: String
    /// Floating-point operations per run, counted as 2·M·N·K per GEMM.
    let flops: Double
    /// Runs below this many floating-point operations are repeated inside one timed sample, so
    /// that a sample lasts long enough for the clock.
    var repetitionsPerSample: Int { max(1, Int((2e9 / flops).rounded(.up))) }
}

/// A plain GEMM `C[M×N] = A[M×K] · B[K×N]` (or `· Bᵀ` with B stored `[N×K]`).
struct GEMMShape {
    let name: String
    let m: Int, n: Int, k: Int
    let transposeB: Bool

    var workload: Workload { Workload(name: name, flops: 2 * Double(m) * Double(n) * Double(k)) }
}

enum Workloads {
    /// The GEMMs of an SD 1.5 512² image (UNet convs and linears, attention, VAE convs) and of SDXL at 1024², as
    /// `(M, N, K)` with M the spatial positions, N the output channels, K the reduction.
    static let gemms: [GEMMShape] = [
        GEMMShape(name: "unet conv 4096x320x2880", m: 4096, n: 320, k: 2880, transposeB: false),
        GEMMShape(name: "unet conv 1024x640x5760", m: 1024, n: 640, k: 5760, transposeB: false),
        GEMMShape(name: "unet conv 256x1280x11520", m: 256, n: 1280, k: 11520, transposeB: false),
        GEMMShape(name: "unet conv 64x1280x11520", m: 64, n: 1280, k: 11520, transposeB: false),
        GEMMShape(name: "linear 4096x1280x320", m: 4096, n: 1280, k: 320, transposeB: false),
        GEMMShape(name: "linear 4096x320x320", m: 4096, n: 320, k: 320, transposeB: false),
        GEMMShape(name: "attn QK^T 4096x4096x40", m: 4096, n: 4096, k: 40, transposeB: true),
        GEMMShape(name: "attn PV 4096x40x4096", m: 4096, n: 40, k: 4096, transposeB: false),
        GEMMShape(name: "xattn QK^T 4096x77x40", m: 4096, n: 77, k: 40, transposeB: true),
        GEMMShape(name: "vae conv 262144x128x1152", m: 262_144, n: 128, k: 1152, transposeB: false),
        GEMMShape(name: "vae conv 4096x512x4608", m: 4096, n: 512, k: 4608, transposeB: false),
        // SDXL base at 1024² (batch 2): the level-2 (64², 640 channels) and level-3 (32², 1280 channels)
        // transformers, where most of its step goes; attention with 64-wide heads.
        GEMMShape(name: "sdxl linear 8192x640x640", m: 8192, n: 640, k: 640, transposeB: false),
        GEMMShape(name: "sdxl ff 2048x10240x1280", m: 2048, n: 10240, k: 1280, transposeB: false),
        GEMMShape(name: "sdxl ff 2048x1280x5120", m: 2048, n: 1280, k: 5120, transposeB: false),
        GEMMShape(name: "sdxl attn QK^T 4096x4096x64", m: 4096, n: 4096, k: 64, transposeB: true),
        GEMMShape(name: "sdxl attn PV 4096x64x4096", m: 4096, n: 64, k: 4096, transposeB: false),
    ]

    /// The SDK's own operations at UNet sizes, to show the cost around their GEMMs. The C reference
    /// runs only the GEMMs these ops make (no im2col, bias or softmax), so the ratio is the share of
    /// the time that is GEMM.
    static let conv2d = Workload(name: "Tensor.conv2d 2x320x64x64 k3", flops: 2 * 2 * 320 * 4096 * 2880)
    static let linear = Workload(name: "Tensor.linear 2x4096x320->1280", flops: 2 * 8192 * 1280 * 320)
    static let attention = Workload(name: "Tensor.attention 2x4096x(8x40)", flops: 2 * 8 * 2 * (2 * 4096 * 4096 * 40))
}
