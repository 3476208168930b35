// Design: the validated shape of an nnU-Net U-Net (dynamic_network_architectures 0.4.4, research §2) and the
// canonical state-dict names and shapes it implies.
//
// PlainConvUNet: encoder stage s = n_conv_per_stage[s] × (conv → InstanceNorm → LeakyReLU), the first conv
// strided. ResidualEncoderUNet: a stem (one conv block at F0), then per stage n_blocks_per_stage[s] BasicBlockD
// (conv1 with the stride + norm + LeakyReLU, conv2 + norm, skip = [AvgPool(stride)] + [1×1 conv (no bias) +
// norm] when the stride or width changes, then LeakyReLU of the sum). Both share UNetDecoder: transposed conv
// (kernel = stride of the stage below), concatenation (upsampled, skip), n_conv_per_stage_decoder conv blocks,
// and a 1×1 segmentation conv per stage of which inference uses the last. Checkpoints also list aliases of
// each parameter (`.all_modules.0/1.` for `.conv/.norm.`, the encoder again under `decoder.encoder.`); they are
// known and skipped, everything else must match exactly.

/// A U-Net configuration this runtime can build, validated from an `ArchitecturePlan`.
public struct UNetArchitecture: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case plainConvUNet = "PlainConvUNet"
        case residualEncoderUNet = "ResidualEncoderUNet"
    }

    public var kind: Kind
    /// 2 or 3.
    public var dimensions: Int
    public var inputChannels: Int
    public var classCount: Int
    public var featuresPerStage: [Int]
    public var kernelSizes: [[Int]]
    public var strides: [[Int]]
    /// Convs (Plain) or residual blocks (ResEnc) per encoder stage.
    public var encoderDepth: [Int]
    public var decoderConvs: [Int]
    public var convBias: Bool
    public var normEpsilon: Float
    public var negativeSlope: Float
    /// ResEnc stem width.
    public var stemChannels: Int

    public var stageCount: Int { featuresPerStage.count }

    /// Validates a plan: known network class, conv/norm/nonlinearity ops of matching dimension.
    public init(_ plan: ArchitecturePlan, inputChannels: Int, classCount: Int) throws(NNUNetError) {
        switch plan.networkName {
        case "PlainConvUNet": kind = .plainConvUNet
        case "ResidualEncoderUNet": kind = .residualEncoderUNet
        default:
            throw NNUNetError(
                .unsupportedArchitecture,
                "network class \(plan.networkClassName) is not supported (PlainConvUNet, ResidualEncoderUNet are)")
        }
        dimensions = plan.kernelSizes.first?.count ?? 0
        let convName = "Conv\(dimensions)d"
        guard plan.convOp.split(separator: ".").last.map(String.init) == convName else {
            throw NNUNetError(
                .unsupportedArchitecture,
                "conv_op \(plan.convOp) does not match \(dimensions)-D kernels (expected \(convName))")
        }
        guard let norm = plan.normOp, norm.split(separator: ".").last.map(String.init) == "InstanceNorm\(dimensions)d"
        else {
            throw NNUNetError(
                .unsupportedArchitecture,
                "norm_op \(plan.normOp ?? "None") is not supported (InstanceNorm\(dimensions)d is; BatchNorm models are not)"
            )
        }
        guard plan.normAffine else {
            throw NNUNetError(.unsupportedArchitecture, "InstanceNorm without affine parameters is not supported")
        }
        if let dropout = plan.dropoutOp, !dropout.contains("Dropout") {
            throw NNUNetError(.unsupportedArchitecture, "dropout_op \(dropout) is not a dropout layer")
        }
        switch plan.nonlin.flatMap({ $0.split(separator: ".").last.map(String.init) }) {
        case "LeakyReLU": negativeSlope = Float(plan.negativeSlope)
        case "ReLU": negativeSlope = 0
        default:
            throw NNUNetError(
                .unsupportedArchitecture, "nonlin \(plan.nonlin ?? "None") is not supported (LeakyReLU and ReLU are)")
        }
        if kind == .residualEncoderUNet, let block = plan.block, !block.hasSuffix("BasicBlockD") {
            throw NNUNetError(.unsupportedArchitecture, "residual block \(block) is not supported (BasicBlockD is)")
        }
        guard (1...4096).contains(inputChannels), (1...4096).contains(classCount) else {
            throw NNUNetError(.invalidInput, "\(inputChannels) input channels / \(classCount) classes out of range")
        }
        self.inputChannels = inputChannels
        self.classCount = classCount
        featuresPerStage = plan.featuresPerStage
        kernelSizes = plan.kernelSizes
        strides = plan.strides
        encoderDepth = plan.encoderDepthPerStage
        decoderConvs = plan.convsPerDecoderStage
        convBias = plan.convBias
        normEpsilon = Float(plan.normEpsilon)
        stemChannels = plan.stemChannels ?? plan.featuresPerStage[0]
        guard stageCount >= 2 else {
            throw NNUNetError(.unsupportedArchitecture, "a U-Net needs at least 2 stages, the plan has \(stageCount)")
        }
    }

    /// Product of the strides per axis: tile sizes must be multiples of it.
    public var totalStride: [Int] {
        (0..<dimensions).map { axis in strides.reduce(1) { $0 * $1[axis] } }
    }

    /// Every canonical parameter name with its shape, in module order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        var result: [(String, [Int])] = []
        func convBlock(_ prefix: String, _ cin: Int, _ cout: Int, _ kernel: [Int], bias: Bool) {
            result.append(("\(prefix).conv.weight", [cout, cin] + kernel))
            if bias { result.append(("\(prefix).conv.bias", [cout])) }
            result.append(("\(prefix).norm.weight", [cout]))
            result.append(("\(prefix).norm.bias", [cout]))
        }
        var channels = inputChannels
        switch kind {
        case .plainConvUNet:
            for s in 0..<stageCount {
                for c in 0..<encoderDepth[s] {
                    convBlock(
                        "encoder.stages.\(s).0.convs.\(c)", channels, featuresPerStage[s], kernelSizes[s],
                        bias: convBias)
                    channels = featuresPerStage[s]
                }
            }
        case .residualEncoderUNet:
            convBlock("encoder.stem.convs.0", channels, stemChannels, kernelSizes[0], bias: convBias)
            channels = stemChannels
            for s in 0..<stageCount {
                for b in 0..<encoderDepth[s] {
                    let prefix = "encoder.stages.\(s).blocks.\(b)"
                    let out = featuresPerStage[s]
                    let strided = b == 0 && strides[s].contains { $0 != 1 }
                    convBlock("\(prefix).conv1", channels, out, kernelSizes[s], bias: convBias)
                    convBlock("\(prefix).conv2", out, out, kernelSizes[s], bias: convBias)
                    if channels != out {
                        let one = Array(repeating: 1, count: dimensions)
                        convBlock("\(prefix).skip.\(strided ? 1 : 0)", channels, out, one, bias: false)
                    }
                    channels = out
                }
            }
        }
        for d in 0..<(stageCount - 1) {
            let s = stageCount - 2 - d
            let below = featuresPerStage[s + 1]
            let width = featuresPerStage[s]
            result.append(("decoder.transpconvs.\(d).weight", [below, width] + strides[s + 1]))
            if convBias { result.append(("decoder.transpconvs.\(d).bias", [width])) }
            for c in 0..<decoderConvs[d] {
                convBlock(
                    "decoder.stages.\(d).convs.\(c)", c == 0 ? 2 * width : width, width, kernelSizes[s], bias: convBias)
            }
            result.append(
                ("decoder.seg_layers.\(d).weight", [classCount, width] + Array(repeating: 1, count: dimensions)))
            result.append(("decoder.seg_layers.\(d).bias", [classCount]))
        }
        return result
    }

    /// The canonical name a checkpoint alias stands for, or nil when `name` is not an alias.
    static func canonicalName(ofAlias name: String) -> String? {
        var canonical = name
        if canonical.hasPrefix("decoder.encoder.") { canonical.removeFirst("decoder.".count) }
        canonical = canonical.replacingOccurrences(of: ".all_modules.0.", with: ".conv.")
        canonical = canonical.replacingOccurrences(of: ".all_modules.1.", with: ".norm.")
        return canonical == name ? nil : canonical
    }

    /// Number of parameters (all canonical tensors, deep-supervision heads included).
    public var parameterCount: Int {
        parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
