import ArgumentParser
import ArrayCore
import Foundation
import LabelOps
import NiftiIO
import PostProcessing
import VolumeCore

/// `organa post --labels seg.nii.gz --fat-candidate fat.nii.gz --out DIR`: corrections and the perirenal fat
/// mask from masks alone.
struct PostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post",
        abstract: "Correct a label map and derive the perirenal fat mask from masks alone.",
        discussion: """
            Corrections (each reported): largest kidney component per side, kidney holes, tumour within a distance \
            of the kidney, vessel/ureter fragments. Then perirenal fat = fat-candidate voxels near kidney ∪ tumour, \
            minus every structure and the renal sinus, split left/right. Labels: 1 kidney, 2 tumor, 3 artery, \
            4 vein, 5 ureter (as organa phantom writes). Writes DIR/labels_corrected.nii.gz, \
            DIR/perirenal_fat.nii.gz (1 left, 2 right) and DIR/post_report.json.
            """)

    @Option(help: "Label map (.nii or .nii.gz) with whole values in 0…255.")
    var labels: String

    @Option(help: "Fat-candidate mask (non-zero = fat), on the label map's grid.")
    var fatCandidate: String?

    @Option(
        help: """
            CT on the label map's grid: gives mean HU per side and, without --fat-candidate, the candidate \
            (voxels in --fat-window).
            """)
    var ct: String?

    @Option(help: "HU window of fat when the candidate comes from --ct, LOW,HIGH.")
    var fatWindow: String = "-190,-30"

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Perirenal distance from kidney ∪ tumour, mm.")
    var fatDistance: Double = FatMaskOptions().distanceMM

    @Flag(help: "Skip the corrections (fat mask from the label map as given).")
    var noCorrections = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if fatCandidate == nil && ct == nil {
            throw ValidationError("give --fat-candidate, or --ct to derive the candidate from HU")
        }
    }

    func run() throws {
        if let threads { ParallelSettings.workerCount = threads }
        let window = try Self.parseWindow(fatWindow)
        let labelMap = try Self.readLabelMap(labels)
        let hu = try ct.map { try Self.readCT($0) }
        let candidate: Volume<UInt8>
        if let fatCandidate {
            candidate = try Self.readLabelMap(fatCandidate, what: "fat-candidate mask")
        } else if let hu {
            candidate = fatCandidateMask(ct: hu, window: window)
        } else {
            throw ValidationError("give --fat-candidate, or --ct to derive the candidate from HU")
        }
        let corrected = noCorrections ? nil : try correctLabelMap(labelMap)
        let fat = try perirenalFatMask(
            labels: corrected?.labelMap ?? labelMap, fatCandidate: candidate, hu: hu,
            options: FatMaskOptions(distanceMM: fatDistance))
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let corrected {
            try NiftiWriter.write(corrected.labelMap, to: folder.appendingPathComponent("labels_corrected.nii.gz").path)
        }
        try NiftiWriter.write(fat.mask, to: folder.appendingPathComponent("perirenal_fat.nii.gz").path)
        let report = PostReport(
            labels: labels, fatCandidate: fatCandidate ?? "\(ct ?? "") HU \(window)",
            corrections: corrected?.changes ?? [], correctionWarnings: corrected?.warnings ?? [],
            fatSides: fat.sides, fatWarnings: fat.warnings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(report).write(to: folder.appendingPathComponent("post_report.json"))
        report.printSummary()
    }

    /// `LOW,HIGH` in HU.
    static func parseWindow(_ text: String) throws -> ClosedRange<Int16> {
        let parts = text.split(separator: ",").map { Int16($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low <= high else {
            throw ValidationError("--fat-window \(text) is not LOW,HIGH with LOW ≤ HIGH (whole HU)")
        }
        return low...high
    }

    /// A label map or mask as UInt8: integer types (and floats holding whole numbers) with values in 0…255.
    static func readLabelMap(_ path: String, what: String = "label map") throws -> Volume<UInt8> {
        let image = try NiftiReader.read(path)
        if case .uint8(let volume) = image.volume { return volume }
        let values = image.volume.converted(to: Double.self)
        if let bad = values.voxels.elements.first(where: { !($0 >= 0 && $0 <= 255 && $0.rounded() == $0) }) {
            throw ValidationError(
                "\(path): a \(what) must hold whole values in 0…255 (datatype \(image.volume.kind.rawValue), "
                    + "found \(bad))")
        }
        return values.map { UInt8($0) }
    }

    /// A CT in HU as Int16 (other integer or float types are rounded and clamped).
    static func readCT(_ path: String) throws -> Volume<Int16> {
        let image = try NiftiReader.read(path)
        if case .int16(let volume) = image.volume { return volume }
        return image.volume.converted(to: Double.self).map { Int16(clampingTruncating: $0.rounded()) }
    }
}

/// What `organa post` writes to post_report.json.
struct PostReport: Encodable {
    var labels: String
    var fatCandidate: String
    var corrections: [CorrectionChange]
    var correctionWarnings: [String]
    var fatSides: [SideFatMeasurements]
    var fatWarnings: [String]

    func printSummary() {
        for change in corrections where change.voxelsRemoved + change.voxelsAdded > 0 {
            print(
                "\(change.correction) \(change.structure): removed \(change.componentsRemoved) components, "
                    + "\(change.voxelsRemoved) voxels; added \(change.voxelsAdded) voxels")
        }
        for side in fatSides {
            let hu = side.meanHU.map { String(format: ", mean %.1f HU", $0) } ?? ""
            let thickness =
                side.posteriorThickness.map {
                    String(format: ", posterior %.1f mm (MAP %d, ", $0.maximumMM, $0.mapPoints)
                        + "\($0.level.rawValue))"
                } ?? ""
            print("perirenal fat \(side.side.rawValue): " + String(format: "%.1f mL", side.volumeML) + hu + thickness)
        }
        for warning in correctionWarnings + fatWarnings { print("warning: \(warning)") }
    }
}
