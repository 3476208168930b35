import Foundation
import NiftiIO
import OrganaTestSupport
import Phantom
import Testing
import VolumeCore

@Suite struct NNUNetDatasetTests {
    static func options(labels: [PhantomLabel]) -> NNUNetDatasetOptions {
        NNUNetDatasetOptions(
            id: 501, name: "Vessels", caseCount: 2, labels: labels, phantom: SharedPhantoms.small(seed: 1),
            firstSeed: 40)
    }

    @Test func writesTheNNUNetLayoutWithRemappedLabels() throws {
        let parent = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let options = Self.options(labels: [.artery, .vein])
        let root = try writeNNUNetDataset(options, into: parent.path)
        #expect(root == parent.appendingPathComponent("Dataset501_Vessels").path)

        let json = try Data(contentsOf: URL(fileURLWithPath: root).appendingPathComponent("dataset.json"))
        let description = try JSONDecoder().decode(NNUNetDatasetDescription.self, from: json)
        #expect(description.channelNames == ["0": "CT"])
        #expect(description.labelValues == ["background": 0, "artery": 1, "vein": 2])
        #expect(description.numTraining == 2)
        #expect(description.fileEnding == ".nii.gz")
        let raw = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(raw.keys).isSuperset(of: ["channel_names", "labels", "numTraining", "file_ending"]))

        for index in 0..<2 {
            let identifier = "phantom_00\(index)"
            let image = try NiftiReader.read("\(root)/imagesTr/\(identifier)_0000.nii.gz")
            let label = try NiftiReader.read("\(root)/labelsTr/\(identifier).nii.gz")
            #expect(image.volume.kind == .int16)
            #expect(label.volume.kind == .uint8)
            #expect(image.geometry.isApproximatelyEqual(to: label.geometry, tolerance: 1e-5))
            var phantomOptions = options.phantom
            phantomOptions.seed = 40 + UInt64(index)
            let phantom = try generatePhantom(phantomOptions)
            #expect(image.volume.converted(to: Int16.self).voxels == phantom.ct.voxels)
            let expected = phantom.labels.voxels.elements.map { value -> UInt8 in
                switch PhantomLabel(rawValue: value) {
                case .artery: 1
                case .vein: 2
                default: 0
                }
            }
            #expect(label.volume.converted(to: UInt8.self).voxels.elements == expected)
            #expect(expected.contains(1) && expected.contains(2))
        }
    }

    @Test func datasetJSONListsLabelsInValueOrder() {
        let text = Self.options(labels: [.kidney, .tumor]).datasetDescription.jsonText
        let background = text.range(of: "\"background\": 0")
        let kidney = text.range(of: "\"kidney\": 1")
        let tumor = text.range(of: "\"tumor\": 2")
        #expect(background != nil && kidney != nil && tumor != nil)
        if let background, let kidney, let tumor {
            #expect(background.lowerBound < kidney.lowerBound && kidney.lowerBound < tumor.lowerBound)
        }
    }

    @Test func badDatasetOptionsAreRejected() {
        var options = Self.options(labels: [])
        options.id = 1000
        options.name = "bad name"
        #expect {
            try writeNNUNetDataset(options, into: "/nonexistent")
        } throws: { error in
            guard let error = error as? PhantomError, error.code == .invalidOption else { return false }
            return error.message.contains("1000") && error.message.contains("bad name")
                && error.message.contains("at least one label")
        }
        #expect(throws: PhantomError.self) {
            try writeNNUNetDataset(Self.options(labels: [.artery, .artery]), into: "/nonexistent")
        }
    }
}
