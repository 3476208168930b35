// Design: an nnU-Net U-Net (PlainConvUNet or ResidualEncoderUNet, 2-D or 3-D) with its weights, run on one tile.
//
// Built from a `UNetArchitecture` and a checkpoint with strict matching (`UNet+Loading.swift`). Forward pass as
// dynamic_network_architectures with deep_supervision=False: encoder stages keep their outputs as skips; each
// decoder stage upsamples (transposed conv), concatenates (upsampled, skip) and runs its conv blocks; the last
// stage's 1×1 segmentation conv gives the logits. A conv block is conv → InstanceNorm → LeakyReLU with norm and
// activation fused into one pass (NNLayers). Input: [C, D, H, W] (or [C, H, W]) float32, batch size one; every
// spatial size must be a multiple of the total stride so that upsampled maps meet their skips.
import ArrayCore
import NNLayers

/// conv → instance norm → (LeakyReLU), as `ConvDropoutNormReLU` (dropout is the identity at inference).
struct ConvBlock: Sendable {
    var conv: Convolution
    var norm: InstanceNorm
    /// nil: no activation (conv2 of a residual block, the projection skip).
    var negativeSlope: Float?

    func callAsFunction(_ input: NDArray<Float>) throws(NNLayersError) -> NDArray<Float> {
        var output = try conv(input)
        try norm.apply(&output, negativeSlope: negativeSlope)
        return output
    }
}

/// BasicBlockD: LeakyReLU(conv2(conv1(x)) + skip(x)).
struct ResidualBlock: Sendable {
    var conv1: ConvBlock
    var conv2: ConvBlock
    /// Average-pooling stride of the skip path, when the block is strided.
    var poolStride: [Int]?
    var projection: ConvBlock?
    var negativeSlope: Float

    func callAsFunction(_ input: NDArray<Float>) throws(NNLayersError) -> NDArray<Float> {
        var output = try conv2(try conv1(input))
        var skip = input
        if let poolStride { skip = try averagePool(skip, stride: poolStride) }
        if let projection { skip = try projection(skip) }
        try addInPlace(&output, skip)
        leakyReLU(&output, negativeSlope: negativeSlope)
        return output
    }
}

/// A loaded nnU-Net network.
public struct UNet: Sendable {
    public let architecture: UNetArchitecture

    enum EncoderStage: Sendable {
        case plain([ConvBlock])
        case residual([ResidualBlock])
    }

    let stem: ConvBlock?
    let encoder: [EncoderStage]
    let transposedConvolutions: [TransposedConvolution]
    let decoder: [[ConvBlock]]
    let segmentation: Convolution

    /// Runs the network on one tile; returns logits [classes, spatial...].
    public func callAsFunction(_ input: NDArray<Float>) throws(NNUNetError) -> NDArray<Float> {
        try validate(input.shape)
        do {
            var skips: [NDArray<Float>] = []
            var features = input
            if let stem { features = try stem(features) }
            for stage in encoder {
                switch stage {
                case .plain(let blocks): for block in blocks { features = try block(features) }
                case .residual(let blocks): for block in blocks { features = try block(features) }
                }
                skips.append(features)
            }
            for (d, blocks) in decoder.enumerated() {
                let upsampled = try transposedConvolutions[d](features)
                features = try concatenateChannels([upsampled, skips[skips.count - 2 - d]])
                skips[skips.count - 1 - d] = NDArray(shape: [0], repeating: 0)  // free the deeper skip early
                for block in blocks { features = try block(features) }
            }
            return try segmentation(features)
        } catch {
            throw NNUNetError(.invalidInput, "network forward failed: \(error.message)", underlying: error)
        }
    }

    /// Checks rank, channel count and divisibility by the total stride.
    public func validate(_ shape: [Int]) throws(NNUNetError) {
        let dimensions = architecture.dimensions
        guard shape.count == dimensions + 1 else {
            throw NNUNetError(
                .invalidInput,
                "input shape \(shape) should be [channels, \(dimensions) spatial sizes] for this \(dimensions)-D network"
            )
        }
        guard shape[0] == architecture.inputChannels else {
            throw NNUNetError(
                .invalidInput, "input has \(shape[0]) channels, the network expects \(architecture.inputChannels)")
        }
        let total = architecture.totalStride
        for axis in 0..<dimensions where shape[axis + 1] <= 0 || shape[axis + 1] % total[axis] != 0 {
            throw NNUNetError(
                .invalidInput,
                "tile \(Array(shape.dropFirst())) is not a multiple of the network's total stride \(total) on every axis"
            )
        }
    }

    /// Multiply-adds ×2 of one forward pass on a tile of `tile` voxels (spatial sizes, multiples of the stride).
    public func floatingPointOperations(tile: [Int]) -> Double {
        architecture.floatingPointOperations(tile: tile)
    }
}

extension UNetArchitecture {
    /// FLOPs (2 per multiply-add) of convolutions and transposed convolutions for one tile; norms and
    /// activations (a few operations per voxel) are not counted.
    public func floatingPointOperations(tile: [Int]) -> Double {
        var size = tile.map(Double.init)
        var flops = 0.0
        func conv(_ cin: Int, _ cout: Int, _ kernel: [Int]) {
            flops += 2 * Double(cin * cout * kernel.reduce(1, *)) * size.reduce(1, *)
        }
        var sizes: [[Double]] = []
        var channels = inputChannels
        if kind == .residualEncoderUNet {
            conv(channels, stemChannels, kernelSizes[0])
            channels = stemChannels
        }
        for s in 0..<stageCount {
            size = zip(size, strides[s]).map { ($0 / Double($1)).rounded(.up) }
            for b in 0..<encoderDepth[s] {
                let out = featuresPerStage[s]
                conv(channels, out, kernelSizes[s])
                if kind == .residualEncoderUNet {
                    conv(out, out, kernelSizes[s])
                    if channels != out { conv(channels, out, Array(repeating: 1, count: dimensions)) }
                }
                _ = b
                channels = out
            }
            sizes.append(size)
        }
        for d in 0..<(stageCount - 1) {
            let s = stageCount - 2 - d
            let below = sizes[s + 1].reduce(1, *)
            flops += 2 * Double(featuresPerStage[s + 1] * featuresPerStage[s] * strides[s + 1].reduce(1, *)) * below
            size = sizes[s]
            for c in 0..<decoderConvs[d] {
                conv(c == 0 ? 2 * featuresPerStage[s] : featuresPerStage[s], featuresPerStage[s], kernelSizes[s])
            }
        }
        conv(featuresPerStage[0], classCount, Array(repeating: 1, count: dimensions))
        return flops
    }
}
