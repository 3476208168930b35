// swift-tools-version: 6.2
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features the house style asks for.
let sharedSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let postgresNIO = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")

let package = Package(
    name: "Organa",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "organa", targets: ["organa"]),
        .library(name: "NiftiIO", targets: ["NiftiIO"]),
        .library(name: "VolumeCore", targets: ["VolumeCore"]),
        .library(name: "ArrayCore", targets: ["ArrayCore"]),
        .library(name: "LabelOps", targets: ["LabelOps"]),
        .library(name: "PostProcessing", targets: ["PostProcessing"]),
        .library(name: "NNLayers", targets: ["NNLayers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
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
        // L4: what every service shares (HTTP-free contracts; stores, signing, configuration, HTTP plumbing).
        .target(name: "ServiceContracts", swiftSettings: sharedSwiftSettings),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "ServiceSupport",
            dependencies: [
                "ServiceContracts", "CCrypto", "NiftiIO", "VolumeCore", "ArrayCore", hummingbird, httpTypes, grdb,
                logging, asyncHTTPClient,
            ],
            swiftSettings: sharedSwiftSettings),
        // L4: PostgreSQL job store and stage queue (queue mode, design note 0008).
        .target(
            name: "PostgresStore",
            dependencies: ["ServiceContracts", "ServiceSupport", postgresNIO, logging],
            swiftSettings: sharedSwiftSettings),
        // L5: one app per service (routes and handlers).
        .target(
            name: "GatewayApp",
            dependencies: [
                "ServiceContracts", "ServiceSupport", "PostgresStore", "Segmentation", "NiftiIO", hummingbird,
                httpTypes, serviceLifecycle,
                logging,
            ],
            // The web viewer's files, compiled into the binary (`PackageResources`): one executable, no bundle.
            resources: [.embedInCode("Viewer")],
            swiftSettings: sharedSwiftSettings),
        .target(
            name: "ImageServiceApp",
            dependencies: [
                "ServiceContracts", "ServiceSupport", "Segmentation", "NiftiIO", "VolumeCore", hummingbird, logging,
            ],
            swiftSettings: sharedSwiftSettings),
        .target(
            name: "PostServiceApp",
            dependencies: [
                "ServiceContracts", "ServiceSupport", "PostProcessing", "NiftiIO", "VolumeCore", hummingbird, logging,
            ],
            swiftSettings: sharedSwiftSettings),
        .target(
            name: "MeshServiceApp",
            dependencies: [
                "ServiceContracts", "ServiceSupport", "Meshing", "Segmentation", "NiftiIO", "VolumeCore", hummingbird,
                logging,
            ],
            swiftSettings: sharedSwiftSettings),
        // L6
        .executableTarget(
            name: "organa",
            dependencies: [
                "NiftiIO", "VolumeCore", "Meshing", "Phantom", "LabelOps", "PostProcessing", "NNLayers",
                "NNUNetRuntime", "Segmentation", "ServiceContracts", "ServiceSupport", "PostgresStore", "GatewayApp",
                "ImageServiceApp", "PostServiceApp", "MeshServiceApp",
                argumentParser, hummingbird, logging,
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
            name: "ServiceSupportTests",
            dependencies: [
                "ServiceSupport", "ServiceContracts", "NiftiIO", "VolumeCore", "OrganaTestSupport", asyncHTTPClient,
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "PostgresStoreTests",
            dependencies: [
                "PostgresStore", "ServiceSupport", "ServiceContracts", "OrganaTestSupport", postgresNIO, logging,
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ServicesEndToEndTests",
            dependencies: [
                "organa", "ServiceContracts", "ServiceSupport", "ImageServiceApp", "NiftiIO", "OrganaTestSupport",
                "PostgresStore", "Segmentation", postgresNIO, logging,
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "OrganaCLITests",
            dependencies: ["organa", "OrganaTestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
    ]
)
