/// One configuration of plans.json (`2d`, `3d_fullres`, ...), after `inherits_from` is resolved
/// (nnunetv2 `ConfigurationManager`, research §1.3).
public struct ConfigurationPlan: Sendable, Equatable {
    /// A resampling function name with its keyword arguments.
    public struct Resampling: Sendable, Equatable {
        public var function: String
        public var isSegmentation: Bool
        public var order: Int
        public var orderZ: Int
        /// nil: decide from the spacing (anisotropy > 3); true/false: forced.
        public var forceSeparateZ: Bool?
    }

    public var name: String
    /// Sliding-window tile size in voxels (transposed axis order; 2 or 3 entries).
    public var patchSize: [Int]
    /// Target spacing in mm (transposed axis order).
    public var spacing: [Double]
    /// Per input channel, e.g. `CTNormalization`.
    public var normalizationSchemes: [String]
    public var useMaskForNorm: [Bool]
    public var resamplingData: Resampling
    public var resamplingSegmentation: Resampling
    public var resamplingProbabilities: Resampling
    public var architecture: ArchitecturePlan
    public var preprocessorName: String
    public var batchSize: Int?
    public var dataIdentifier: String?
    /// Cascade wiring.
    public var previousStage: String?
    public var nextStage: String?

    init(name: String, field: JSONField) throws(NNUNetError) {
        self.name = name
        if try field.optional("UNet_class_name") != nil {
            throw NNUNetError(
                .unsupportedArchitecture,
                "\(field.path) uses the pre-2.2 plans format (UNet_class_name); re-plan with nnunetv2 ≥ 2.2")
        }
        patchSize = try field["patch_size"].intArray()
        spacing = try field["spacing"].doubleArray()
        guard patchSize.count == 2 || patchSize.count == 3, patchSize.allSatisfy({ $0 > 0 && $0 <= 65_536 }) else {
            throw NNUNetError(.invalidJSON, "\(field.path).patch_size \(patchSize) must be 2 or 3 positive sizes")
        }
        guard spacing.count == patchSize.count, spacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw NNUNetError(
                .invalidJSON, "\(field.path).spacing \(spacing) must match patch_size with positive values")
        }
        normalizationSchemes = try field["normalization_schemes"].array().map { (item) throws(NNUNetError) in
            try item.string()
        }
        useMaskForNorm =
            try field.optional("use_mask_for_norm")?.array().map { (item) throws(NNUNetError) in
                try item.bool()
            } ?? Array(repeating: false, count: normalizationSchemes.count)
        resamplingData = try Resampling(field, prefix: "resampling_fn_data", defaultOrder: 3, isSegmentation: false)
        resamplingSegmentation = try Resampling(
            field, prefix: "resampling_fn_seg", defaultOrder: 1, isSegmentation: true)
        resamplingProbabilities = try Resampling(
            field, prefix: "resampling_fn_probabilities", defaultOrder: 1, isSegmentation: false)
        architecture = try ArchitecturePlan(try field["architecture"])
        preprocessorName = try field.optional("preprocessor_name")?.string() ?? "DefaultPreprocessor"
        batchSize = try field.optional("batch_size")?.int()
        dataIdentifier = try field.optional("data_identifier")?.string()
        previousStage = try field.optional("previous_stage")?.string()
        nextStage = try field.optional("next_stage")?.string()
    }
}

extension ConfigurationPlan.Resampling {
    init(_ field: JSONField, prefix: String, defaultOrder: Int, isSegmentation: Bool) throws(NNUNetError) {
        function = try field.optional(prefix)?.string() ?? "resample_data_or_seg_to_shape"
        let kwargs = try field.optional("\(prefix)_kwargs")
        self.isSegmentation = try kwargs?.optional("is_seg")?.bool() ?? isSegmentation
        order = try kwargs?.optional("order")?.int() ?? defaultOrder
        orderZ = try kwargs?.optional("order_z")?.int() ?? 0
        forceSeparateZ = try kwargs?.optional("force_separate_z")?.bool()
    }
}
