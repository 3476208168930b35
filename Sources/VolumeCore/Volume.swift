public import ArrayCore

/// A 3-D image: voxel values stored `[z][y][x]` (x fastest) plus the geometry that places them in the world.
///
/// `voxels.shape == [size.z, size.y, size.x]`, the layout of SimpleITK's `GetArrayFromImage` and of NIfTI
/// voxel data, so an nnU-Net-style consumer can use `voxels` as its `(z, y, x)` array and `geometry` as props.
public struct Volume<Voxel: Scalar>: Sendable {
    /// Voxel values, shape `[z, y, x]`.
    public var voxels: NDArray<Voxel>
    /// Placement in the world (LPS mm).
    public var geometry: VolumeGeometry

    /// Wraps a 3-D array.
    /// - Throws: `VolumeError.shapeMismatch` when `voxels` is not 3-D.
    public init(voxels: NDArray<Voxel>, geometry: VolumeGeometry) throws(VolumeError) {
        guard voxels.rank == 3 else {
            throw VolumeError(.shapeMismatch, "a volume needs a 3-D [z, y, x] array, got shape \(voxels.shape)")
        }
        self.voxels = voxels
        self.geometry = geometry
    }

    /// A volume of `size` (x, y, z) filled with `value`. The size must be non-negative and countable.
    public init(size: SIMD3<Int>, geometry: VolumeGeometry = .identity, repeating value: Voxel) {
        self.voxels = NDArray(shape: [size.z, size.y, size.x], repeating: value)
        self.geometry = geometry
    }

    /// Number of voxels along i, j, k (x, y, z).
    public var size: SIMD3<Int> { SIMD3(voxels.shape[2], voxels.shape[1], voxels.shape[0]) }

    /// Total voxel count.
    public var voxelCount: Int { voxels.count }

    /// Row-major position of voxel (i, j, k) in `voxels.elements`.
    @inlinable public func linearIndex(_ i: Int, _ j: Int, _ k: Int) -> Int {
        (k * voxels.shape[1] + j) * voxels.shape[2] + i
    }

    /// The voxel at index (i, j, k): i along x, j along y, k along z.
    public subscript(i: Int, j: Int, k: Int) -> Voxel {
        get { voxels.elements[linearIndex(i, j, k)] }
        set { voxels.elements[linearIndex(i, j, k)] = newValue }
    }

    /// Whether (i, j, k) lies inside the grid.
    public func contains(_ index: SIMD3<Int>) -> Bool {
        let s = size
        return index.x >= 0 && index.y >= 0 && index.z >= 0 && index.x < s.x && index.y < s.y && index.z < s.z
    }

    /// The same grid with values converted (C-cast semantics, clamped: see `Scalar`).
    public func converted<T: Scalar>(to type: T.Type) -> Volume<T> {
        Volume<T>(unchecked: voxels.converted(to: type), geometry)
    }

    /// The same grid with `transform` applied to each voxel.
    public func map<T: Scalar>(_ transform: (Voxel) -> T) -> Volume<T> {
        Volume<T>(unchecked: voxels.map(transform), geometry)
    }

    /// For arrays already known to be 3-D.
    package init(unchecked voxels: NDArray<Voxel>, _ geometry: VolumeGeometry) {
        self.voxels = voxels
        self.geometry = geometry
    }
}

extension Volume: Equatable {}
