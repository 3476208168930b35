/// The one error type of `Phantom`: options that cannot describe a phantom, or a dataset that cannot be written.
public struct PhantomError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Code: String, Sendable {
        /// An option is out of range (the message names it and the accepted range).
        case invalidOption
        /// A label name is not one of `PhantomLabel`'s canonical names.
        case unknownLabel
        /// A file or folder of an nnU-Net dataset could not be written.
        case writeFailed
    }

    public var code: Code
    /// Names the offending option, label or path.
    public var message: String
    /// The error that caused this one, when there is one (e.g. a `NiftiError` while writing).
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        let cause = underlying.map { " (caused by \($0))" } ?? ""
        return "PhantomError.\(code.rawValue): \(message)\(cause)"
    }
}
