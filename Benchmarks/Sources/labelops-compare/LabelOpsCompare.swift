// Times Organa's LabelOps and the full post-processing on one label map and prints one JSON object on stdout,
// for tools/bench/compare_labelops.py, which times cc3d and scipy.ndimage on the same inputs in the same run.
// Each repetition is timed on its own with a monotonic clock (the minimum and all times are reported); reading
// the files is not timed. Inputs derived from the label map (kidney mask, its complement) are built before
// timing, the same way the Python side builds them.
import ArgumentParser
import Foundation
import LabelOps
import NiftiIO
import PostProcessing
import VolumeCore

@main
struct LabelOpsCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelops-compare",
        abstract: "Time Organa's LabelOps and post-processing on a label map and print JSON.")

    @Argument(help: "A uint8 label map (.nii or .nii.gz): 1 kidney, 2 tumour, 3 artery, 4 vein, 5 ureter.")
    var labels: String

    @Option(help: "A CT on the same grid (for the full post-processing's fat candidate, −190…−30 HU).")
    var ct: String?

    @Option(name: .shortAndLong, help: "Timed repetitions per operation.")
    var repetitions = 3

    @Option(help: "Comma-separated operations (default: all).")
    var ops = "cc6,cc26,dust,largest,fill3d,edt,dilate5,post"

    func run() throws {
        guard case .uint8(let labelMap) = try NiftiReader.read(labels).volume else {
            throw ValidationError("\(labels) is not a uint8 label map")
        }
        let hu: Volume<Int16>? = try ct.map {
            guard case .int16(let volume) = try NiftiReader.read($0).volume else {
                throw ValidationError("\($0) is not an int16 CT")
            }
            return volume
        }
        let kidney = labelMap.map { $0 == 1 ? UInt8(1) : 0 }
        let notKidney = labelMap.map { $0 == 1 ? UInt8(0) : 1 }
        let voxelVolume = labelMap.geometry.voxelVolumeMM3
        var results: [String: Any] = [:]
        for op in ops.split(separator: ",").map(String.init) {
            var times: [Double] = []
            var check = 0
            for _ in 0..<repetitions {
                let start = ContinuousClock.now
                switch op {
                case "cc6": check = try connectedComponents(labelMap, connectivity: .six).count
                case "cc26": check = try connectedComponents(labelMap, connectivity: .twentySix).count
                case "dust":
                    check = try removeSmallComponents(labelMap, minimumVolumeMM3: 200 * voxelVolume)
                        .removals.reduce(0) { $0 + $1.voxelsRemoved }
                case "largest":
                    check = try keepLargestComponent(labelMap).removals.reduce(0) { $0 + $1.voxelsRemoved }
                case "fill3d": check = try fillHoles(kidney).voxels.elements.reduce(0) { $0 + Int($1) }
                case "edt":
                    let field = distanceTransform(notKidney)
                    check = Int(field.voxels.elements.max() ?? 0)
                case "dilate5": check = try dilate(kidney, radiusMM: 5).voxels.elements.reduce(0) { $0 + Int($1) }
                case "post":
                    guard let hu else { throw ValidationError("op post needs --ct") }
                    let corrected = try correctLabelMap(labelMap)
                    let fat = try perirenalFatMask(
                        labels: corrected.labelMap, fatCandidate: fatCandidateMask(ct: hu), hu: hu)
                    check = fat.sides.reduce(0) { $0 + $1.voxelCount }
                case "correct":
                    check = try correctLabelMap(labelMap).changes.reduce(0) { $0 + $1.voxelsRemoved + $1.voxelsAdded }
                case "fat":
                    guard let hu else { throw ValidationError("op fat needs --ct") }
                    let fat = try perirenalFatMask(labels: labelMap, fatCandidate: fatCandidateMask(ct: hu), hu: hu)
                    check = fat.sides.reduce(0) { $0 + $1.voxelCount }
                default: throw ValidationError("unknown op \(op)")
                }
                times.append(seconds(since: start))
            }
            results[op] = ["min_s": times.min() ?? 0, "times_s": times, "check": check]
        }
        let s = labelMap.size
        let object: [String: Any] = [
            "tool": "organa", "size": [s.x, s.y, s.z], "threads": ProcessInfo.processInfo.activeProcessorCount,
            "results": results,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
