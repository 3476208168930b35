/// Where a voxel grid sits in the world: spacing, origin and direction, in LPS millimetres.
///
/// Conventions (see `docs/design/0001-coordinates.md`): voxel index `(i, j, k)` runs along x, y, z of the
/// array (`i` fastest in memory); the world frame is LPS (+x left, +y posterior, +z superior) as in ITK,
/// SimpleITK and DICOM, and
///
///     world = origin + direction · diag(spacing) · index
///
/// Spacing and origin are in (x, y, z) order; `direction`'s columns are the world directions of i, j, k.
/// This is exactly SimpleITK's `Image` geometry, so `spacing`, `origin` and `direction.rowMajor` equal its
/// `GetSpacing()`, `GetOrigin()` and `GetDirection()`.
public struct VolumeGeometry: Sendable, Hashable, Codable {
    /// Voxel size along i, j, k in mm; every entry positive.
    public var spacing: SIMD3<Double>
    /// World position (LPS, mm) of the centre of voxel (0, 0, 0).
    public var origin: SIMD3<Double>
    /// Direction cosines: column n is the unit world direction of index axis n.
    public var direction: Matrix3

    /// Creates a geometry, checking that it maps indices to world points one-to-one.
    /// - Throws: `VolumeError` for non-positive or non-finite spacing, a non-finite origin or a singular direction.
    public init(
        spacing: SIMD3<Double>, origin: SIMD3<Double> = .zero, direction: Matrix3 = .identity
    )
        throws(VolumeError)
    {
        for axis in 0..<3 where !(spacing[axis] > 0 && spacing[axis].isFinite) {
            throw VolumeError(.invalidSpacing, "spacing \(spacing) must be positive and finite on every axis")
        }
        guard (0..<3).allSatisfy({ origin[$0].isFinite }) else {
            throw VolumeError(.invalidDirection, "origin \(origin) is not finite")
        }
        guard direction.inverse != nil else {
            throw VolumeError(.invalidDirection, "direction \(direction.rowMajor) is singular or not finite")
        }
        self.spacing = spacing
        self.origin = origin
        self.direction = direction
    }

    /// Unit spacing, zero origin, identity direction.
    public static let identity = VolumeGeometry(unchecked: SIMD3(1, 1, 1), .zero, .identity)

    /// For values already validated (e.g. derived from a valid geometry).
    package init(unchecked spacing: SIMD3<Double>, _ origin: SIMD3<Double>, _ direction: Matrix3) {
        self.spacing = spacing
        self.origin = origin
        self.direction = direction
    }

    /// The linear part of index → world: `direction · diag(spacing)`.
    public var indexToWorldMatrix: Matrix3 { direction * .diagonal(spacing) }

    /// World point (LPS, mm) of a continuous voxel index.
    public func worldPoint(atIndex index: SIMD3<Double>) -> SIMD3<Double> {
        origin + indexToWorldMatrix * index
    }

    /// Continuous voxel index of a world point (LPS, mm).
    public func continuousIndex(atWorld point: SIMD3<Double>) -> SIMD3<Double> {
        // The initializer guarantees an invertible direction, so the inverse exists.
        let inverse = direction.inverse ?? .identity
        return (inverse * (point - origin)) / spacing
    }

    /// The 4×4 index → world affine (LPS) as row-major rows.
    public var indexToWorldAffine: [[Double]] {
        let m = indexToWorldMatrix
        return [
            [m.row0.x, m.row0.y, m.row0.z, origin.x],
            [m.row1.x, m.row1.y, m.row1.z, origin.y],
            [m.row2.x, m.row2.y, m.row2.z, origin.z],
            [0, 0, 0, 1],
        ]
    }

    /// The same grid shifted so that voxel `offset` becomes the new voxel (0, 0, 0).
    public func shifted(byVoxels offset: SIMD3<Int>) -> VolumeGeometry {
        let start = worldPoint(atIndex: SIMD3<Double>(Double(offset.x), Double(offset.y), Double(offset.z)))
        return VolumeGeometry(unchecked: spacing, start, direction)
    }

    /// Whether two geometries agree within `tolerance` (mm for spacing and origin, absolute for direction).
    public func isApproximatelyEqual(to other: VolumeGeometry, tolerance: Double = 1e-6) -> Bool {
        let spacingDelta = abs(spacing - other.spacing).max()
        let originDelta = abs(origin - other.origin).max()
        return spacingDelta <= tolerance && originDelta <= tolerance
            && direction.maxAbsDifference(to: other.direction) <= tolerance
    }
}

private func abs(_ vector: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(Swift.abs(vector.x), Swift.abs(vector.y), Swift.abs(vector.z))
}
