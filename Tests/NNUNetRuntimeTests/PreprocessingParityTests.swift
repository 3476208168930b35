import ArrayCore
import Foundation
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// nnunetv2's `DefaultPreprocessor.run_case_npy` output (crop, CT normalisation, resampling incl. separate-z;
/// for the cascade fixture also the previous stage's segmentation, resampled and appended one-hot)
/// against the fixtures of tools/reference/make_predictor_fixtures.py; bit-identical float32 expected
/// (docs/design/0003-predictor.md). Skipped when the bundled model folder is absent.
@Suite("preprocessing parity with nnunetv2")
struct PreprocessingParityTests {
    @Test(arguments: PredictorFixtures.modelCases)
    func preprocessingMatches(modelCase: String) throws {
        let folder = try PredictorFixtures.modelFolder(modelCase)
        let info = try PredictorFixtures.caseInfo(modelCase)
        let previous = try PredictorFixtures.previousStage(modelCase).map {
            PreviousStageSegmentation(segmentation: $0, foregroundLabels: folder.dataset.foregroundLabels)
        }
        let result = try PredictorFixtures.preprocessor(folder).run(
            [try PredictorFixtures.image(modelCase)], previousStage: previous)
        let properties = result.properties
        #expect(properties.shapeBeforeCropping == info.shape_before_cropping)
        #expect(properties.boundingBox.map { [$0.lowerBound, $0.upperBound] } == info.bbox_used_for_cropping)
        #expect(properties.shapeAfterCropping == info.shape_after_cropping_and_before_resampling)
        #expect(result.data.shape == info.preprocessed_shape)
        let expected = try PredictorFixtures.float32(PredictorFixtures.folder(modelCase) + "/preprocessed.f32")
        let difference = PredictorFixtures.maxAbsoluteDifference(result.data.elements, expected)
        let unequal = zip(result.data.elements, expected).filter { $0.0 != $0.1 }.count
        print("parity \(modelCase) preprocessed: max abs \(difference), \(unequal) of \(expected.count) differ")
        #expect(difference <= 1e-5)
    }
}
