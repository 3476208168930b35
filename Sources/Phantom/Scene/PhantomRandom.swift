/// SplitMix64, the phantom's own seeded generator: anatomy is drawn from it in a fixed order, so a seed
/// always gives the same patient on every platform (Swift's default generator is not reproducible).
struct PhantomRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return PhantomRandom.mix(state)
    }

    /// A uniform value in `low..<high`.
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in `low...high`.
    mutating func integer(_ low: Int, _ high: Int) -> Int {
        low + Int(next() % UInt64(high - low + 1))
    }

    /// SplitMix64's finaliser: a good 64-bit hash, used for per-voxel noise and per-cell textures.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An approximately standard-normal value from a hash: the sum of four 16-bit uniforms (Irwin–Hall),
    /// centred and scaled to unit variance. Cheap, and independent of how slices are split across threads.
    static func gaussian(_ hash: UInt64) -> Float {
        let a = Float(hash & 0xFFFF)
        let b = Float((hash >> 16) & 0xFFFF)
        let c = Float((hash >> 32) & 0xFFFF)
        let d = Float(hash >> 48)
        // Each uniform has mean 32767.5 and variance 65536²/12; the sum of four has standard deviation 37837.
        return (a + b + c + d - 131_070) * (1 / 37_837.2)
    }

    /// A uniform value in 0..<1 for the cell containing world point `p` (cells of `cell` mm), salted.
    static func cellValue(_ p: SIMD3<Double>, cell: Double, salt: UInt64) -> Double {
        let q = (p / cell).rounded(.down)
        let key =
            UInt64(bitPattern: Int64(q.x)) &* 0x9E37_79B9_7F4A_7C15
            ^ UInt64(bitPattern: Int64(q.y)) &* 0xC2B2_AE3D_27D4_EB4F
            ^ UInt64(bitPattern: Int64(q.z)) &* 0x1656_67B1_9E37_79F9
        return Double(mix(key ^ salt) >> 11) * 0x1p-53
    }
}
