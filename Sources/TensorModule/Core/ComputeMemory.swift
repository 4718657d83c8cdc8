/// The memory the compute engine keeps for reuse, and a way to hand it back.
///
/// Freed activation buffers (``BufferPool``, up to 1 GiB) and the float32 buffers 16-bit weights are
/// widened into (``WideningBuffers``) are kept so the next layer or step does not fault in fresh
/// pages. Between phases that use different sizes (a UNet's denoising loop, then a VAE decode of
/// much larger images) what was kept cannot serve the next phase and only raises the peak, so the
/// pipeline releases it at those boundaries.
public enum ComputeMemory {
    /// Bytes currently kept for reuse and not in use.
    public static var cachedBytes: Int { BufferPool.retainedBytes + WideningBuffers.retainedBytes }

    /// Returns every kept buffer that is not in use to the system. Safe at any time: work in progress
    /// keeps its buffers, and later work allocates afresh.
    public static func releaseCachedBuffers() {
        WideningBuffers.release()
        BufferPool.drain()
    }
}
