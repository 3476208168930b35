import LabelOps

/// The one error type of `PostProcessing`: inputs that cannot be post-processed together.
public struct PostProcessingError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Two inputs (label map, fat-candidate mask, CT, reference) differ in size or geometry.
        case geometryMismatch
        /// An option is out of range (negative distance, threshold outside 0...1, duplicate label).
        case invalidOption
        /// A label-map operation failed (see `underlying`).
        case labelOperationFailed
    }

    public var code: Code
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        let cause = underlying.map { " (caused by \($0))" } ?? ""
        return "PostProcessingError.\(code.rawValue): \(message)\(cause)"
    }
}

/// Runs a LabelOps call, wrapping its error.
func labelOp<T>(_ what: String, _ body: () throws(LabelOpsError) -> T) throws(PostProcessingError) -> T {
    do {
        return try body()
    } catch {
        let code: PostProcessingError.Code = error.code == .geometryMismatch ? .geometryMismatch : .labelOperationFailed
        throw PostProcessingError(code, "\(what): \(error.message)", underlying: error)
    }
}
