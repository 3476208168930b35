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

    /// The test-only cascade (Fixtures/trained, tools/reference/make_fixture_models.py) through the CLI: both
    /// stages in one call, and the cascade stage given nnunetv2's previous-stage file, each against nnunetv2's
    /// chained segmentation; a cascade without its previous stage and a non-label previous stage are errors.
    @Test func cascadeMatchesNNUNet() throws {
        let trained = Self.fixtures.appendingPathComponent("trained")
        let reference = Self.fixtures.appendingPathComponent("reference/cascade/small").path
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = reference + "/ct.nii.gz"
        let image = try NiftiReader.read(input).volume.converted(to: Float.self)
        let previousFile = folder.appendingPathComponent("previous.nii.gz").path
        let previous = try NDArray(
            shape: image.voxels.shape,
            elements: [UInt8](try Data(contentsOf: URL(fileURLWithPath: reference + "/previous_stage.u8"))))
        try NiftiWriter.write(try Volume(voxels: previous, geometry: image.geometry), to: previousFile)
        let theirs = [UInt8](try Data(contentsOf: URL(fileURLWithPath: reference + "/segmentation.u8")))
        let cascade = trained.appendingPathComponent("cascade").path
        for stage in [
            ["--previous-stage-model", trained.appendingPathComponent("cascade-lowres").path],
            ["--previous-stage", previousFile],
        ] {
            let output = folder.appendingPathComponent("seg.nii.gz").path
            let result = try InfoCommandTests.run(
                ["predict", "--model", cascade, "--input", input, "--output", output, "--no-mirroring"] + stage)
            #expect(result.status == 0, "\(result.stderr)")
            let ours = try NiftiReader.read(output).volume.converted(to: UInt8.self).voxels.elements
            let equal = zip(ours, theirs).filter { $0.0 == $0.1 }.count
            #expect(Double(equal) >= 0.9999 * Double(theirs.count), "\(stage[0]): \(equal) of \(theirs.count) agree")
        }
        let missing = try InfoCommandTests.run([
            "predict", "--model", cascade, "--input", input, "--output", "/tmp/x.nii.gz",
        ])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("needs the segmentation of its previous stage 3d_lowres"), "\(missing.stderr)")
        let notLabels = try InfoCommandTests.run([
            "predict", "--model", cascade, "--input", input, "--output", "/tmp/x.nii.gz", "--previous-stage", input,
        ])
        #expect(notLabels.status != 0)
        #expect(notLabels.stderr.contains("is not a label map"), "\(notLabels.stderr)")
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
