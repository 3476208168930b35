/// The one error type of `LabelOps`: a label map or option that an operation cannot use.
public struct LabelOpsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Code: String, Sendable {
        /// Two volumes that must share a grid differ in size or geometry.
        case geometryMismatch
        /// A radius, volume or distance is negative or not finite.
        case invalidParameter
        /// A priority list misses a label, names one twice, or a label map holds an unknown label.
        case invalidPriority
        /// An axis number outside 0...2.
        case invalidAxis
        /// More components than the label type can count.
        case tooManyComponents
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "LabelOpsError.\(code.rawValue): \(message)" }
}
