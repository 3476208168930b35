extension NiftiHeader {
    /// Grid size (x, y, z) of the first volume, validated as `NiftiReader.read` validates it (rank, extents,
    /// datatype, the voxel-count limit of `options`): what a planner may know before reading any voxel.
    public func gridSize(options: NiftiReadOptions = .init()) throws -> SIMD3<Int> {
        try VoxelLayout(header: self, options: options).size
    }
}
