/// How `NiftiReader` reads a file, and the limits it enforces before allocating anything.
public struct NiftiReadOptions: Sendable, Hashable {
    /// How compressed files are inflated.
    public enum Decompression: String, Sendable, Hashable, CaseIterable {
        /// Whole-buffer libdeflate for a single-volume file whose compressed bytes fit `wholeBufferLimitBytes`,
        /// streaming zlib otherwise.
        case automatic
        /// Always stream with zlib: only the voxels are held in memory, never the compressed file.
        case streaming
    }

    /// Largest number of voxels (one volume) the reader accepts.
    public var maxVoxelCount: Int
    /// Largest number of bytes of header extensions (between the header and `vox_offset`).
    public var maxExtensionBytes: Int
    /// Largest compressed file held in memory for whole-buffer inflate (`automatic` only).
    public var wholeBufferLimitBytes: Int
    /// Apply `scl_slope`/`scl_inter` (as ITK does). When applied to an integer type, voxels become `Float`.
    public var applyScaling: Bool
    public var decompression: Decompression

    /// Defaults: 1 Gi voxels (a 512×512×4096 CT), 16 MiB of extensions, whole-buffer inflate up to 2 GiB.
    public init(
        maxVoxelCount: Int = 1 << 30, maxExtensionBytes: Int = 16 << 20, wholeBufferLimitBytes: Int = 2 << 30,
        applyScaling: Bool = true, decompression: Decompression = .automatic
    ) {
        self.maxVoxelCount = maxVoxelCount
        self.maxExtensionBytes = maxExtensionBytes
        self.wholeBufferLimitBytes = wholeBufferLimitBytes
        self.applyScaling = applyScaling
        self.decompression = decompression
    }
}
