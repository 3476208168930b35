/// The one error type of `NNUNetRuntime`. Its message names the offending file, key, tensor or opcode.
public struct NNUNetError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A file or folder cannot be read (missing fold, missing plans.json, I/O error).
        case io
        /// JSON that does not parse, or a field of plans.json / dataset.json with the wrong type or value.
        case invalidJSON
        /// A configuration name that plans.json does not define, or an `inherits_from` cycle.
        case unknownConfiguration
        /// An architecture, convolution, normalisation or non-linearity this runtime does not implement.
        case unsupportedArchitecture
        /// The checkpoint is not a readable PyTorch zip archive (truncated, corrupt, compressed member).
        case invalidArchive
        /// The pickle inside the checkpoint is malformed or uses an opcode or global that is not allowed.
        case invalidPickle
        /// The checkpoint's content does not describe the tensors it should (bad storage, dtype, bounds).
        case invalidCheckpoint
        /// The checkpoint's weights do not match the network built from the plans (missing/unused key, shape).
        case weightMismatch
        /// An input tensor with the wrong rank or channel count for the network.
        case invalidInput
        /// A size limit was exceeded before anything was allocated.
        case limitExceeded
        /// The caller asked the prediction to stop (checked before each tile).
        case cancelled
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
        var text = "NNUNetError.\(code.rawValue): \(message)"
        if let path { text += " (file: \(path))" }
        if let underlying { text += " [cause: \(underlying)]" }
        return text
    }

    /// The same error with `path` set (when not already set).
    func at(_ path: String) -> NNUNetError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }
}
