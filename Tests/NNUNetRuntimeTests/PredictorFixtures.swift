import ArrayCore
import Foundation
import NiftiIO
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// The stage-wise nnunetv2 fixtures of tools/reference/make_predictor_fixtures.py
/// (Fixtures/reference/<model>/<case>/).
enum PredictorFixtures {
    static let cases = ["iso", "aniso", "small"]

    static func models() -> [String] {
        let root = CheckpointFixtures.root.appendingPathComponent("reference")
        return ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/model.json").path)
        }.sorted()
    }

    /// (model, case) pairs with fixtures.
    static var modelCases: [String] { models().flatMap { model in cases.map { "\(model)/\($0)" } } }

    static func folder(_ modelCase: String) -> String {
        CheckpointFixtures.root.appendingPathComponent("reference/\(modelCase)").path
    }

    struct Case: Decodable {
        var bbox_used_for_cropping: [[Int]]
        var shape_before_cropping: [Int]
        var shape_after_cropping_and_before_resampling: [Int]
        var preprocessed_shape: [Int]
        var padded_shape: [Int]
        var tiles: [[[Int]]]
        var tile_step_size: Double
        var mirror_axes: [Int]
        var tile0_logits_centre_start: [Int]?
        var arrays: [String: Array]

        struct Array: Decodable {
            var dtype: String
            var shape: [Int]
        }
    }

    struct Model: Decodable {
        var patch_size: [Int]
    }

    static func caseInfo(_ modelCase: String) throws -> Case {
        try JSONDecoder().decode(
            Case.self, from: Data(contentsOf: URL(fileURLWithPath: folder(modelCase) + "/case.json")))
    }

    static func modelInfo(_ model: String) throws -> Model {
        let path = CheckpointFixtures.root.appendingPathComponent("reference/\(model)/model.json").path
        return try JSONDecoder().decode(Model.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    static func float16(_ path: String) throws -> [Float16] {
        let data = try bytes(path)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 2)).map {
                Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))
            }
        }
    }

    static func float32(_ path: String) throws -> [Float] { try CheckpointFixtures.floats(path) }

    static func uint8(_ path: String) throws -> [UInt8] { [UInt8](try bytes(path)) }

    /// The case's CT as float32 (nnU-Net's reader casts to float32).
    static func image(_ modelCase: String) throws -> Volume<Float> {
        try NiftiReader.read(folder(modelCase) + "/ct.nii.gz").volume.converted(to: Float.self)
    }

    /// The model a fixture case belongs to: a bundled one (models/) or a test-only one (Fixtures/trained/, made
    /// by tools/reference/make_fixture_models.py); a fixture without its model is an error, not a skip.
    static func modelFolder(_ modelCase: String) throws -> ModelFolder {
        let model = String(modelCase.split(separator: "/")[0])
        if BundledModels.available(model) { return try ModelFolder(path: BundledModels.folder(model)) }
        let trained = CheckpointFixtures.root.appendingPathComponent("trained/\(model)").path
        try #require(
            FileManager.default.fileExists(atPath: trained + "/plans.json"),
            "fixture \(modelCase) has neither models/\(model) nor Fixtures/trained/\(model)")
        return try ModelFolder(path: trained)
    }

    /// A cascade case's previous-stage segmentation (nnunetv2's, on the CT's grid); nil for other models.
    static func previousStage(_ modelCase: String) throws -> Volume<UInt8>? {
        let name = "previous_stage.u8"
        guard let array = try caseInfo(modelCase).arrays[name] else { return nil }
        let image = try self.image(modelCase)
        let labels = try NDArray(shape: array.shape, elements: uint8(folder(modelCase) + "/" + name))
        return try Volume(voxels: labels, geometry: image.geometry)
    }

    /// Per label: Dice of `a` vs `b`, plus the fraction of equal voxels.
    static func agreement(_ a: [UInt8], _ b: [UInt8]) -> (dice: [UInt8: Double], agreement: Double) {
        var equal = 0
        var both: [UInt8: Int] = [:], countA: [UInt8: Int] = [:], countB: [UInt8: Int] = [:]
        for (x, y) in zip(a, b) {
            if x == y { equal += 1 }
            countA[x, default: 0] += 1
            countB[y, default: 0] += 1
            if x == y { both[x, default: 0] += 1 }
        }
        var dice: [UInt8: Double] = [:]
        for label in Set(countA.keys).union(countB.keys) where label != 0 {
            dice[label] =
                2 * Double(both[label, default: 0]) / Double(countA[label, default: 0] + countB[label, default: 0])
        }
        return (dice, Double(equal) / Double(max(1, a.count)))
    }

    static func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}

extension PredictorFixtures {
    /// The first fold nnU-Net would use (fold 0, or `all` in a folder trained on every case).
    static func firstFold(_ folder: ModelFolder) throws -> String {
        try #require(Predictor.defaultFolds(folder.folds).first, "\(folder.path) has no fold")
    }

    /// The preprocessor of the configuration the first fold's checkpoint was trained with.
    static func preprocessor(_ folder: ModelFolder) throws -> Preprocessor {
        let checkpoint = try Checkpoint.load(try folder.checkpointPath(fold: firstFold(folder)))
        let configuration = try folder.plans.configuration(checkpoint.configuration ?? "3d_fullres")
        return Preprocessor(plans: folder.plans, configuration: configuration)
    }
}
