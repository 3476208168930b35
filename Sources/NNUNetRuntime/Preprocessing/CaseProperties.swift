public import ArrayCore
public import VolumeCore

/// What preprocessing records about a case so that export can undo it: nnU-Net's `properties` dict
/// (`sitk_stuff`, `spacing`, `shape_before_cropping`, `bbox_used_for_cropping`,
/// `shape_after_cropping_and_before_resampling`; research §3, §5). Array axes are nnU-Net's: the input's
/// `(z, y, x)` permuted by `transpose_forward` ("transposed" below).
public struct CaseProperties: Sendable, Equatable {
    /// Geometry of the input image; the segmentation is written with it.
    public var geometry: VolumeGeometry
    /// Input spacing in mm, `(z, y, x)` order (`props['spacing']`).
    public var spacing: [Double]
    /// Input spacing in mm, transposed axes.
    public var transposedSpacing: [Double]
    /// Transposed shape of the input.
    public var shapeBeforeCropping: [Int]
    /// Half-open crop per transposed axis (`bbox_used_for_cropping`).
    public var boundingBox: [Range<Int>]
    /// Shape after cropping, before resampling (transposed axes).
    public var shapeAfterCropping: [Int]
    /// Spacing the data was resampled to (transposed axes, 3 entries; for 2-D configurations the first is
    /// the input's own).
    public var targetSpacing: [Double]
}

/// A case ready for the sliding window: `[channels, s0, s1, s2]` float32, plus what export needs.
public struct PreprocessedCase: Sendable {
    public var data: NDArray<Float>
    public var properties: CaseProperties
}
