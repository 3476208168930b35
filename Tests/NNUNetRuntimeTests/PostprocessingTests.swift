import ArrayCore
import Foundation
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// nnU-Net's post-processing (`NNUNetPostprocessing`) against nnunetv2's `apply_postprocessing` on the fixture
/// of tools/reference/make_postprocessing_fixtures.py (a label, a region and a one-label list; two components
/// tied for largest), and its bad-input errors.
@Suite struct PostprocessingTests {
    static let folder = CheckpointFixtures.root.appendingPathComponent("postprocessing")

    static func labelMap(_ name: String) throws -> Volume<UInt8> {
        let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
        return try Volume(
            voxels: NDArray(shape: [24, 40, 48], elements: bytes), geometry: VolumeGeometry(spacing: .one))
    }

    @Test func matchesNNUNet() throws {
        let postprocessing = try NNUNetPostprocessing.load(
            Self.folder.appendingPathComponent("postprocessing.json").path)
        #expect(postprocessing.steps == [[1], [2, 3], [3]])
        let input = try Self.labelMap("labels.u8")
        let expected = try Self.labelMap("expected.u8")
        let result = try postprocessing.apply(to: input)
        let differing = zip(result.voxels.elements, expected.voxels.elements).filter { $0 != $1 }.count
        let changed = zip(input.voxels.elements, expected.voxels.elements).filter { $0 != $1 }.count
        print("post-processing: nnunetv2 changed \(changed) voxels; Organa differs from it at \(differing)")
        #expect(changed > 0)
        #expect(differing == 0)
        #expect(result.geometry == input.geometry)
    }

    @Test(arguments: [
        #"{"postprocessing_fns": ["remove_small_components"], "postprocessing_kwargs": [{"labels_or_regions": 1}]}"#,
        #"{"postprocessing_fns": ["remove_all_but_largest_component_from_segmentation"], "postprocessing_kwargs": []}"#,
        #"{"postprocessing_fns": ["remove_all_but_largest_component_from_segmentation"], "postprocessing_kwargs": [{"labels_or_regions": 0}]}"#,
        #"{"postprocessing_fns": ["remove_all_but_largest_component_from_segmentation"], "postprocessing_kwargs": [{"labels_or_regions": [1, 300]}]}"#,
        #"{"postprocessing_fns": ["remove_all_but_largest_component_from_segmentation"], "postprocessing_kwargs": [{}]}"#,
        #"{"postprocessing_fns": "x"}"#, "not json",
    ])
    func badFilesAreErrors(_ text: String) {
        #expect(throws: NNUNetError.self) { try NNUNetPostprocessing(json: Data(text.utf8)) }
    }

    /// A results folder with postprocessing.json carries it; the predictor applies it unless told not to.
    @Test func modelFolderAndPredictorApplyIt() throws {
        let source = BundledModels.folder("ureter-v1")
        try #require(BundledModels.available("ureter-v1"))
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("organa-pp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try FileManager.default.copyItem(atPath: source, toPath: temporary.path)
        #expect(try ModelFolder(path: temporary.path).postprocessing == nil)
        try Data(
            #"{"postprocessing_fns": ["remove_all_but_largest_component_from_segmentation"], "postprocessing_kwargs": [{"labels_or_regions": 1}]}"#
                .utf8
        )
        .write(to: temporary.appendingPathComponent("postprocessing.json"))
        let folder = try ModelFolder(path: temporary.path)
        #expect(folder.postprocessing?.steps == [[1]])
        var labels = Volume(size: SIMD3(6, 5, 4), repeating: UInt8(0))
        labels[0, 0, 0] = 1
        labels[4, 4, 3] = 1
        labels[3, 4, 3] = 1
        let on = try Predictor(model: folder).postprocessed(labels)
        #expect(on.voxels.elements.filter { $0 == 1 }.count == 2)
        let off = try Predictor(model: folder, options: PredictionOptions(postprocessing: false)).postprocessed(labels)
        #expect(off == labels)
    }
}
