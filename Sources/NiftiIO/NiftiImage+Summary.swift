import ArrayCore
import VolumeCore

/// A plain description of a read image, for people (`organa info`) and scripts (its `--json`).
/// Geometry is in SimpleITK's conventions: (x, y, z) order, LPS millimetres, direction row-major.
public struct NiftiImageSummary: Sendable, Codable, Equatable {
    public var format: String
    public var compressed: Bool
    /// The stored datatype (`datatype` field).
    public var storedDatatype: String
    /// The voxel type after intensity scaling, as held in memory.
    public var voxelType: String
    public var size: [Int]
    public var spacing: [Double]
    public var origin: [Double]
    public var direction: [Double]
    public var orientation: String
    public var transformSource: String
    public var qformCode: Int
    public var sformCode: Int
    public var volumeCount: Int
    public var minimum: Double?
    public var maximum: Double?
    public var memoryBytes: Int
    public var warnings: [String]
}

extension NiftiImage {
    /// A summary of this image (computes the value range: one pass over the voxels).
    public var summary: NiftiImageSummary {
        let geometry = volume.geometry
        let size = volume.size
        let range = volume.valueRange
        return NiftiImageSummary(
            format: header.version == .nifti1 ? "NIfTI-1" : "NIfTI-2", compressed: isCompressed,
            storedDatatype: header.niftiDatatype.map { "\($0)" } ?? "code \(header.datatype)",
            voxelType: volume.kind.rawValue, size: [size.x, size.y, size.z],
            spacing: [geometry.spacing.x, geometry.spacing.y, geometry.spacing.z],
            origin: [geometry.origin.x, geometry.origin.y, geometry.origin.z],
            direction: geometry.direction.rowMajor, orientation: geometry.orientationCode,
            transformSource: transformSource.rawValue, qformCode: Int(header.qformCode),
            sformCode: Int(header.sformCode), volumeCount: volumeCount, minimum: range?.min, maximum: range?.max,
            memoryBytes: size.x * size.y * size.z * volume.kind.byteCount, warnings: warnings)
    }
}
