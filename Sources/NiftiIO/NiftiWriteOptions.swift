/// How `NiftiWriter` writes a file. Whether it is gzip-compressed follows the path (`.nii.gz` vs `.nii`).
public struct NiftiWriteOptions: Sendable, Hashable {
    /// Header layout. NIfTI-1 (the default) is what every tool reads; NIfTI-2 allows extents above 32767.
    public var version: NiftiHeader.Version
    /// libdeflate level, 1 (fastest) to 12 (smallest); see docs/BENCHMARKS.md for the trade-off.
    public var compressionLevel: Int
    /// Free text for the header's `descrip` field (at most 79 bytes are kept).
    public var description: String

    public init(version: NiftiHeader.Version = .nifti1, compressionLevel: Int = 6, description: String = "") {
        self.version = version
        self.compressionLevel = compressionLevel
        self.description = description
    }
}
