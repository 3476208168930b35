import ArgumentParser
import ArrayCore
import Foundation
import Meshing
import NNLayers
import NiftiIO
import PostProcessing
import Segmentation
import VolumeCore

/// `organa run ct.nii.gz --out DIR`: the whole job in one process, the CT read once.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Segment a CT with the catalog's models, post-process the masks and mesh them, in one process.",
        discussion: """
            Plans from the NIfTI header (models, shared resampling, memory), reads the CT once, runs every \
            selected model on it in memory, merges their structures (labels.nii.gz: 1 kidney, 2 tumor, \
            3 artery, 4 vein, 5 ureter), keeps per-structure masks (masks/, cropped) and the fat-candidate mask, \
            then corrects the label map, derives the perirenal fat mask (post/) and writes one OBJ per \
            structure (meshes/). summary.json has volumes, timings and peak memory.
            """)

    @Argument(help: "The CT (.nii or .nii.gz, HU).")
    var ct: String

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var selection: SelectionOptions

    @Option(help: "Refuse the job when its estimated peak memory exceeds this many GiB.")
    var memoryBudget: Double?

    @Option(
        help: ArgumentHelp(
            "How models on the same target grid share preprocessing: exact (identical normalisation: the same input "
                + "nnunetv2 makes), lean (shared resampling, each model normalises after it; not bit-identical), "
                + "off (each model alone, as nnUNetv2_predict)."))
    var sharing = "exact"

    @Flag(help: "Run every model on the whole image (no kidney box from the preview).")
    var noCrop = false

    @Flag(help: "Disable mirroring test-time augmentation.")
    var noMirroring = false

    @Option(help: "Sliding-window step as a fraction of the patch, in (0, 1].")
    var tileStep = 0.5

    @Option(help: "HU window of the fat-candidate mask, LOW,HIGH.")
    var fatWindow = "-190,-30"

    @Flag(help: "Stop after segmentation (no corrections, fat mask or meshes).")
    var segmentOnly = false

    @Option(help: "Threads for Organa's kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard tileStep > 0, tileStep <= 1 else { throw ValidationError("--tile-step \(tileStep) must be in (0, 1]") }
        if let memoryBudget, !(memoryBudget > 0) { throw ValidationError("--memory-budget must be > 0 GiB") }
    }

    func sharingMode() throws -> ResamplingSharing {
        guard let mode = ResamplingSharing(rawValue: sharing.lowercased()) else {
            throw ValidationError("--sharing \(sharing) is not one of exact, lean, off")
        }
        return mode
    }

    func run() throws {
        if let threads {
            ParallelSettings.workerCount = threads
        }
        let options = PlanningOptions(
            sharing: try sharingMode(), cropToKidneys: !noCrop,
            memoryBudgetBytes: memoryBudget.map { Int($0 * 1_073_741_824) }, mirroring: !noMirroring,
            tileStep: tileStep, fatWindow: try PostCommand.parseWindow(fatWindow))
        let catalog = try ModelCatalog.load(selection.catalog)
        let plan = try JobPlanner(catalog: catalog).plan(
            try selection.request(), image: try imageInfo(ct), options: options)
        for note in plan.notes { FileHandle.standardOutput.write(Data("plan: \(note)\n".utf8)) }
        FileHandle.standardOutput.write(Data("plan: estimated peak \(describeBytes(plan.estimatedPeakBytes))\n".utf8))
        let start = Date()
        let volume = try PostCommand.readCT(ct)
        let readSeconds = Date().timeIntervalSince(start)
        let display = JobProgressDisplay(terminal: isatty(STDERR_FILENO) == 1)
        let result = try SegmentationJob(plan: plan, catalog: catalog).run(volume) { display.show($0) }
        display.finish()
        let folder = URL(fileURLWithPath: out)
        let writer = try RunOutputWriter(folder: folder)
        try writer.writeSegmentation(result)
        var summary = RunSummary(ct: ct, plan: plan, result: result, readSeconds: readSeconds)
        if !segmentOnly {
            try writer.postProcessAndMesh(result, ct: volume, summary: &summary)
        }
        summary.totalSeconds = Date().timeIntervalSince(start)
        summary.peakRSSBytes = peakResidentBytes()
        try writer.writeSummary(summary)
        summary.print()
    }
}

/// Catalog, structures, pins and preview: shared by `run` and `models`.
struct SelectionOptions: ParsableArguments {
    @Option(help: "Model catalog (JSON).")
    var catalog = "models/catalog.json"

    @Option(help: "Structures to segment, comma-separated (kidney, tumor, artery, vein, ureter; default all).")
    var structures: String?

    @Option(help: "Use FAMILY's VERSION instead of the newest, e.g. --pin ureter=1 (repeatable).")
    var pin: [String] = []

    @Flag(help: "Also run the coarse preview model first.")
    var preview = false

    func request() throws -> SegmentationRequest {
        var wanted: [Structure] = []
        for name in (structures ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !name.isEmpty {
            guard let structure = Structure(name: name) else {
                let known = Structure.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown structure \(name) (known: \(known))")
            }
            wanted.append(structure)
        }
        var pins: [String: Int] = [:]
        for text in pin {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let version = Int(parts[1]) else {
                throw ValidationError("--pin \(text) is not FAMILY=VERSION (e.g. ureter=1)")
            }
            pins[parts[0]] = version
        }
        return SegmentationRequest(structures: wanted, pins: pins, preview: preview)
    }
}

/// The header facts of a NIfTI file, without reading its voxels.
func imageInfo(_ path: String) throws -> ImageInfo {
    let header = try NiftiReader.readHeader(path)
    return ImageInfo(size: try header.gridSize(), geometry: try header.geometry())
}

/// Peak resident memory of this process (VmHWM), or nil where /proc is missing.
func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
    }
    return nil
}
