/// The one error type of `ArrayCore`: a shape or element count that cannot describe an array.
public struct ArrayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Code: String, Sendable {
        /// A dimension is negative.
        case negativeDimension
        /// The product of the dimensions (or the byte size) does not fit in `Int`.
        case sizeOverflow
        /// The number of elements supplied does not equal the product of the shape.
        case elementCountMismatch
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ArrayError.\(code.rawValue): \(message)" }
}
