import Foundation
import OrganaTestSupport
import Testing

/// `organa model info` and `organa model bench` on a tiny nnU-Net results folder (NNUNetRuntimeTests fixtures).
@Suite struct ModelCommandTests {
    static var folder: String {
        RepositoryPaths.root.appendingPathComponent("Tests/NNUNetRuntimeTests/Fixtures/networks/resenc3d").path
    }

    @Test func infoDescribesTheModel() throws {
        let result = try InfoCommandTests.run(["model", "info", Self.folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("labels:         0 background, 1 label1, 2 label2"))
        #expect(result.stdout.contains("fold_0: nnUNetTrainer, configuration 3d_fullres"))
        #expect(result.stdout.contains("90 tensors match plans.json"))
        #expect(result.stdout.contains("ResidualEncoderUNet 3-D, 4 stages, features 4→8→8→12, 0.031 M parameters"))
    }

    @Test func benchRunsTheNetwork() throws {
        let result = try InfoCommandTests.run([
            "model", "bench", Self.folder, "--repeats", "1", "--threads", "1", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"tile\":[8, 16, 16]"))
    }

    @Test func missingFolderIsAnError() throws {
        let result = try InfoCommandTests.run(["model", "info", "/nonexistent/model"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/model"))
    }
}
