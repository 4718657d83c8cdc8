/// The 32-bit Mersenne Twister (MT19937) exactly as PyTorch's `at::mt19937` runs it: seeded with
/// the low 32 bits of the seed by the 2002 `init_genrand` recurrence, state regenerated lazily on
/// the first draw and every 624 draws after.
///
/// Matches `aten/src/ATen/core/MT19937RNGEngine.h`.
struct MersenneTwister {
    private static let stateSize = 624
    private static let shift = 397
    private static let matrixA: UInt32 = 0x9908_B0DF
    private static let upperMask: UInt32 = 0x8000_0000
    private static let lowerMask: UInt32 = 0x7FFF_FFFF

    private var state: [UInt32]
    private var next = 0

    /// Seeds the engine. PyTorch keeps the full 64-bit seed for `initial_seed()` but only its low
    /// 32 bits reach the state.
    init(seed: UInt64) {
        var state = [UInt32](repeating: 0, count: MersenneTwister.stateSize)
        state[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<MersenneTwister.stateSize {
            let previous = state[j - 1]
            state[j] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(j)
        }
        self.state = state
        // PyTorch starts with `left_ = 1`, so the very first draw regenerates the state.
        self.next = MersenneTwister.stateSize
    }

    /// The next 32 random bits (`CPUGeneratorImpl::random()`).
    mutating func next32() -> UInt32 {
        if next == MersenneTwister.stateSize { regenerate() }
        var y = state[next]
        next += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// 64 random bits from two draws, the first in the high half (`CPUGeneratorImpl::random64()`).
    mutating func next64() -> UInt64 {
        let high = UInt64(next32())
        let low = UInt64(next32())
        return high << 32 | low
    }

    private mutating func regenerate() {
        let n = MersenneTwister.stateSize, m = MersenneTwister.shift
        state.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                let mixed = (s[i] & MersenneTwister.upperMask) | (s[(i + 1) % n] & MersenneTwister.lowerMask)
                let twisted = (mixed >> 1) ^ ((s[(i + 1) % n] & 1) != 0 ? MersenneTwister.matrixA : 0)
                s[i] = s[(i + m) % n] ^ twisted
            }
        }
        next = 0
    }
}
