import Foundation

/// A trained nnU-Net v2 results folder as `nnUNetv2_train` writes it: `dataset.json`, `plans.json` and
/// `fold_N/checkpoint_final.pth` (research §1.1). Opening reads the JSON files; checkpoints load on demand.
public struct ModelFolder: Sendable {
    public let path: String
    public let dataset: DatasetDescription
    public let plans: Plans
    /// Fold names that hold a `checkpoint_final.pth` or `checkpoint_best.pth` (`0`, `1`, ..., `all`), sorted.
    public let folds: [String]
    /// The folder's `postprocessing.json` (written by `nnUNetv2_find_best_configuration`), when it has one.
    public let postprocessing: NNUNetPostprocessing?

    public static let defaultCheckpoint = "checkpoint_final.pth"

    public init(path: String) throws(NNUNetError) {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw NNUNetError(.io, "model folder \(path) does not exist", path: path)
        }
        dataset = try DatasetDescription.load(path + "/dataset.json")
        plans = try Plans.load(path + "/plans.json")
        let postprocessingFile = path + "/" + NNUNetPostprocessing.fileName
        postprocessing =
            FileManager.default.fileExists(atPath: postprocessingFile)
            ? try NNUNetPostprocessing.load(postprocessingFile) : nil
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        folds = entries.filter { $0.hasPrefix("fold_") }
            .filter { entry in
                ["checkpoint_final.pth", "checkpoint_best.pth"].contains {
                    FileManager.default.fileExists(atPath: "\(path)/\(entry)/\($0)")
                }
            }
            .map { String($0.dropFirst("fold_".count)) }
            .sorted { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }
    }

    /// Path of a fold's checkpoint, or an error naming the fold and the folds that exist.
    public func checkpointPath(fold: String, checkpoint: String = defaultCheckpoint) throws(NNUNetError) -> String {
        let file = "\(path)/fold_\(fold)/\(checkpoint)"
        guard FileManager.default.fileExists(atPath: file) else {
            throw NNUNetError(
                .io,
                "fold \(fold) has no \(checkpoint) in \(path) (folds with checkpoints: \(folds.isEmpty ? "none" : folds.joined(separator: ", ")))",
                path: file)
        }
        return file
    }

    /// Input channels of a configuration: the image channels, plus one per foreground label of the previous
    /// stage for cascade configurations.
    public func inputChannels(_ configuration: ConfigurationPlan) -> Int {
        dataset.inputChannelCount + (configuration.previousStage == nil ? 0 : dataset.foregroundLabels.count)
    }

    /// The validated architecture of a configuration.
    public func architecture(_ configurationName: String) throws(NNUNetError) -> UNetArchitecture {
        let configuration = try plans.configuration(configurationName)
        return try UNetArchitecture(
            configuration.architecture, inputChannels: inputChannels(configuration),
            classCount: dataset.segmentationHeadCount)
    }

    /// Loads one fold's network. The configuration defaults to the one recorded in the checkpoint.
    public func network(
        fold: String, configuration: String? = nil, checkpoint: String = defaultCheckpoint
    )
        throws(NNUNetError) -> (network: UNet, checkpoint: Checkpoint)
    {
        let loaded = try Checkpoint.load(try checkpointPath(fold: fold, checkpoint: checkpoint))
        guard let name = configuration ?? loaded.configuration else {
            throw NNUNetError(.invalidCheckpoint, "the checkpoint does not name its configuration; pass one explicitly")
        }
        return (try UNet(architecture: try architecture(name), checkpoint: loaded), loaded)
    }
}
