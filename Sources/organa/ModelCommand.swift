import ArgumentParser
import ArrayCore
import Foundation
import NNLayers
import NNUNetRuntime

/// `organa model info|bench DIR`: what an nnU-Net results folder holds, and how fast its network runs here.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect or time a trained nnU-Net v2 results folder.",
        subcommands: [ModelInfoCommand.self, ModelBenchCommand.self])
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print configurations, architecture, labels, parameter count and FLOPs per tile; check the weights.")

    @Argument(help: "An nnU-Net results folder (dataset.json, plans.json, fold_N/checkpoint_final.pth).")
    var folder: String

    func run() throws {
        let model = try ModelFolder(path: folder)
        let dataset = model.dataset
        var lines = [
            "model:          \(folder)",
            "dataset:        \(model.plans.datasetName) (plans \(model.plans.plansName))",
            "input channels: \(dataset.channelNames.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))",
            "labels:         \(dataset.labels.map { "\($0.values.map(String.init).joined(separator: "+")) \($0.name)" }.joined(separator: ", "))"
                + (dataset.isRegionBased ? " (region-based)" : ""),
            "folds:          \(model.folds.isEmpty ? "none" : model.folds.joined(separator: ", "))",
            "BLAS:           OpenBLAS, \(BLAS.coreName) kernels, \(ParallelSettings.workerCount) threads",
        ]
        var trained: String?
        if let fold = model.folds.first {
            let (network, checkpoint) = try model.network(fold: fold)
            trained = checkpoint.configuration
            let axes = checkpoint.mirroringAxes.map { "(\($0.map(String.init).joined(separator: ", ")))" } ?? "none"
            lines.append(
                "checkpoint:     fold_\(fold): \(checkpoint.trainerName ?? "?"), configuration \(checkpoint.configuration ?? "?"), "
                    + "epoch \(checkpoint.epoch.map(String.init) ?? "?"), mirroring axes \(axes); "
                    + "\(network.architecture.parameterShapes.count) tensors match plans.json")
        }
        for name in model.plans.configurationNames {
            lines.append(try Self.describe(name, model: model, trained: name == trained))
        }
        print(lines.joined(separator: "\n"))
    }

    static func summary(_ architecture: UNetArchitecture, patch: [Int]) -> String {
        let features = architecture.featuresPerStage.map(String.init).joined(separator: "→")
        let flops = architecture.floatingPointOperations(tile: patch)
        return "\(architecture.kind.rawValue) \(architecture.dimensions)-D, \(architecture.stageCount) stages, "
            + "features \(features), "
            + String(
                format: "%.3f M parameters, %.2f GFLOP per tile", Double(architecture.parameterCount) / 1e6, flops / 1e9
            )
    }

    static func describe(_ name: String, model: ModelFolder, trained: Bool) throws -> String {
        let configuration = try model.plans.configuration(name)
        let patch = configuration.patchSize.map(String.init).joined(separator: "×")
        let spacing = configuration.spacing.map { String(format: "%.4g", $0) }.joined(separator: "×")
        var text =
            "configuration \(name)\(trained ? " (trained)" : ""):\n  patch \(patch) voxels, spacing \(spacing) mm, "
            + "normalisation \(configuration.normalizationSchemes.joined(separator: ", "))"
        if let previous = configuration.previousStage { text += ", cascade after \(previous)" }
        switch Result(catching: { () throws(NNUNetError) in try model.architecture(name) }) {
        case .success(let architecture): text += "\n  " + Self.summary(architecture, patch: configuration.patchSize)
        case .failure(let error): text += "\n  \(configuration.architecture.networkName): \(error.message)"
        }
        return text
    }
}

struct ModelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the network's forward pass on a random tile (float32, batch 1).")

    @Argument(help: "An nnU-Net results folder.")
    var folder: String

    @Option(help: "Configuration (default: the one the checkpoint was trained with).")
    var configuration: String?

    @Option(help: "Fold.")
    var fold = "0"

    @Option(help: "Tile size, comma-separated (default: the configuration's patch size).")
    var tile: String?

    @Option(help: "Threads for Organa's kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    @Option(help: "Timed runs after one warm-up run.")
    var repeats = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        if let threads {
            ParallelSettings.workerCount = threads
        }
        let model = try ModelFolder(path: folder)
        let (network, checkpoint) = try model.network(fold: fold, configuration: configuration)
        let name = configuration ?? checkpoint.configuration ?? "?"
        let size =
            try tile.map { text in
                try text.split(separator: ",").map { part in
                    guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value > 0 else {
                        throw ValidationError("--tile \(text): expected positive integers separated by commas")
                    }
                    return value
                }
            } ?? model.plans.configuration(name).patchSize
        var generator = SystemRandomNumberGenerator()
        let shape = [network.architecture.inputChannels] + size
        let input = try NDArray(
            shape: shape, elements: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -2...2, using: &generator) })
        _ = try network(input)
        var seconds: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try network(input)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        seconds.sort()
        let median = seconds[seconds.count / 2]
        let flops = network.floatingPointOperations(tile: size)
        let threadCount = ParallelSettings.workerCount
        if json {
            print(
                "{\"configuration\":\"\(name)\",\"tile\":\(size),\"threads\":\(threadCount),\"blas_core\":\"\(BLAS.coreName)\","
                    + "\"seconds\":\(seconds),\"median_seconds\":\(median),\"gflop\":\(flops / 1e9)}")
        } else {
            print(
                String(
                    format:
                        "%@ tile %@: median %.3f s over %d runs, %.1f GFLOP, %.1f GFLOP/s (%d threads, OpenBLAS %@)",
                    name, size.map(String.init).joined(separator: "×"), median, seconds.count, flops / 1e9,
                    flops / 1e9 / median, threadCount, BLAS.coreName))
        }
    }
}
