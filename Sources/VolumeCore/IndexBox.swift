/// A half-open box of voxel indices, `lower ≤ (i, j, k) < upper` on each axis.
public struct IndexBox: Sendable, Hashable, Codable {
    /// First index inside the box on each axis (i, j, k).
    public var lower: SIMD3<Int>
    /// One past the last index inside the box on each axis.
    public var upper: SIMD3<Int>

    public init(lower: SIMD3<Int>, upper: SIMD3<Int>) {
        self.lower = lower
        self.upper = upper
    }

    /// The box covering a whole grid of `size`.
    public init(size: SIMD3<Int>) {
        self.init(lower: .zero, upper: size)
    }

    /// Extent on each axis (zero when empty).
    public var size: SIMD3<Int> {
        let extent = upper &- lower
        return SIMD3(max(0, extent.x), max(0, extent.y), max(0, extent.z))
    }

    /// Whether the box holds no voxel.
    public var isEmpty: Bool { size.x == 0 || size.y == 0 || size.z == 0 }

    /// The box grown by `margin` voxels on every side and clipped to a grid of `size`.
    public func expanded(by margin: Int, clippedTo size: SIMD3<Int>) -> IndexBox {
        let low = SIMD3(max(0, lower.x - margin), max(0, lower.y - margin), max(0, lower.z - margin))
        let high = SIMD3(
            min(size.x, upper.x + margin), min(size.y, upper.y + margin), min(size.z, upper.z + margin))
        return IndexBox(lower: low, upper: high)
    }
}
