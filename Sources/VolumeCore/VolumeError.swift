/// The one error type of `VolumeCore`: invalid geometry or a region that does not fit a volume.
public struct VolumeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Spacing is zero, negative or not finite.
        case invalidSpacing
        /// The direction matrix is singular or not finite; or the origin is not finite.
        case invalidDirection
        /// A region (crop box, pad) does not fit the volume.
        case invalidRegion
        /// The voxel count of the grid does not match the array.
        case shapeMismatch
        /// A resampling request that cannot be met (empty target, non-positive spacing).
        case invalidResampling
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "VolumeError.\(code.rawValue): \(message)" }
}
