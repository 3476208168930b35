import ArrayCore
import Foundation
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// A cascade stage's previous-stage input: what is refused, with which message (parity of the accepted input is
/// in the preprocessing/export parity suites, cascade fixtures), and the segmentation resampling's rule.
@Suite("cascade input")
struct CascadeInputTests {
    static let modelCase = "cascade/small"

    static func cascade() throws -> (Predictor, Volume<Float>) {
        let folder = try PredictorFixtures.modelFolder(modelCase)
        return (try Predictor(model: folder, options: .init(mirroring: false)), try PredictorFixtures.image(modelCase))
    }

    @Test func cascadeStageWithoutPreviousStageIsRefused() throws {
        let (predictor, image) = try Self.cascade()
        #expect(predictor.isCascadeStage)
        let error = #expect(throws: NNUNetError.self) { try predictor.preprocess([image]) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("needs the segmentation of its previous stage 3d_lowres") == true)
    }

    @Test func otherModelRefusesPreviousStage() throws {
        let folder = try PredictorFixtures.modelFolder("kidney-tumor-v1/small")
        let predictor = try Predictor(model: folder, options: .init(mirroring: false))
        let image = try PredictorFixtures.image(Self.modelCase)
        let labels = try Volume(
            voxels: NDArray(shape: image.voxels.shape, repeating: UInt8(0)), geometry: image.geometry)
        let error = #expect(throws: NNUNetError.self) { try predictor.preprocess([image], previousStage: labels) }
        #expect(error?.message.contains("is not a cascade stage") == true)
    }

    @Test func unknownLabelAndWrongSizeAreRefused() throws {
        let (predictor, image) = try Self.cascade()
        var voxels = NDArray(shape: image.voxels.shape, repeating: UInt8(0))
        voxels.elements[voxels.count / 2] = 7
        let unknown = #expect(throws: NNUNetError.self) {
            try predictor.preprocess([image], previousStage: Volume(voxels: voxels, geometry: image.geometry))
        }
        #expect(unknown?.message.contains("label 7") == true)
        let shape = image.voxels.shape
        let smaller = try Volume(
            voxels: NDArray(shape: [shape[0], shape[1], shape[2] - 1], repeating: UInt8(0)), geometry: image.geometry)
        let size = #expect(throws: NNUNetError.self) { try predictor.preprocess([image], previousStage: smaller) }
        #expect(size?.message.contains("previous stage's segmentation has size") == true)
    }

    /// One channel per foreground label, in the given order; background and −1 (outside the non-zero crop) give
    /// no channel.
    @Test func oneHotHasAChannelPerForegroundLabel() throws {
        let labels = try NDArray(shape: [1, 1, 5], elements: [Int16(-1), 0, 2, 1, 2])
        #expect(Preprocessor.oneHot(labels, foregroundLabels: [1, 2]) == [0, 0, 0, 1, 0] + [0, 0, 1, 0, 1])
    }

    /// Resampling a label map to its own shape changes nothing (nnU-Net returns the array as it is).
    @Test func segmentationResamplingToTheSameShapeIsIdentity() throws {
        let labels = try NDArray(shape: [2, 2, 3], elements: (0..<12).map { Int16($0 % 3) - 1 })
        let resampling = ConfigurationPlan.Resampling(
            function: "resample_data_or_seg_to_shape", isSegmentation: true, order: 1, orderZ: 0,
            forceSeparateZ: nil)
        let same = try Preprocessor.resampleSegmentation(
            labels, to: [2, 2, 3], from: [1, 1, 1], to: [1, 1, 1], resampling: resampling)
        #expect(same.elements == labels.elements)
    }
}
