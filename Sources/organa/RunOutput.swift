import Foundation
import Meshing
import NiftiIO
import PostProcessing
import Segmentation
import VolumeCore

/// Writes what `organa run` produces into its output folder.
struct RunOutputWriter {
    let folder: URL

    init(folder: URL) throws {
        self.folder = folder
        for sub in ["", "masks", "post", "meshes"] {
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// labels.nii.gz, fat_candidate.nii.gz, masks/<structure>.nii.gz (cropped), preview_labels.nii.gz.
    func writeSegmentation(_ result: SegmentationResult) throws {
        try NiftiWriter.write(result.labels, to: path("labels.nii.gz"))
        try NiftiWriter.write(result.fatCandidate, to: path("fat_candidate.nii.gz"))
        if let preview = result.preview { try NiftiWriter.write(preview, to: path("preview_labels.nii.gz")) }
        for (structure, mask) in result.masks.sorted(by: { $0.key < $1.key }) {
            try NiftiWriter.write(mask.mask, to: path("masks/\(structure.rawValue).nii.gz"))
        }
    }

    /// Corrections and fat mask (post/), then one OBJ per structure of the corrected map (meshes/).
    func postProcessAndMesh(_ result: SegmentationResult, ct: Volume<Int16>, summary: inout RunSummary) throws {
        var start = Date()
        let corrected = try correctLabelMap(result.labels)
        let fat = try perirenalFatMask(labels: corrected.labelMap, fatCandidate: result.fatCandidate, hu: ct)
        try NiftiWriter.write(corrected.labelMap, to: path("post/labels_corrected.nii.gz"))
        try NiftiWriter.write(fat.mask, to: path("post/perirenal_fat.nii.gz"))
        let report = PostReport(
            labels: path("labels.nii.gz"), fatCandidate: path("fat_candidate.nii.gz"), corrections: corrected.changes,
            correctionWarnings: corrected.warnings, fatSides: fat.sides, fatWarnings: fat.warnings)
        try encoded(report).write(to: folder.appendingPathComponent("post/post_report.json"))
        summary.timings.append(.init(stage: "post-processing", seconds: Date().timeIntervalSince(start)))
        summary.fat = fat.sides
        start = Date()
        let names = Dictionary(uniqueKeysWithValues: Structure.allCases.map { (Int($0.labelValue), $0.rawValue) })
        let writer = MeshFileWriter(directory: folder.appendingPathComponent("meshes"), format: .obj)
        try LabelMapMesher.meshes(of: corrected.labelMap, names: names) { structure in
            let url = try writer.write(structure)
            summary.meshes.append(
                .init(structure: structure.name, file: url.path, triangles: structure.mesh.triangles.count))
        }
        summary.timings.append(.init(stage: "meshing", seconds: Date().timeIntervalSince(start)))
    }

    func writeSummary(_ summary: RunSummary) throws {
        try encoded(summary).write(to: folder.appendingPathComponent("summary.json"))
    }

    private func encoded<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(value)
    }
}

/// summary.json of `organa run`.
struct RunSummary: Encodable {
    struct Timing: Encodable {
        var stage: String
        var seconds: Double
    }
    struct StructureSummary: Encodable {
        var structure: String
        var model: String
        var volumeML: Double
    }
    struct MeshSummary: Encodable {
        var structure: String
        var file: String
        var triangles: Int
    }
    struct Group: Encodable {
        var name: String
        var models: [String]
        var sharesResampling: Bool
    }

    var ct: String
    var preview: String?
    var groups: [Group]
    var notes: [String]
    var structures: [StructureSummary]
    var kidneyBox: IndexBox?
    var timings: [Timing]
    var fat: [SideFatMeasurements] = []
    var meshes: [MeshSummary] = []
    var warnings: [String]
    var estimatedPeakBytes: Int
    var peakRSSBytes: Int?
    var totalSeconds = 0.0

    init(ct: String, plan: JobPlan, result: SegmentationResult, readSeconds: Double) {
        self.ct = ct
        preview = plan.preview?.entry.id
        groups = plan.groups.map {
            Group(name: $0.name, models: $0.models.map(\.entry.id), sharesResampling: $0.sharesResampling)
        }
        notes = plan.notes
        let voxelML =
            result.labels.geometry.spacing.x * result.labels.geometry.spacing.y
            * result.labels.geometry.spacing.z / 1000
        var counts = [Int](repeating: 0, count: 256)
        for value in result.labels.voxels.elements { counts[Int(value)] += 1 }
        structures = result.masks.keys.sorted().map { structure in
            StructureSummary(
                structure: structure.rawValue, model: result.masks[structure]?.model ?? "",
                volumeML: Double(counts[Int(structure.labelValue)]) * voxelML)
        }
        kidneyBox = result.kidneyBox
        timings =
            [Timing(stage: "read CT", seconds: readSeconds)]
            + result.timings.map { Timing(stage: $0.stage, seconds: $0.seconds) }
        warnings = result.warnings
        estimatedPeakBytes = plan.estimatedPeakBytes
    }

    func print() {
        for structure in structures {
            Swift.print(String(format: "%@: %.1f mL (%@)", structure.structure, structure.volumeML, structure.model))
        }
        for warning in warnings { Swift.print("warning: \(warning)") }
        for timing in timings { Swift.print(String(format: "%@: %.2f s", timing.stage, timing.seconds)) }
        let peak = peakRSSBytes.map(describeBytes) ?? "unknown"
        Swift.print(
            String(
                format: "total %.2f s, peak memory %@ (planned %@)", totalSeconds, peak,
                describeBytes(estimatedPeakBytes)))
    }
}

/// Job events as a one-line progress display on a terminal, plain lines otherwise.
final class JobProgressDisplay: @unchecked Sendable {
    let terminal: Bool
    private let lock = NSLock()

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ event: SegmentationEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let stage): line("\(stage) …", final: false)
        case .progress(let model, let done, let total):
            guard terminal else { return }
            line("\(model) \(tileBar(done: done, total: total))", final: false)
        case .finished(let stage, let seconds): line(String(format: "%@: done in %.2f s", stage, seconds), final: true)
        case .previewReady: line("preview ready", final: true)
        case .modelFinished(let model, let masks):
            line("masks ready (\(model)): \(masks.map(\.structure.rawValue).joined(separator: ", "))", final: true)
        case .modelLoaded(let model): line("\(model): weights loaded", final: false)
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    private func line(_ text: String, final: Bool) {
        if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + (final ? "\n" : "")).utf8))
        } else if final {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
