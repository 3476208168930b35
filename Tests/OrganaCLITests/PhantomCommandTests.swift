import Foundation
import NiftiIO
import OrganaTestSupport
import Testing

/// Runs `organa phantom` as a user would.
@Suite struct PhantomCommandTests {
    @Test func writesCTLabelsAndTheirNames() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try InfoCommandTests.run([
            "phantom", "--out", folder.path, "--size", "48,48,24", "--spacing", "8,8,12.5", "--seed", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let ct = try NiftiReader.read(folder.appendingPathComponent("ct.nii.gz").path)
        let labels = try NiftiReader.read(folder.appendingPathComponent("labels.nii.gz").path)
        #expect(ct.summary.size == [48, 48, 24])
        #expect(ct.summary.voxelType == "int16")
        #expect(labels.summary.voxelType == "uint8")
        #expect(ct.summary.orientation == "LPS")
        let json = try Data(contentsOf: folder.appendingPathComponent("labels.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let names = try #require(object["labels"] as? [String: Int])
        #expect(names["perirenal_fat"] == 6 && names["kidney"] == 1)
    }

    @Test func writesAnNNUNetDataset() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try InfoCommandTests.run([
            "phantom", "dataset", "--out", folder.path, "--cases", "1", "--id", "502", "--name", "Ureter",
            "--labels", "ureter", "--size", "32,32,16", "--spacing", "12,12,18",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let root = folder.appendingPathComponent("Dataset502_Ureter")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("dataset.json").path))
        #expect(
            FileManager.default.fileExists(atPath: root.appendingPathComponent("imagesTr/phantom_000_0000.nii.gz").path)
        )
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("labelsTr/phantom_000.nii.gz").path))
    }

    @Test(arguments: [
        (["--size", "0,2"], "--size"), (["--spacing", "1,1,1", "--fov", "9,9,9"], "--fov"),
        (["--spacing", "1,-1,1"], "spacing y"), (["--noise", "-3"], "noise"),
    ])
    func badOptionsFailWithAMessage(arguments: [String], mentions: String) throws {
        let result = try InfoCommandTests.run(["phantom", "--out", "/tmp/organa-unused"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
    }

    @Test func unknownLabelIsNamed() throws {
        let result = try InfoCommandTests.run([
            "phantom", "dataset", "--out", "/tmp/organa-unused", "--cases", "1", "--id", "5", "--name", "A",
            "--labels", "artery,liver",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("liver"))
    }
}
