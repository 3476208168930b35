import ArrayCore
import Foundation
import NiftiIO
import OrganaTestSupport
import Testing
import VolumeCore

/// `organa predict` end to end: the tiny fixture network (always), and the bundled vessels model against
/// nnunetv2's segmentation of the "small" reference case (when models/vessels exists).
@Suite struct PredictCommandTests {
    static let fixtures = RepositoryPaths.root.appendingPathComponent("Tests/NNUNetRuntimeTests/Fixtures")
    static var smallCase: String { fixtures.appendingPathComponent("reference/vessels/small").path }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("organa-predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func tinyNetworkWritesALabelMapWithTheInputGeometry() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("seg.nii.gz").path
        let input = Self.smallCase + "/ct.nii.gz"
        let result = try InfoCommandTests.run([
            "predict", "--model", Self.fixtures.appendingPathComponent("networks/plain3d").path, "--input", input,
            "--output", output, "--no-mirroring", "--tile-step", "1", "--save-probabilities",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let segmentation = try NiftiReader.read(output)
        let image = try NiftiReader.read(input)
        #expect(segmentation.volume.kind == .uint8)
        #expect(segmentation.geometry.isApproximatelyEqual(to: image.geometry, tolerance: 1e-5))
        #expect(segmentation.volume.size == image.volume.size)
        let values = segmentation.volume.converted(to: UInt8.self).voxels.elements
        #expect(values.allSatisfy { $0 <= 2 })
        for k in 0..<3 {
            #expect(
                FileManager.default.fileExists(
                    atPath: folder.appendingPathComponent("seg_probabilities_\(k).nii.gz").path))
        }
    }

    @Test func bundledModelMatchesNNUNet() throws {
        let model = RepositoryPaths.root.appendingPathComponent("models/vessels").path
        guard FileManager.default.fileExists(atPath: model + "/plans.json") else { return }
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("seg.nii.gz").path
        let result = try InfoCommandTests.run([
            "predict", "--model", model, "--input", Self.smallCase + "/ct.nii.gz", "--output", output,
            "--no-mirroring", "--folds", "0",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try NiftiReader.read(output).volume.converted(to: UInt8.self).voxels.elements
        let theirs = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.smallCase + "/segmentation.u8")))
        #expect(ours.count == theirs.count)
        let equal = zip(ours, theirs).filter { $0.0 == $0.1 }.count
        #expect(Double(equal) >= 0.9999 * Double(theirs.count), "\(equal) of \(theirs.count) voxels agree")
    }

    @Test func badArgumentsAreErrors() throws {
        let missing = try InfoCommandTests.run([
            "predict", "--model", "/nonexistent/model", "--input", Self.smallCase + "/ct.nii.gz", "--output",
            "/tmp/never.nii.gz",
        ])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/model"))
        let channels = try InfoCommandTests.run([
            "predict", "--model", Self.fixtures.appendingPathComponent("networks/plain3d").path,
            "--input", Self.smallCase + "/ct.nii.gz", "--input", Self.smallCase + "/ct.nii.gz",
            "--output", "/tmp/never.nii.gz",
        ])
        #expect(channels.status != 0)
        #expect(channels.stderr.contains("expects 1 input channel"))
        let step = try InfoCommandTests.run([
            "predict", "--model", "x", "--input", "y", "--output", "z", "--tile-step", "1.5",
        ])
        #expect(step.status != 0)
    }
}
