/// The one error type of `Meshing`: bad input (labels, options, meshes) or a file that cannot be written.
public struct MeshingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// An option is out of range (smoothing factor, target reduction, iteration count).
        case invalidOption
        /// A label value that cannot be meshed (negative, not an integer, too large).
        case invalidLabel
        /// A mesh that violates what the operation needs (index out of range, normals count).
        case invalidMesh
        /// A file or stream could not be written.
        case writeFailed
    }

    public var code: Code
    public var message: String
    /// What went wrong underneath (a file-system error), as text.
    public var underlying: String?

    public init(_ code: Code, _ message: String, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        "MeshingError.\(code.rawValue): \(message)" + (underlying.map { " (\($0))" } ?? "")
    }
}
