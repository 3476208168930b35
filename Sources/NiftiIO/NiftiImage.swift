public import VolumeCore

/// What one read of a NIfTI file gives: the voxels with their geometry (nnU-Net's "array + props"), the raw
/// header, and what the reader had to decide on the way.
public struct NiftiImage: Sendable {
    /// The first 3-D volume, geometry in LPS (equal to SimpleITK's `ReadImage`).
    public var volume: AnyVolume
    /// The header exactly as stored.
    public var header: NiftiHeader
    /// The transform the geometry was taken from.
    public var transformSource: NiftiHeader.TransformSource
    /// Whether the file was gzip-compressed.
    public var isCompressed: Bool
    /// Number of 3-D volumes in the file (product of `dim[4...]`); only the first is read.
    public var volumeCount: Int
    /// Things the reader tolerated (ignored fields, extra volumes), in plain words.
    public var warnings: [String]

    /// Geometry of `volume`.
    public var geometry: VolumeGeometry { volume.geometry }
}
