// swift-tools-version: 6.1
// Benchmarks for Organa, kept out of the root package so that `swift build` / `swift test` at the root never
// resolve or build ordo-one/benchmark. See README.md here and docs/BENCHMARKS.md.
import PackageDescription

let package = Package(
    name: "OrganaBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Organa", path: ".."),
        // The malloc interposer backs the malloc-count metrics; the runtime interposer (a default trait) is left off.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // Seeded CT-like phantom shared by the benchmark and the comparison driver (same model as
        // tools/bench/compare_nifti_read.py).
        .target(
            name: "CTPhantom",
            dependencies: [
                .product(name: "ArrayCore", package: "Organa"), .product(name: "VolumeCore", package: "Organa"),
            ],
            path: "Sources/CTPhantom"
        ),
        .executableTarget(
            name: "NiftiIOBenchmarks",
            dependencies: [
                "CTPhantom",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NiftiIO", package: "Organa"),
                .product(name: "VolumeCore", package: "Organa"),
            ],
            path: "Benchmarks/NiftiIOBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "NNLayersBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ArrayCore", package: "Organa"),
                .product(name: "NNLayers", package: "Organa"),
            ],
            path: "Benchmarks/NNLayersBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Times Organa's reader/writer on a given file and prints JSON (driven by tools/bench/compare_nifti_read.py).
        .executableTarget(
            name: "nifti-compare",
            dependencies: [
                "CTPhantom",
                .product(name: "NiftiIO", package: "Organa"),
                .product(name: "VolumeCore", package: "Organa"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/nifti-compare"
        ),
        // Times Organa's LabelOps and post-processing on a label map, prints JSON (driven by
        // tools/bench/compare_labelops.py, which times cc3d and scipy in the same run).
        .executableTarget(
            name: "labelops-compare",
            dependencies: [
                .product(name: "LabelOps", package: "Organa"),
                .product(name: "PostProcessing", package: "Organa"),
                .product(name: "NiftiIO", package: "Organa"),
                .product(name: "VolumeCore", package: "Organa"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/labelops-compare"
        ),
    ]
)
