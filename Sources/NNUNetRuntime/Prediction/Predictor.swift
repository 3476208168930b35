// Design: nnU-Net's `nnUNetPredictor` for one case, as a composition of named steps:
// predict = preprocess (Preprocessor) → for each fold: sliding window (SlidingWindow) → fold average in fp16
// (FoldEnsemble) → export (Exporter). The configuration and the mirror axes come from the first fold's
// checkpoint, as `initialize_from_trained_model_folder` does; every fold's network is loaded once, up front.
// The folder's postprocessing.json, when present, is applied to the label map last (`NNUNetPostprocessing`;
// nnUNetv2_predict leaves it to nnUNetv2_apply_postprocessing), unless the options turn it off.
// A cascade stage (`previous_stage` in its configuration) takes the previous stage's segmentation of the same
// case as extra one-hot input channels (Preprocessing/PreviousStage.swift); running the stages in order is the
// caller's (nnUNetv2_predict -prev_stage_predictions; organa predict --previous-stage).
public import ArrayCore
public import VolumeCore

/// How to run a model.
public struct PredictionOptions: Sendable, Equatable {
    /// Folds to ensemble; nil: every fold with a checkpoint (`auto_detect_available_folds`, `all` excluded
    /// unless it is the only one).
    public var folds: [String]?
    /// nnU-Net's `tile_step_size`.
    public var tileStep: Double
    /// Mirroring test-time augmentation on the checkpoint's axes.
    public var mirroring: Bool
    /// Checkpoint file name in each fold folder.
    public var checkpoint: String
    /// Apply the folder's `postprocessing.json` to the label map when it has one (what
    /// `nnUNetv2_apply_postprocessing` does after `nnUNetv2_predict`).
    public var postprocessing: Bool

    public init(
        folds: [String]? = nil, tileStep: Double = 0.5, mirroring: Bool = true,
        checkpoint: String = ModelFolder.defaultCheckpoint, postprocessing: Bool = true
    ) {
        self.folds = folds
        self.tileStep = tileStep
        self.mirroring = mirroring
        self.checkpoint = checkpoint
        self.postprocessing = postprocessing
    }
}

/// Progress of a prediction, for a caller's progress display.
public enum PredictionProgress: Sendable {
    case preprocessed(shape: [Int])
    /// Tile `done` of `total` of fold `foldIndex` (0-based) of `foldCount`.
    case tile(done: Int, total: Int, foldIndex: Int, foldCount: Int)
    case exporting
}

/// A loaded model ready to predict cases.
public struct Predictor: Sendable {
    public let model: ModelFolder
    public let configuration: ConfigurationPlan
    public let options: PredictionOptions
    /// Fold names, in the order their logits are added.
    public let folds: [String]
    let networks: [UNet]
    let window: SlidingWindow
    /// The checkpoint's mirroring axes (used when `options.mirroring` is on).
    let mirrorAxes: [Int]

    /// Loads the model's folds.
    /// - Throws: `NNUNetError` for a missing fold, a checkpoint that does not match the plans, or invalid
    ///   options.
    public init(model: ModelFolder, options: PredictionOptions = .init()) throws(NNUNetError) {
        let folds = options.folds ?? Self.defaultFolds(model.folds)
        guard !folds.isEmpty else {
            throw NNUNetError(.io, "\(model.path) has no fold_N folder with \(options.checkpoint)", path: model.path)
        }
        var networks: [UNet] = []
        var configurationName: String?
        var mirrorAxes: [Int] = []
        for fold in folds {
            let (network, checkpoint) = try model.network(
                fold: fold, configuration: configurationName, checkpoint: options.checkpoint)
            if configurationName == nil {
                configurationName = checkpoint.configuration
                mirrorAxes = checkpoint.mirroringAxes ?? []
            }
            networks.append(network)
        }
        let configuration = try model.plans.configuration(configurationName ?? "")
        try self.init(
            model: model, configuration: configuration, options: options, folds: folds, networks: networks,
            mirrorAxes: mirrorAxes)
    }

    /// The same loaded networks with another tile step and mirroring (no checkpoint is read again).
    /// - Throws: `.invalidInput` for a tile step outside (0, 1].
    public func reconfigured(tileStep: Double, mirroring: Bool) throws(NNUNetError) -> Predictor {
        var options = options
        options.tileStep = tileStep
        options.mirroring = mirroring
        return try Predictor(
            model: model, configuration: configuration, options: options, folds: folds, networks: networks,
            mirrorAxes: mirrorAxes)
    }

    /// Loaded networks with the sliding window the options ask for.
    private init(
        model: ModelFolder, configuration: ConfigurationPlan, options: PredictionOptions, folds: [String],
        networks: [UNet], mirrorAxes: [Int]
    ) throws(NNUNetError) {
        self.model = model
        self.configuration = configuration
        self.options = options
        self.folds = folds
        self.networks = networks
        self.mirrorAxes = mirrorAxes
        window = try SlidingWindow(
            patchSize: configuration.patchSize,
            options: SlidingWindowOptions(tileStep: options.tileStep, mirrorAxes: options.mirroring ? mirrorAxes : []))
    }

    /// Numbered folds in numeric order; `all` only when there is no numbered fold.
    static func defaultFolds(_ available: [String]) -> [String] {
        let numbered = available.filter { Int($0) != nil }
        return numbered.isEmpty ? available : numbered
    }

    /// Segments one case given as one volume per input channel (and, for a cascade stage, the previous
    /// stage's segmentation of it).
    public func predict(
        _ channels: [Volume<Float>], previousStage: Volume<UInt8>? = nil, probabilities: Bool = false,
        progress: ((PredictionProgress) -> Void)? = nil
    ) throws(NNUNetError) -> ExportedPrediction {
        var preprocessed = try preprocess(channels, previousStage: previousStage)
        progress?(.preprocessed(shape: preprocessed.data.shape))
        let logits = try predictLogits(preprocessed.data, progress: progress)
        preprocessed.data = NDArray(shape: [0], repeating: 0)  // not needed by export: free it first
        progress?(.exporting)
        var exported = try export(logits, properties: preprocessed.properties, probabilities: probabilities)
        exported.segmentation = try postprocessed(exported.segmentation)
        return exported
    }

    /// The label map after the folder's post-processing, when it has one and the options ask for it.
    public func postprocessed(_ segmentation: Volume<UInt8>) throws(NNUNetError) -> Volume<UInt8> {
        guard options.postprocessing, let postprocessing = model.postprocessing else { return segmentation }
        return try postprocessing.apply(to: segmentation)
    }

    /// Whether this model is a cascade stage, which needs the previous stage's segmentation.
    public var isCascadeStage: Bool { configuration.previousStage != nil }

    /// nnU-Net's preprocessing for this model's configuration (the previous stage's segmentation appended as
    /// one-hot channels for a cascade stage).
    public func preprocess(
        _ channels: [Volume<Float>], previousStage: Volume<UInt8>? = nil
    ) throws(NNUNetError) -> PreprocessedCase {
        try Preprocessor(plans: model.plans, configuration: configuration).run(
            channels,
            previousStage: previousStage.map {
                PreviousStageSegmentation(segmentation: $0, foregroundLabels: model.dataset.foregroundLabels)
            })
    }

    /// Sliding window over every fold, averaged in fp16: nnU-Net's `predict_logits_from_preprocessed_data`.
    /// `isCancelled` is asked before each tile; when it answers true the prediction stops with `.cancelled`.
    public func predictLogits(
        _ data: NDArray<Float>, progress: ((PredictionProgress) -> Void)? = nil,
        isCancelled: (() -> Bool)? = nil
    ) throws(NNUNetError) -> NDArray<Float16> {
        var ensemble = FoldEnsemble()
        for (index, network) in networks.enumerated() {
            let logits = try window.predictLogits(
                data, classCount: network.architecture.classCount,
                network: { (x) throws(NNUNetError) in
                    if isCancelled?() == true { throw NNUNetError(.cancelled, "the prediction was cancelled") }
                    return try network(x)
                },
                progress: { done, total in
                    progress?(.tile(done: done, total: total, foldIndex: index, foldCount: networks.count))
                })
            try ensemble.add(logits)
        }
        guard let average = ensemble.average() else {
            throw NNUNetError(.invalidInput, "no fold produced logits")
        }
        return average
    }

    /// nnU-Net's export of fp16 logits to the input grid.
    public func export(
        _ logits: NDArray<Float16>, properties: CaseProperties, probabilities: Bool = false
    ) throws(NNUNetError) -> ExportedPrediction {
        try Exporter(plans: model.plans, configuration: configuration, dataset: model.dataset)
            .export(logits, properties: properties, probabilities: probabilities)
    }
}
