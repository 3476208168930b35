import ArrayCore
import Foundation
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// Export (logits resampled back, argmax or softmax, crop and transpose reverted) from nnunetv2's own fp16
/// logits, and the whole pipeline from the CT: segmentation Dice ≥ 0.999 per label and ≥ 99.99 % voxel
/// agreement, probabilities within 2e-3 (fp16 storage of the fixture; docs/design/0003-predictor.md).
@Suite("export parity with nnunetv2")
struct ExportParityTests {
    @Test(arguments: PredictorFixtures.modelCases)
    func exportMatches(modelCase: String) throws {
        let folder = try PredictorFixtures.modelFolder(modelCase)
        let info = try PredictorFixtures.caseInfo(modelCase)
        let base = PredictorFixtures.folder(modelCase)
        let predictor = try Predictor(model: folder, options: PredictionOptions(mirroring: false))
        let properties = try predictor.preprocess(
            [try PredictorFixtures.image(modelCase)], previousStage: PredictorFixtures.previousStage(modelCase)
        ).properties
        let logits = try NDArray(
            shape: info.arrays["logits.f16"]!.shape, elements: PredictorFixtures.float16(base + "/logits.f16"))
        let expected = try PredictorFixtures.uint8(base + "/segmentation.u8")
        for probabilities in [false, true] {
            let exported = try predictor.export(logits, properties: properties, probabilities: probabilities)
            #expect(exported.segmentation.voxels.shape == info.arrays["segmentation.u8"]!.shape)
            let (dice, agreement) = PredictorFixtures.agreement(exported.segmentation.voxels.elements, expected)
            print("parity \(modelCase) export (probabilities \(probabilities)): agreement \(agreement), Dice \(dice)")
            #expect(agreement >= 0.9999)
            #expect(dice.values.allSatisfy { $0 >= 0.999 })
            if let ours = exported.probabilities {
                let theirs = try PredictorFixtures.float16(base + "/probabilities.f16").map { Float($0) }
                let difference = PredictorFixtures.maxAbsoluteDifference(
                    ours.elements.map { Float(Float16($0)) }, theirs)
                print("parity \(modelCase) probabilities: max abs \(difference)")
                #expect(difference <= 2e-3)
            }
        }
    }

    @Test(arguments: PredictorFixtures.modelCases)
    func endToEndSegmentationMatches(modelCase: String) throws {
        let folder = try PredictorFixtures.modelFolder(modelCase)
        let info = try PredictorFixtures.caseInfo(modelCase)
        let base = PredictorFixtures.folder(modelCase)
        for mirrored in info.arrays["segmentation_mirrored.u8"] == nil ? [false] : [false, true] {
            let predictor = try Predictor(model: folder, options: PredictionOptions(mirroring: mirrored))
            let image = try PredictorFixtures.image(modelCase)
            let previous = try PredictorFixtures.previousStage(modelCase)
            let exported = try predictor.predict([image], previousStage: previous)
            #expect(exported.segmentation.geometry == image.geometry)
            let expected = try PredictorFixtures.uint8(
                base + (mirrored ? "/segmentation_mirrored.u8" : "/segmentation.u8"))
            let (dice, agreement) = PredictorFixtures.agreement(exported.segmentation.voxels.elements, expected)
            print("parity \(modelCase)\(mirrored ? " mirrored" : "") end to end: agreement \(agreement), Dice \(dice)")
            #expect(agreement >= 0.9999)
            #expect(dice.values.allSatisfy { $0 >= 0.999 })
        }
    }

    /// The cascade run wholly by Organa (its own previous stage, then the cascade stage on that) gives
    /// nnunetv2's chained segmentation.
    @Test(arguments: PredictorFixtures.modelCases.filter { $0.hasPrefix("cascade/") })
    func cascadeChainMatches(modelCase: String) throws {
        let folder = try PredictorFixtures.modelFolder(modelCase)
        let previousFolder = try PredictorFixtures.modelFolder(
            "cascade-lowres/" + modelCase.split(separator: "/")[1])
        let image = try PredictorFixtures.image(modelCase)
        let options = PredictionOptions(mirroring: false)
        let previous = try Predictor(model: previousFolder, options: options).predict([image]).segmentation
        let theirsPrevious = try #require(try PredictorFixtures.previousStage(modelCase))
        let (previousDice, previousAgreement) = PredictorFixtures.agreement(
            previous.voxels.elements, theirsPrevious.voxels.elements)
        let exported = try Predictor(model: folder, options: options).predict([image], previousStage: previous)
        let expected = try PredictorFixtures.uint8(PredictorFixtures.folder(modelCase) + "/segmentation.u8")
        let (dice, agreement) = PredictorFixtures.agreement(exported.segmentation.voxels.elements, expected)
        print(
            "parity \(modelCase) cascade chain: previous stage agreement \(previousAgreement) Dice \(previousDice); "
                + "final agreement \(agreement), Dice \(dice)")
        #expect(previousAgreement >= 0.9999)
        #expect(agreement >= 0.9999)
        #expect(dice.values.allSatisfy { $0 >= 0.999 })
    }
}
