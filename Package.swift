// swift-tools-version: 6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features the house style asks for.
let sharedSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "Organa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "organa", targets: ["organa"]),
        .library(name: "NiftiIO", targets: ["NiftiIO"]),
        .library(name: "VolumeCore", targets: ["VolumeCore"]),
        .library(name: "ArrayCore", targets: ["ArrayCore"]),
        .library(name: "LabelOps", targets: ["LabelOps"]),
        .library(name: "PostProcessing", targets: ["PostProcessing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0")
    ],
    targets: [
        // L0
        .target(name: "ArrayCore", swiftSettings: sharedSwiftSettings),
        // L1
        .target(name: "VolumeCore", dependencies: ["ArrayCore"], swiftSettings: sharedSwiftSettings),
        // L2
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(
            name: "NiftiIO",
            dependencies: ["VolumeCore", "ArrayCore", "CZlib", "CDeflate"],
            swiftSettings: sharedSwiftSettings
        ),
        .target(name: "Meshing", dependencies: ["VolumeCore", "ArrayCore"], swiftSettings: sharedSwiftSettings),
        .target(name: "LabelOps", dependencies: ["VolumeCore", "ArrayCore"], swiftSettings: sharedSwiftSettings),
        // L3
        .target(
            name: "Phantom", dependencies: ["VolumeCore", "ArrayCore", "NiftiIO"], swiftSettings: sharedSwiftSettings),
        .target(
            name: "PostProcessing", dependencies: ["LabelOps", "VolumeCore", "ArrayCore"],
            swiftSettings: sharedSwiftSettings),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // The kernels are optimised in debug builds too: the test suite runs whole networks, and at -O0 they were
        // the larger part of its time.
        .target(name: "CNNKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "NNLayers", dependencies: ["ArrayCore", "COpenBLAS", "CNNKernels"], swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "NNUNetRuntime",
            dependencies: ["VolumeCore", "ArrayCore", "LabelOps", "NNLayers", "CNNKernels", "CZlib"],
            swiftSettings: sharedSwiftSettings),
        .target(
            name: "Segmentation", dependencies: ["NNUNetRuntime", "LabelOps", "VolumeCore", "ArrayCore"],
            swiftSettings: sharedSwiftSettings),
        // Seeded mutation fuzzer for the checkpoint unpickler (a long run; the test suite runs a short one).
        .executableTarget(
            name: "nnunet-pickle-fuzz", dependencies: ["NNUNetRuntime"], swiftSettings: sharedSwiftSettings),
        // L6
        .executableTarget(
            name: "organa",
            dependencies: [
                "NiftiIO", "VolumeCore", "Meshing", "Phantom", "LabelOps", "PostProcessing", "NNLayers",
                "NNUNetRuntime", "Segmentation",
                argumentParser,
            ],
            swiftSettings: sharedSwiftSettings
        ),
        // Test support (seeded synthetic data, fixture locator).
        .target(
            name: "OrganaTestSupport",
            dependencies: ["VolumeCore", "ArrayCore", "NiftiIO", "Meshing"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ArrayCoreTests",
            dependencies: ["ArrayCore", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "VolumeCoreTests",
            dependencies: ["VolumeCore", "OrganaTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "NiftiIOTests",
            dependencies: ["NiftiIO", "OrganaTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "MeshingTests",
            dependencies: ["Meshing", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "LabelOpsTests",
            dependencies: ["LabelOps", "OrganaTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "PostProcessingTests",
            dependencies: ["PostProcessing", "Phantom", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "PhantomTests",
            dependencies: ["Phantom", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "NNLayersTests",
            dependencies: ["NNLayers", "OrganaTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "NNUNetRuntimeTests",
            dependencies: ["NNUNetRuntime", "OrganaTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "SegmentationTests",
            dependencies: ["Segmentation", "Phantom", "NiftiIO", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "OrganaCLITests",
            dependencies: ["organa", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
    ]
)
