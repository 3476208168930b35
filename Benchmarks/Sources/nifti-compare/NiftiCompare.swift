// Times Organa's NIfTI reader and writer on a given file and prints one JSON object on stdout, for
// tools/bench/compare_nifti_read.py, which times SimpleITK and nibabel on the same file in the same run.
// Each repetition is timed on its own with a monotonic clock; the process's peak RSS (getrusage ru_maxrss)
// (VmHWM) is reported before the first repetition and at the end.
import ArgumentParser
import CTPhantom
import Foundation
import NiftiIO
import VolumeCore

#if canImport(Glibc)
import Glibc
#endif

@main
struct NiftiCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nifti-compare",
        abstract: "Time Organa's NIfTI reader/writer and print JSON.",
        subcommands: [Read.self, Write.self, Generate.self]
    )
}

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read FILE N times.")

    @Argument(help: "A .nii or .nii.gz file.") var file: String
    @Option(name: .shortAndLong, help: "Timed reads.") var repetitions = 5
    @Flag(help: "Stream with zlib instead of the whole-buffer inflate (two threads for one large member).")
    var streaming = false

    func run() throws {
        let options = NiftiReadOptions(decompression: streaming ? .streaming : .automatic)
        let rssBefore = peakRSSKiB()
        var times: [Double] = []
        var checksum: Int64 = 0
        var size = SIMD3(0, 0, 0)
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            let image = try NiftiReader.read(file, options: options)
            times.append(seconds(since: start))
            checksum = voxelSum(image.volume)
            size = image.volume.size
        }
        try printJSON(
            [
                "tool": "organa", "op": streaming ? "read-streaming" : "read", "file": file,
                "size": [size.x, size.y, size.z], "checksum": checksum,
                "threads": streaming ? 1 : ProcessInfo.processInfo.activeProcessorCount,
                "rss_before_kib": rssBefore, "max_rss_kib": peakRSSKiB(),
            ], times: times)
    }
}

struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read FILE once, then write it N times to OUTPUT.")

    @Argument(help: "A .nii or .nii.gz file to read (not timed).") var file: String
    @Option(name: .shortAndLong, help: "Output path (.nii.gz → compressed).") var output: String
    @Option(name: .shortAndLong, help: "libdeflate level (1-12).") var level = 6
    @Option(name: .shortAndLong, help: "Timed writes.") var repetitions = 5

    func run() throws {
        let volume = try NiftiReader.read(file).volume
        let rssBefore = peakRSSKiB()
        var times: [Double] = []
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            try volume.write(to: output, level: level)
            times.append(seconds(since: start))
        }
        let bytes = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? -1
        try printJSON(
            [
                "tool": "organa", "op": "write", "file": output, "level": level, "bytes": bytes,
                "threads": ProcessInfo.processInfo.activeProcessorCount, "fsync": true,
                "rss_before_kib": rssBefore, "max_rss_kib": peakRSSKiB(),
            ], times: times)
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the CTPhantom volume (Swift generator).")

    @Argument(help: "Output path (.nii.gz → compressed).") var output: String
    @Option(help: "Size x,y,z in voxels.") var size = "512,512,300"
    @Option(name: .shortAndLong, help: "libdeflate level (1-12).") var level = 6

    func run() throws {
        let extents = size.split(separator: ",").compactMap { Int($0) }
        guard extents.count == 3 else { throw ValidationError("--size takes x,y,z") }
        let volume = try CTPhantom.make(size: SIMD3(extents[0], extents[1], extents[2]))
        try NiftiWriter.write(volume, to: output, options: .init(compressionLevel: level))
    }
}

extension AnyVolume {
    fileprivate func write(to path: String, level: Int) throws {
        let options = NiftiWriteOptions(compressionLevel: level)
        switch self {
        case .int16(let volume): try NiftiWriter.write(volume, to: path, options: options)
        default: try NiftiWriter.write(converted(to: Float.self), to: path, options: options)
        }
    }
}

/// Sum of all voxels (Int16 files; other types are summed after conversion), to check that every reader
/// produced the same voxels.
private func voxelSum(_ volume: AnyVolume) -> Int64 {
    guard case .int16(let typed) = volume else {
        return Int64(volume.converted(to: Double.self).voxels.elements.reduce(0, +))
    }
    return typed.voxels.elements.withUnsafeBufferPointer { buffer in buffer.reduce(Int64(0)) { $0 + Int64($1) } }
}

private func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Peak resident set of this process in KiB: `VmHWM` of /proc/self/status (ru_maxrss is not used: on Linux it
/// keeps the parent's high-water mark across fork + exec).
private func peakRSSKiB() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
    {
        return kib
    }
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss
}

private func printJSON(_ fields: [String: Any], times: [Double]) throws {
    var object = fields
    let sorted = times.sorted()
    object["times_s"] = times
    object["median_s"] = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
    object["min_s"] = sorted.first ?? 0
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
