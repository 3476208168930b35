/// What phantom to generate: the voxel grid, the patient (by seed), noise and tumour toggles.
///
/// The anatomy lives in world millimetres (LPS) and depends only on `seed`, `includesTumor` and
/// `exophyticProbability`; the grid (`size`, `spacing`, `centre`) only samples it. So the same seed at
/// 0.8×0.8×2.5 mm and at 0.8×0.8×5 mm shows the same patient, and structure volumes in mL agree.
public struct PhantomOptions: Sendable, Hashable, Codable {
    /// Voxels along x, y, z. Default 256 × 256 × 120.
    public var size: SIMD3<Int>
    /// Voxel size along x, y, z in mm. Default 1.5 × 1.5 × 2.5 mm (a 384 × 384 × 300 mm field of view).
    public var spacing: SIMD3<Double>
    /// World point (LPS, mm) at the centre of the grid. Default (0, 0, 0): the kidneys are near the centre.
    public var centre: SIMD3<Double>
    /// Picks the patient: body shape, organ sizes and positions, HU levels, tumour, bowel. Default 1.
    public var seed: UInt64
    /// Standard deviation of the image noise in HU (after the partial-volume blur). Default 12 HU.
    public var noise: Double
    /// Whether one kidney carries a tumour. Default `true`.
    public var includesTumor: Bool
    /// Probability that the tumour is exophytic (bulges out of the kidney) rather than mostly inside it. Default 0.5.
    public var exophyticProbability: Double

    public init(
        size: SIMD3<Int> = SIMD3(256, 256, 120), spacing: SIMD3<Double> = SIMD3(1.5, 1.5, 2.5),
        centre: SIMD3<Double> = .zero, seed: UInt64 = 1, noise: Double = 12, includesTumor: Bool = true,
        exophyticProbability: Double = 0.5
    ) {
        self.size = size
        self.spacing = spacing
        self.centre = centre
        self.seed = seed
        self.noise = noise
        self.includesTumor = includesTumor
        self.exophyticProbability = exophyticProbability
    }

    /// Options whose spacing is chosen so that `size` voxels cover `fieldOfView` mm on each axis.
    public init(size: SIMD3<Int>, fieldOfView: SIMD3<Double>, seed: UInt64 = 1) {
        let voxels = SIMD3<Double>(Double(max(size.x, 1)), Double(max(size.y, 1)), Double(max(size.z, 1)))
        self.init(size: size, spacing: fieldOfView / voxels, seed: seed)
    }

    /// Extent of the grid in mm along x, y, z (`size × spacing`).
    public var fieldOfView: SIMD3<Double> {
        SIMD3(Double(size.x), Double(size.y), Double(size.z)) * spacing
    }

    /// Largest accepted extent along one axis, in voxels.
    public static let maximumExtent = 2048
    /// Largest accepted voxel count (2 GiB of Int16 plus the label map would be unreasonable for a phantom).
    public static let maximumVoxelCount = 1 << 30

    /// Checks every option and reports all problems at once.
    /// - Throws: `PhantomError.invalidOption` listing each bad option with its accepted range.
    public func validate() throws(PhantomError) {
        var problems: [String] = []
        for axis in 0..<3 where !(1...Self.maximumExtent).contains(size[axis]) {
            problems.append("size \(Self.axisName(axis)) = \(size[axis]) must be in 1...\(Self.maximumExtent)")
        }
        if problems.isEmpty, size.x * size.y * size.z > Self.maximumVoxelCount {
            problems.append("size \(size.x)×\(size.y)×\(size.z) exceeds \(Self.maximumVoxelCount) voxels")
        }
        for axis in 0..<3 where !(spacing[axis].isFinite && spacing[axis] >= 0.05 && spacing[axis] <= 50) {
            problems.append("spacing \(Self.axisName(axis)) = \(spacing[axis]) mm must be in 0.05...50")
        }
        if !(0..<3).allSatisfy({ centre[$0].isFinite && abs(centre[$0]) <= 1000 }) {
            problems.append("centre \(centre) must be finite and within ±1000 mm")
        }
        if !(noise.isFinite && noise >= 0 && noise <= 500) {
            problems.append("noise = \(noise) HU must be in 0...500")
        }
        if !(exophyticProbability >= 0 && exophyticProbability <= 1) {
            problems.append("exophyticProbability = \(exophyticProbability) must be in 0...1")
        }
        guard problems.isEmpty else {
            throw PhantomError(.invalidOption, problems.joined(separator: "; "))
        }
    }

    private static func axisName(_ axis: Int) -> String { ["x", "y", "z"][axis] }
}
