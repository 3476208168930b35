import ArgumentParser
import ArrayCore
import Foundation
import NNLayers
import NNUNetRuntime
import NiftiIO
import VolumeCore

/// `organa predict --model DIR --input ct.nii.gz --output seg.nii.gz`: nnUNetPredictor for one case, natively.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Segment a CT with a trained nnU-Net v2 results folder (same result as nnUNetv2_predict).",
        discussion: """
            Runs nnU-Net's preprocessing, sliding window (Gaussian weighting, mirroring, fold ensemble) and export \
            with the configuration the checkpoint was trained with. Writes a uint8 label map with the input's \
            geometry; --save-probabilities also writes OUTPUT_STEM_probabilities.nii.gz per class (float32). When \
            the folder has nnU-Net's postprocessing.json, it is applied to the label map (--no-postprocessing \
            leaves it out, as nnUNetv2_predict alone does). A cascade stage (e.g. 3d_cascade_fullres) also needs \
            its previous stage's segmentation of the same case: --previous-stage FILE (what \
            nnUNetv2_predict -prev_stage_predictions reads), or --previous-stage-model DIR to run that stage first \
            in the same process.
            """)

    @Option(help: "An nnU-Net results folder (dataset.json, plans.json, fold_N/checkpoint_final.pth).")
    var model: String

    @Option(help: "Input image (.nii or .nii.gz); repeat for multi-channel models, in channel order.")
    var input: [String]

    @Option(help: "Output label map (.nii.gz or .nii).")
    var output: String

    @Option(help: "Folds to ensemble, comma-separated (default: every fold_N with a checkpoint).")
    var folds: String?

    @Flag(help: "Disable mirroring test-time augmentation.")
    var noMirroring = false

    @Option(help: "Sliding-window step as a fraction of the patch, in (0, 1].")
    var tileStep = 0.5

    @Option(help: "Checkpoint file name inside each fold folder.")
    var checkpoint = ModelFolder.defaultCheckpoint

    @Flag(help: "Also write per-class probabilities next to the output (OUTPUT_STEM_probabilities_K.nii.gz).")
    var saveProbabilities = false

    @Flag(help: "Do not apply the model folder's postprocessing.json (nnUNetv2_apply_postprocessing's step).")
    var noPostprocessing = false

    @Option(help: "For a cascade stage: the previous stage's label map of this case (same grid as the input).")
    var previousStage: String?

    @Option(help: "For a cascade stage: the previous stage's results folder, run first on the same input.")
    var previousStageModel: String?

    @Option(help: "Threads for Organa's kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard !input.isEmpty else { throw ValidationError("give at least one --input") }
        guard previousStage == nil || previousStageModel == nil else {
            throw ValidationError("give --previous-stage or --previous-stage-model, not both")
        }
        guard tileStep > 0, tileStep <= 1 else { throw ValidationError("--tile-step \(tileStep) must be in (0, 1]") }
    }

    func run() throws {
        if let threads {
            ParallelSettings.workerCount = threads
        }
        let foldList = folds.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let options = PredictionOptions(
            folds: foldList, tileStep: tileStep, mirroring: !noMirroring, checkpoint: checkpoint,
            postprocessing: !noPostprocessing)
        let predictor = try Predictor(model: try ModelFolder(path: model), options: options)
        let channels = try input.map { try NiftiReader.read($0).volume.converted(to: Float.self) }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let previous = try previousSegmentation(channels, options: options, bar: bar)
        let result = try predictor.predict(channels, previousStage: previous, probabilities: saveProbabilities) {
            bar.show($0)
        }
        bar.finish()
        try NiftiWriter.write(result.segmentation, to: output)
        if let probabilities = result.probabilities {
            try Self.writeProbabilities(probabilities, geometry: result.segmentation.geometry, output: output)
        }
    }

    /// The previous stage's segmentation: read from --previous-stage, or predicted by --previous-stage-model
    /// (every fold, the same mirroring and tile step, without its postprocessing.json: what
    /// `nnUNetv2_predict` writes for `-prev_stage_predictions`).
    func previousSegmentation(
        _ channels: [Volume<Float>], options: PredictionOptions, bar: ProgressBar
    ) throws -> Volume<UInt8>? {
        if let previousStage { return try Self.readLabelMap(previousStage) }
        guard let previousStageModel else { return nil }
        var stageOptions = options
        stageOptions.folds = nil
        stageOptions.postprocessing = false
        let stage = try Predictor(model: try ModelFolder(path: previousStageModel), options: stageOptions)
        return try stage.predict(channels) { bar.show($0) }.segmentation
    }

    /// A label map file as uint8: every voxel an integer in 0...255, or an error naming the file.
    static func readLabelMap(_ path: String) throws -> Volume<UInt8> {
        let volume = try NiftiReader.read(path).volume.converted(to: Double.self)
        guard let bad = volume.voxels.elements.first(where: { $0 < 0 || $0 > 255 || $0 != $0.rounded() }) else {
            return try Volume(voxels: volume.voxels.map { UInt8($0) }, geometry: volume.geometry)
        }
        throw ValidationError("\(path) is not a label map: it has the value \(bad) (labels are integers 0...255)")
    }

    /// One float32 volume per class: OUTPUT_STEM_probabilities_K.nii.gz.
    static func writeProbabilities(_ probabilities: NDArray<Float>, geometry: VolumeGeometry, output: String) throws {
        let shape = Array(probabilities.shape.dropFirst())
        let voxels = shape.reduce(1, *)
        var stem = output
        for suffix in [".nii.gz", ".nii"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
            break
        }
        for k in 0..<probabilities.shape[0] {
            let channel = try NDArray(
                shape: shape, elements: Array(probabilities.elements[(k * voxels)..<((k + 1) * voxels)]))
            try NiftiWriter.write(
                try Volume(voxels: channel, geometry: geometry), to: "\(stem)_probabilities_\(k).nii.gz")
        }
    }
}

/// A one-line progress display on standard error, shown only on a terminal.
final class ProgressBar {
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: PredictionProgress) {
        guard enabled else { return }
        let line: String
        switch progress {
        case .preprocessed(let shape): line = "preprocessed: \(shape.map(String.init).joined(separator: "×"))"
        case .tile(let done, let total, let fold, let folds):
            line = "fold \(fold + 1)/\(folds) \(tileBar(done: done, total: total))"
        case .exporting: line = "exporting"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// `[#####.....] done/total tiles`, 30 characters of bar.
func tileBar(done: Int, total: Int) -> String {
    let width = 30
    let filled = total > 0 ? min(width, width * done / total) : width
    return
        "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total) tiles"
}
