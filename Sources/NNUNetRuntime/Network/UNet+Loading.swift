import ArrayCore
import NNLayers

extension UNet {
    /// Builds the network and loads its weights from a checkpoint, strictly: every canonical parameter must be
    /// present with its exact shape, and every other checkpoint key must be a known alias of a canonical one.
    public init(architecture: UNetArchitecture, checkpoint: Checkpoint) throws(NNUNetError) {
        let expected = architecture.parameterShapes
        try Self.matchKeys(expected, checkpoint)
        let loader = WeightLoader(checkpoint: checkpoint, architecture: architecture)
        self.architecture = architecture
        let a = architecture
        var channels = a.inputChannels
        switch a.kind {
        case .plainConvUNet:
            stem = nil
            var stages: [EncoderStage] = []
            for s in 0..<a.stageCount {
                var blocks: [ConvBlock] = []
                for c in 0..<a.encoderDepth[s] {
                    blocks.append(
                        try loader.convBlock(
                            "encoder.stages.\(s).0.convs.\(c)", stride: c == 0 ? a.strides[s] : nil, activate: true))
                    channels = a.featuresPerStage[s]
                }
                stages.append(.plain(blocks))
            }
            encoder = stages
        case .residualEncoderUNet:
            stem = try loader.convBlock("encoder.stem.convs.0", stride: nil, activate: true)
            channels = a.stemChannels
            var stages: [EncoderStage] = []
            for s in 0..<a.stageCount {
                var blocks: [ResidualBlock] = []
                for b in 0..<a.encoderDepth[s] {
                    let prefix = "encoder.stages.\(s).blocks.\(b)"
                    let stride = b == 0 ? a.strides[s] : nil
                    let strided = stride?.contains { $0 != 1 } ?? false
                    let out = a.featuresPerStage[s]
                    blocks.append(
                        ResidualBlock(
                            conv1: try loader.convBlock("\(prefix).conv1", stride: stride, activate: true),
                            conv2: try loader.convBlock("\(prefix).conv2", stride: nil, activate: false),
                            poolStride: strided ? stride : nil,
                            projection: channels == out
                                ? nil
                                : try loader.convBlock(
                                    "\(prefix).skip.\(strided ? 1 : 0)", stride: nil, activate: false),
                            negativeSlope: a.negativeSlope))
                    channels = out
                }
                stages.append(.residual(blocks))
            }
            encoder = stages
        }
        var transposed: [TransposedConvolution] = []
        var decoder: [[ConvBlock]] = []
        for d in 0..<(a.stageCount - 1) {
            let s = a.stageCount - 2 - d
            transposed.append(try loader.transposed("decoder.transpconvs.\(d)", stride: a.strides[s + 1]))
            var blocks: [ConvBlock] = []
            for c in 0..<a.decoderConvs[d] {
                blocks.append(try loader.convBlock("decoder.stages.\(d).convs.\(c)", stride: nil, activate: true))
            }
            decoder.append(blocks)
        }
        transposedConvolutions = transposed
        self.decoder = decoder
        segmentation = try loader.convolution("decoder.seg_layers.\(a.stageCount - 2)", stride: nil, bias: true)
    }

    private static func matchKeys(
        _ expected: [(name: String, shape: [Int])], _ checkpoint: Checkpoint
    )
        throws(NNUNetError)
    {
        var problems: [String] = []
        let canonical = Dictionary(expected.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        for (name, shape) in expected {
            guard let found = checkpoint.shape(of: name) else {
                problems.append("missing \(name) \(shape)")
                continue
            }
            if found != shape { problems.append("\(name) has shape \(found), the plans imply \(shape)") }
        }
        for name in checkpoint.weightNames where canonical[name] == nil {
            if let target = UNetArchitecture.canonicalName(ofAlias: name), let shape = canonical[target] {
                if checkpoint.shape(of: name) != shape {
                    problems.append("alias \(name) differs in shape from \(target)")
                }
            } else {
                problems.append("unexpected \(name)")
            }
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(8).joined(separator: "; ")
            let more = problems.count > 8 ? " (and \(problems.count - 8) more)" : ""
            throw NNUNetError(
                .weightMismatch, "checkpoint weights do not match the network built from plans.json: \(shown)\(more)")
        }
    }
}

/// Reads named tensors from a checkpoint into layers.
private struct WeightLoader {
    let checkpoint: Checkpoint
    let architecture: UNetArchitecture

    func vector(_ name: String) throws(NNUNetError) -> [Float] {
        try checkpoint.weight(name).elements
    }

    func convolution(_ prefix: String, stride: [Int]?, bias: Bool) throws(NNUNetError) -> Convolution {
        let weight = try checkpoint.weight("\(prefix).weight")
        let kernel = Array(weight.shape.dropFirst(2))
        let biasValues = bias ? try vector("\(prefix).bias") : nil
        do {
            return try Convolution(
                weight: weight, bias: biasValues, stride: stride ?? Array(repeating: 1, count: kernel.count),
                padding: kernel.map { ($0 - 1) / 2 }, name: prefix)
        } catch {
            throw NNUNetError(.weightMismatch, error.message, underlying: error)
        }
    }

    func convBlock(_ prefix: String, stride: [Int]?, activate: Bool) throws(NNUNetError) -> ConvBlock {
        let hasBias = checkpoint.shape(of: "\(prefix).conv.bias") != nil
        let conv = try convolution("\(prefix).conv", stride: stride, bias: hasBias)
        let gamma = try vector("\(prefix).norm.weight")
        let beta = try vector("\(prefix).norm.bias")
        do {
            let norm = try InstanceNorm(
                weight: gamma, bias: beta, epsilon: architecture.normEpsilon, name: "\(prefix).norm")
            return ConvBlock(conv: conv, norm: norm, negativeSlope: activate ? architecture.negativeSlope : nil)
        } catch {
            throw NNUNetError(.weightMismatch, error.message, underlying: error)
        }
    }

    func transposed(_ prefix: String, stride: [Int]) throws(NNUNetError) -> TransposedConvolution {
        let bias = architecture.convBias ? try vector("\(prefix).bias") : nil
        let weight = try checkpoint.weight("\(prefix).weight")
        do {
            return try TransposedConvolution(weight: weight, bias: bias, stride: stride, name: prefix)
        } catch {
            throw NNUNetError(.weightMismatch, error.message, underlying: error)
        }
    }
}
