// NIfTI read/write benchmarks on a generated CT-like volume (CTPhantom, 512 × 512 × 96 Int16 = 48 MiB of
// voxels by default; set ORGANA_BENCH_SLICES to change the slice count). The files are written once into a
// temporary folder and reused by every benchmark process. See README.md for how to run and what each measures.
import Benchmark
import CTPhantom
import Foundation
import NiftiIO
import VolumeCore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [
            .wallClock, .throughput, .cpuTotal, .peakMemoryResident, .peakMemoryResidentDelta, .mallocCountTotal,
            Fixture.megabytesPerSecond,
        ],
        warmupIterations: 1,
        maxDuration: .seconds(4),
        maxIterations: 20
    )

    read("Read .nii.gz (automatic: whole-buffer libdeflate)", Fixture.gzipPath, options: .init())
    read("Read .nii.gz (streaming zlib)", Fixture.gzipPath, options: .init(decompression: .streaming))
    read("Read .nii (uncompressed)", Fixture.plainPath, options: .init())
    for level in [1, 6] {
        write("Write .nii.gz (level \(level))", suffix: ".nii.gz", level: level)
    }
    write("Write .nii (uncompressed)", suffix: ".nii", level: 0)
}

/// One read benchmark: `NiftiReader.read(path, options:)`, the result kept alive until the iteration ends.
private func read(_ name: String, _ path: String, options: NiftiReadOptions) {
    Benchmark(
        name,
        closure: { benchmark in
            let start = ContinuousClock.now
            let image = try NiftiReader.read(path, options: options)
            Fixture.recordThroughput(benchmark, since: start)
            blackHole(image)
        }, setup: { try Fixture.prepare() })
}

/// One write benchmark: `NiftiWriter.write(volume, to:, options:)` into the fixture folder.
private func write(_ name: String, suffix: String, level: Int) {
    Benchmark(
        name,
        closure: { benchmark in
            let volume = try Fixture.volume()
            let output = Fixture.folder + "/written" + suffix
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            try NiftiWriter.write(volume, to: output, options: .init(compressionLevel: level))
            Fixture.recordThroughput(benchmark, since: start)
            benchmark.stopMeasurement()
        }, setup: { try Fixture.prepare() })
}

/// The generated input files, shared between the benchmark processes through a temporary folder.
enum Fixture {
    static let size = SIMD3(512, 512, Int(ProcessInfo.processInfo.environment["ORGANA_BENCH_SLICES"] ?? "") ?? 96)
    static let folder = NSTemporaryDirectory() + "organa-bench-\(size.x)x\(size.y)x\(size.z)"
    static let gzipPath = folder + "/ct.nii.gz"
    static let plainPath = folder + "/ct.nii"
    /// Uncompressed voxel bytes per file (the unit of the MB/s metric).
    static let voxelBytes = size.x * size.y * size.z * MemoryLayout<Int16>.size
    static let megabytesPerSecond = BenchmarkMetric.custom(
        "MB/s (voxel bytes)", polarity: .prefersLarger, useScalingFactor: false)

    /// Writes the phantom as .nii.gz (level 6) and .nii unless both already exist.
    static func prepare() throws {
        let files = FileManager.default
        guard !files.fileExists(atPath: gzipPath) || !files.fileExists(atPath: plainPath) else { return }
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let volume = try CTPhantom.make(size: size)
        try NiftiWriter.write(volume, to: plainPath)
        try NiftiWriter.write(volume, to: gzipPath, options: .init(compressionLevel: 6))
    }

    /// The phantom as read back from the .nii file (cheaper than generating it again).
    static func volume() throws -> Volume<Int16> {
        guard case .int16(let volume) = try NiftiReader.read(plainPath).volume else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return volume
    }

    static func recordThroughput(_ benchmark: Benchmark, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        benchmark.measurement(megabytesPerSecond, Int((Double(voxelBytes) / 1e6 / seconds).rounded()))
    }
}
