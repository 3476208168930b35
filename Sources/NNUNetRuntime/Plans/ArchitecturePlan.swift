/// `architecture` of a configuration: the network class and its keyword arguments as plans.json gives them
/// (dynamic_network_architectures class names are kept as strings here; `UNetArchitecture` validates them).
public struct ArchitecturePlan: Sendable, Equatable {
    /// e.g. `dynamic_network_architectures.architectures.unet.PlainConvUNet`.
    public var networkClassName: String
    public var stageCount: Int
    public var featuresPerStage: [Int]
    /// e.g. `torch.nn.modules.conv.Conv3d`.
    public var convOp: String
    public var kernelSizes: [[Int]]
    public var strides: [[Int]]
    /// Convolutions per encoder stage (`n_conv_per_stage`, PlainConvUNet) or residual blocks per stage
    /// (`n_blocks_per_stage`, ResidualEncoderUNet).
    public var encoderDepthPerStage: [Int]
    /// `n_conv_per_stage_decoder`.
    public var convsPerDecoderStage: [Int]
    public var convBias: Bool
    /// e.g. `torch.nn.modules.instancenorm.InstanceNorm3d`, or nil.
    public var normOp: String?
    public var normEpsilon: Double
    public var normAffine: Bool
    /// nil when no dropout (always, in nnU-Net's planners).
    public var dropoutOp: String?
    /// e.g. `torch.nn.LeakyReLU`, or nil.
    public var nonlin: String?
    /// `nonlin_kwargs.negative_slope`, PyTorch's default 0.01 when absent.
    public var negativeSlope: Double
    /// ResidualEncoderUNet only: `block` class name (BasicBlockD) and `stem_channels`.
    public var block: String?
    public var stemChannels: Int?

    /// Short class name: `PlainConvUNet`, `ResidualEncoderUNet`, ...
    public var networkName: String { String(networkClassName.split(separator: ".").last ?? "") }

    init(_ field: JSONField) throws(NNUNetError) {
        networkClassName = try field["network_class_name"].string()
        let kwargs = try field["arch_kwargs"]
        stageCount = try kwargs["n_stages"].int()
        guard (1...32).contains(stageCount) else {
            throw NNUNetError(.invalidJSON, "\(kwargs.path).n_stages \(stageCount) is out of range 1...32")
        }
        if case .array = try kwargs["features_per_stage"].value {
            featuresPerStage = try kwargs["features_per_stage"].intArray()
        } else {
            featuresPerStage = Array(repeating: try kwargs["features_per_stage"].int(), count: stageCount)
        }
        convOp = try kwargs["conv_op"].string()
        kernelSizes = try kwargs["kernel_sizes"].intMatrix()
        strides = try kwargs["strides"].intMatrix()
        if let blocks = try kwargs.optional("n_blocks_per_stage") {
            encoderDepthPerStage = try Self.perStage(blocks, count: stageCount)
        } else {
            encoderDepthPerStage = try Self.perStage(try kwargs["n_conv_per_stage"], count: stageCount)
        }
        convsPerDecoderStage = try Self.perStage(try kwargs["n_conv_per_stage_decoder"], count: stageCount - 1)
        convBias = try kwargs.optional("conv_bias")?.bool() ?? false
        normOp = try kwargs.optional("norm_op")?.string()
        let normKwargs = try kwargs.optional("norm_op_kwargs")
        normEpsilon = try normKwargs?.optional("eps")?.double() ?? 1e-5
        normAffine = try normKwargs?.optional("affine")?.bool() ?? true
        dropoutOp = try kwargs.optional("dropout_op")?.string()
        nonlin = try kwargs.optional("nonlin")?.string()
        negativeSlope = try kwargs.optional("nonlin_kwargs")?.optional("negative_slope")?.double() ?? 0.01
        block = try kwargs.optional("block")?.string()
        stemChannels = try kwargs.optional("stem_channels")?.int()
        try validateShapes(kwargs)
    }

    /// An int or a list of ints, one per stage.
    private static func perStage(_ field: JSONField, count: Int) throws(NNUNetError) -> [Int] {
        if case .array = field.value { return try field.intArray() }
        return Array(repeating: try field.int(), count: count)
    }

    private func validateShapes(_ kwargs: JSONField) throws(NNUNetError) {
        let counts: [(String, Int, Int)] = [
            ("features_per_stage", featuresPerStage.count, stageCount),
            ("kernel_sizes", kernelSizes.count, stageCount),
            ("strides", strides.count, stageCount),
            ("n_conv_per_stage / n_blocks_per_stage", encoderDepthPerStage.count, stageCount),
            ("n_conv_per_stage_decoder", convsPerDecoderStage.count, stageCount - 1),
        ]
        for (key, count, expected) in counts where count != expected {
            throw NNUNetError(.invalidJSON, "\(kwargs.path).\(key) has \(count) entries, n_stages is \(stageCount)")
        }
        let rank = kernelSizes.first?.count ?? 0
        guard rank == 2 || rank == 3,
            kernelSizes.allSatisfy({ $0.count == rank && $0.allSatisfy { (1...15).contains($0) } }),
            strides.allSatisfy({ $0.count == rank && $0.allSatisfy { (1...16).contains($0) } })
        else {
            throw NNUNetError(
                .invalidJSON, "\(kwargs.path): kernel_sizes/strides must be 2 or 3 sizes per stage, each in 1...15/16")
        }
        guard featuresPerStage.allSatisfy({ (1...8192).contains($0) }),
            encoderDepthPerStage.allSatisfy({ (1...64).contains($0) }),
            convsPerDecoderStage.allSatisfy({ (1...64).contains($0) })
        else {
            throw NNUNetError(.invalidJSON, "\(kwargs.path): features or convs per stage out of range")
        }
    }
}
