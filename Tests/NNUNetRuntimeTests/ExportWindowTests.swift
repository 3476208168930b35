import ArrayCore
import Foundation
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// The label export computes only the footprint of the coarse foreground (`Exporter.argmaxLabels`); these
/// tests hold it to the whole-grid running argmax, voxel for voxel, on every fixture model's logits and on
/// edited logits (background everywhere, a small blob, exact ties with background).
@Suite("export window equals the whole-grid argmax")
struct ExportWindowTests {
    /// The running argmax over every class resampled to the whole cropped grid (nnU-Net's rule).
    static func wholeGridLabels(
        _ logits: NDArray<Float16>, exporter: Exporter, properties: CaseProperties
    ) throws -> [UInt8] {
        var maximum: [Float16] = []
        var labels: [UInt8] = []
        for k in 0..<logits.shape[0] {
            let values = try exporter.resampledChannel(logits, k, properties: properties, window: nil).elements
                .map { Float16($0) }
            if k == 0 {
                maximum = values
                labels = [UInt8](repeating: 0, count: values.count)
            }
            for v in values.indices where values[v] > maximum[v] {
                maximum[v] = values[v]
                labels[v] = UInt8(k)
            }
        }
        return labels
    }

    /// Logits edited per voxel: `edit(class, z, y, x, value) -> value`.
    static func edited(
        _ logits: NDArray<Float16>, _ edit: (Int, Int, Int, Int, Float16) -> Float16
    ) -> NDArray<Float16> {
        let s = Array(logits.shape.dropFirst())
        var elements = logits.elements
        for k in 0..<logits.shape[0] {
            for z in 0..<s[0] {
                for y in 0..<s[1] {
                    for x in 0..<s[2] {
                        let index = ((k * s[0] + z) * s[1] + y) * s[2] + x
                        elements[index] = edit(k, z, y, x, elements[index])
                    }
                }
            }
        }
        return NDArray(uncheckedShape: logits.shape, elements: elements)
    }

    @Test(arguments: PredictorFixtures.modelCases)
    func windowMatchesWholeGrid(modelCase: String) throws {
        let folder = try PredictorFixtures.modelFolder(modelCase)
        let info = try PredictorFixtures.caseInfo(modelCase)
        let predictor = try Predictor(model: folder, options: PredictionOptions(mirroring: false))
        let properties = try predictor.preprocess(
            [try PredictorFixtures.image(modelCase)], previousStage: PredictorFixtures.previousStage(modelCase)
        ).properties
        let exporter = Exporter(
            plans: folder.plans, configuration: predictor.configuration, dataset: folder.dataset)
        let logits = try NDArray(
            shape: info.arrays["logits.f16"]!.shape,
            elements: PredictorFixtures.float16(PredictorFixtures.folder(modelCase) + "/logits.f16"))
        let s = Array(logits.shape.dropFirst())
        let centre = s.map { $0 / 2 }
        let variants: [(String, NDArray<Float16>)] = [
            ("fixture", logits),
            ("background only", Self.edited(logits) { k, _, _, _, _ in k == 0 ? 4 : -4 }),
            (
                "blob",
                Self.edited(logits) { k, z, y, x, _ in
                    let inside = abs(z - centre[0]) <= 1 && abs(y - centre[1]) <= 2 && abs(x - centre[2]) <= 1
                    return inside ? (k == 1 ? 3 : -1) : (k == 0 ? 2 : Float16(-k))
                }
            ),
            (
                "ties",
                Self.edited(logits) { k, z, y, x, value in
                    // Every class equal to background on alternate voxels: the first maximal class (0) wins.
                    (z + y + x) % 2 == 0 && k > 0 ? Float16(Float(logits.elements[((z * s[1]) + y) * s[2] + x])) : value
                }
            ),
        ]
        for (name, variant) in variants {
            let windowed = try exporter.argmaxLabels(variant, properties: properties)
            let whole = try Self.wholeGridLabels(variant, exporter: exporter, properties: properties)
            let differing = zip(windowed, whole).filter { $0 != $1 }.count
            print("export window \(modelCase) \(name): \(differing) of \(whole.count) voxels differ")
            #expect(differing == 0, "\(modelCase) \(name)")
            if name == "background only" { #expect(whole.allSatisfy { $0 == 0 }) }
            if name == "blob" { #expect(whole.contains(1)) }
        }
    }
}
