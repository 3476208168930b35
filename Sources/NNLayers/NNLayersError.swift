/// The one error type of `NNLayers`: a weight or input whose shape does not fit the layer. The message names
/// the layer (when the caller gave one) and both shapes.
public struct NNLayersError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A weight, bias or parameter has the wrong rank or size.
        case invalidParameter
        /// The input has the wrong rank, channel count or a spatial size the layer cannot take.
        case invalidInput
        /// The output would be larger than `Int` can count or than the layer's size limit.
        case sizeLimit
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "NNLayersError.\(code.rawValue): \(message)" }
}
