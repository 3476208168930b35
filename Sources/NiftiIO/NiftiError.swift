/// The one error type of `NiftiIO`. Its message names the offending file, field or value.
public struct NiftiError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The file cannot be opened, read or written.
        case io
        /// Neither a NIfTI-1 nor a NIfTI-2 header (wrong `sizeof_hdr` or magic).
        case notNifti
        /// The file ends before the header or the voxel data does.
        case truncated
        /// The gzip stream is corrupt.
        case corruptCompression
        /// `dim` is out of range, negative, or its product overflows.
        case invalidDimensions
        /// The image is larger than the configured voxel, byte or extension limit.
        case limitExceeded
        /// Spacing (`pixdim`) is zero, negative where it must not be, or not finite.
        case invalidSpacing
        /// A datatype this reader does not support (complex, RGB, float128, ...).
        case unsupportedDatatype
        /// Some other header field is inconsistent (`vox_offset`, `bitpix`, transform).
        case invalidHeader
        /// The volume cannot be written as asked (e.g. geometry not representable).
        case invalidVolume
    }

    public var code: Code
    public var message: String
    /// The file concerned, when there is one.
    public var path: String?
    /// The lower-level error, when there is one.
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, path: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.underlying = underlying
    }

    public var description: String {
        var text = "NiftiError.\(code.rawValue): \(message)"
        if let path { text += " (file: \(path))" }
        if let underlying { text += " [cause: \(underlying)]" }
        return text
    }

    /// The same error with `path` set (when not already set).
    func at(_ path: String) -> NiftiError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }
}
