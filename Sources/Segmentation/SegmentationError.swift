import NNUNetRuntime

/// The one error type of `Segmentation`: what went wrong and the thing it concerns (a catalog entry, a
/// structure, a model folder, a budget).
public struct SegmentationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The catalog file is missing, unreadable or inconsistent.
        case invalidCatalog
        /// The request names a structure, model or version the catalog does not have, or asks the impossible.
        case invalidRequest
        /// No model in the catalog can give a requested structure for this image.
        case noModelFits
        /// The planned job needs more memory than the budget allows.
        case overBudget
        /// The image cannot be processed (empty, wrong grid).
        case invalidImage
        /// A model failed to load or to run.
        case model
        /// The caller cancelled the job (checked between models and before each tile).
        case cancelled
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "SegmentationError.\(code.rawValue): \(message)" }
}

extension SegmentationError {
    /// A model's failure: `.cancelled` when the prediction was cancelled, `.model` otherwise.
    init(modelFailure error: any Error, model id: String) {
        if let error = error as? SegmentationError {
            self = error
        } else if let error = error as? NNUNetError, error.code == .cancelled {
            self.init(.cancelled, "model \(id): cancelled", underlying: error)
        } else {
            self.init(.model, "model \(id): \(error)", underlying: error)
        }
    }
}
