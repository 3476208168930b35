// Design: instance normalisation (Ulyanov et al. 2016; torch.nn.InstanceNorm3d with affine=True,
// track_running_stats=False), optionally fused with the following LeakyReLU.
//
// Per channel: mean and biased variance over all voxels (two passes, accumulated in Double), then
// y = (x − μ) / sqrt(σ² + eps) · γ + β, applied in place as one multiply-add per voxel. Channels run in parallel.
import ArrayCore

/// Instance normalisation with affine parameters.
public struct InstanceNorm: Sendable {
    public let weight: [Float]?
    public let bias: [Float]?
    public let epsilon: Float
    public let name: String

    public init(
        weight: [Float]?, bias: [Float]?, epsilon: Float = 1e-5, name: String = "instance norm"
    )
        throws(NNLayersError)
    {
        guard weight?.count == bias?.count || weight == nil || bias == nil, epsilon >= 0 else {
            throw NNLayersError(.invalidParameter, "\(name): weight and bias differ in size, or eps < 0")
        }
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
        self.name = name
    }

    /// Normalises `map` in place; `negativeSlope` (when given) applies a LeakyReLU in the same pass.
    public func apply(_ map: inout NDArray<Float>, negativeSlope: Float? = nil) throws(NNLayersError) {
        let grid = try Grid(map, layer: name)
        if let weight, weight.count != grid.channels {
            throw NNLayersError(
                .invalidInput, "\(name): input has \(grid.channels) channels, weight has \(weight.count)")
        }
        let voxels = grid.voxels
        let (weight, bias, epsilon) = (self.weight, self.bias, Double(self.epsilon))
        map.elements.withUnsafeMutableBufferPointer { buffer in
            let base = UncheckedSendable(buffer.baseAddress!)
            concurrentChunks(count: grid.channels) { range in
                for c in range {
                    let x = base.value + c * voxels
                    var sum = 0.0
                    for i in 0..<voxels { sum += Double(x[i]) }
                    let mean = sum / Double(voxels)
                    var squares = 0.0
                    for i in 0..<voxels {
                        let d = Double(x[i]) - mean
                        squares += d * d
                    }
                    let inverse = 1 / (squares / Double(voxels) + epsilon).squareRoot()
                    let scale = Float(inverse * Double(weight?[c] ?? 1))
                    let shift = Float(Double(bias?[c] ?? 0) - mean * inverse * Double(weight?[c] ?? 1))
                    if let slope = negativeSlope {
                        for i in 0..<voxels {
                            let y = x[i] * scale + shift
                            x[i] = y >= 0 ? y : y * slope
                        }
                    } else {
                        for i in 0..<voxels { x[i] = x[i] * scale + shift }
                    }
                }
            }
        }
    }
}
