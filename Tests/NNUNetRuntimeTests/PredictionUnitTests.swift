import ArrayCore
import Foundation
import Testing
import VolumeCore

@testable import NNUNetRuntime

/// Unit tests of the predictor's pieces: tile steps, mirroring combinations, flips, hole filling, crop,
/// normalisation statistics (against numpy's float32 results), separate-z rule, fold averaging, errors.
@Suite struct PredictionUnitTests {
    @Test(arguments: [
        (110, 64, 0.5, [0, 23, 46]), (70, 28, 0.5, [0, 14, 28, 42]), (113, 48, 0.5, [0, 22, 43, 65]),
        (90, 48, 0.5, [0, 21, 42]), (48, 48, 0.5, [0]), (49, 48, 0.5, [0, 1]), (100, 40, 1.0, [0, 30, 60]),
    ])
    func stepsFollowNNUNet(size: Int, patch: Int, step: Double, expected: [Int]) {
        #expect(SlidingWindow.steps(imageSize: size, patchSize: patch, tileStep: step) == expected)
    }

    @Test func mirrorCombinationsInItertoolsOrder() {
        #expect(SlidingWindow.combinations([1, 2, 3]) == [[1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]])
        #expect(SlidingWindow.combinations([1, 2]) == [[1], [2], [1, 2]])
        #expect(SlidingWindow.combinations([]).isEmpty)
    }

    @Test func flipsReverseAxes() throws {
        let array = try NDArray(shape: [1, 2, 3], elements: (0..<6).map(Float.init))
        #expect(SlidingWindow.flipped(array, axes: [2]).elements == [2, 1, 0, 5, 4, 3])
        #expect(SlidingWindow.flipped(array, axes: [1]).elements == [3, 4, 5, 0, 1, 2])
        #expect(SlidingWindow.flipped(SlidingWindow.flipped(array, axes: [1, 2]), axes: [1, 2]) == array)
    }

    @Test func twoDimensionalTilesRunEverySlice() throws {
        let window = try SlidingWindow(patchSize: [4, 4])
        #expect(window.padding(shape: [3, 2, 6]).map(\.before) == [0, 1, 0])
        let tiles = window.tiles(paddedShape: [2, 4, 6])
        #expect(tiles == [[0, 0, 0], [0, 0, 2], [1, 0, 0], [1, 0, 2]])
    }

    @Test func slidingWindowAveragesOverlappingTiles() throws {
        // A network returning 1 for class 0 and -2 for class 1: the fp16 weighted sums divided by the fp16
        // weight sums give exactly 1 and -2 (scaling by 1 or -2 is exact in fp16).
        let window = try SlidingWindow(patchSize: [4, 4, 4], options: SlidingWindowOptions(mirrorAxes: [0, 1, 2]))
        let data = NDArray<Float>(shape: [1, 6, 5, 4], repeating: 1)
        var calls = 0
        let logits = try window.predictLogits(data, classCount: 2) { (x) throws(NNUNetError) in
            calls += 1
            return NDArray(
                uncheckedShape: [2, 4, 4, 4],
                elements: [Float](repeating: 1, count: 64) + [Float](repeating: -2, count: 64))
        }
        #expect(logits.shape == [2, 6, 5, 4])
        #expect(calls == 8 * 4)
        #expect(logits.elements[..<120].allSatisfy { $0 == 1 })
        #expect(logits.elements[120...].allSatisfy { $0 == -2 })
        let wrong = #expect(throws: NNUNetError.self) {
            try window.predictLogits(data, classCount: 3) { (_) throws(NNUNetError) in
                NDArray(shape: [2, 4, 4, 4], repeating: 0)
            }
        }
        #expect(wrong?.message.contains("expected [3, 4, 4, 4]") == true)
    }

    @Test func holesAreFilledAndTheBoxIsHalfOpen() {
        let shape = [5, 5, 5]
        var mask = [Bool](repeating: false, count: 125)
        for a in 1...3 { for b in 1...3 { for c in 1...3 { mask[(a * 5 + b) * 5 + c] = true } } }
        mask[(2 * 5 + 2) * 5 + 2] = false  // a hole in the middle
        let filled = CropToNonzero.filledHoles(mask, shape: shape)
        #expect(filled[(2 * 5 + 2) * 5 + 2])
        #expect(filled.filter { $0 }.count == 27)
        #expect(CropToNonzero.boundingBox(mask, shape: shape) == [1..<4, 1..<4, 1..<4])
        #expect(CropToNonzero.boundingBox([Bool](repeating: false, count: 125), shape: shape) == [0..<5, 0..<5, 0..<5])
    }

    @Test func transposeRoundTrips() throws {
        let array = try NDArray(shape: [2, 3, 4], elements: (0..<24).map(Float.init))
        let forward = Preprocessor.transposed(array, [2, 0, 1])
        #expect(forward.shape == [4, 2, 3])
        #expect(forward[[1, 0, 2]] == array[[0, 2, 1]])
        #expect(Preprocessor.transposed(forward, [1, 2, 0]) == array)
    }

    /// numpy 2.4 float32 `mean()`/`std()` of these values: 32.4375 / bits 1108366950; every third value:
    /// bits 1107380923 / 1108390167.
    @Test func zScoreStatisticsMatchNumpyFloat32() {
        let values = (0..<1000).map { Float(($0 * 7919) % 1000) / 8 - 30 }
        let (mean, std) = NormalizationScheme.meanAndStd(values)
        #expect(mean == 32.4375)
        #expect(std.bitPattern == 1_108_366_950)
        let masked = NormalizationScheme.meanAndStd(stride(from: 0, to: 1000, by: 3).map { values[$0] })
        #expect(masked.mean.bitPattern == 1_107_380_923)
        #expect(masked.std.bitPattern == 1_108_390_167)
    }

    @Test func normalisationSchemes() throws {
        var values: [Float] = [0, 10, 20, 30]
        try NormalizationScheme.rescaleTo01.apply(&values, mask: nil)
        #expect(values == [0, Float(10) / 30, Float(20) / 30, 1])
        values = [0, 51, 255]
        try NormalizationScheme.rgbTo01.apply(&values, mask: nil)
        #expect(values == [0, 0.2, 1])
        values = [300]
        #expect(throws: NNUNetError.self) { try NormalizationScheme.rgbTo01.apply(&values, mask: nil) }
        values = [1, 2, 3, 0]
        try NormalizationScheme.zScore(useMask: true).apply(&values, mask: [true, true, true, false])
        #expect(values[3] == 0)
        #expect(values[1] == 0)
        let ct = Plans.IntensityProperties(
            mean: 100, std: 50, median: nil, min: nil, max: nil, percentile00_5: -100, percentile99_5: 300)
        values = [-1000, 100, 1000]
        try NormalizationScheme.ct(ct).apply(&values, mask: nil)
        #expect(values == [-4, 0, 4])
    }

    @Test func separateZFollowsNNUNetsRule() {
        #expect(Preprocessor.separateAxis(current: [7, 2, 2], new: [2.5, 1.5, 1.5], forced: nil) == 0)
        #expect(Preprocessor.separateAxis(current: [2.5, 1.5, 1.5], new: [7, 2, 2], forced: nil) == 0)
        #expect(Preprocessor.separateAxis(current: [2, 2, 2], new: [2.5, 1.5, 1.5], forced: nil) == nil)
        #expect(Preprocessor.separateAxis(current: [7, 7, 2], new: [1, 1, 1], forced: nil) == nil)
        #expect(Preprocessor.separateAxis(current: [3, 1, 1], new: [1, 1, 1], forced: true) == 0)
        #expect(Preprocessor.separateAxis(current: [7, 1, 1], new: [1, 1, 1], forced: false) == nil)
    }

    @Test func targetShapeRoundsHalfToEven() throws {
        #expect(
            try Preprocessor.newShape([27, 45, 47], spacing: [2.3, 0.95, 0.85], target: [2.25, 0.9, 0.9]) == [
                28, 48, 44,
            ])
        #expect(try Preprocessor.newShape([5], spacing: [1], target: [2]) == [2])
        #expect(throws: NNUNetError.self) { try Preprocessor.newShape([1], spacing: [1], target: [100]) }
    }

    @Test func foldsAreAveragedInHalfPrecision() throws {
        var ensemble = FoldEnsemble()
        try ensemble.add(NDArray(shape: [2], elements: [Float16(1), Float16(2049)]))
        try ensemble.add(NDArray(shape: [2], elements: [Float16(2), Float16(1)]))
        let average = try #require(ensemble.average())
        // 2048 + 1 rounds to 2048 in fp16 (ulp 2 above 2048), as nnU-Net's fp16 sum does.
        #expect(average.elements == [Float16(1.5), Float16(1024)])
        #expect(throws: NNUNetError.self) { try ensemble.add(NDArray(shape: [3], repeating: Float16(0))) }
    }

    @Test func preprocessorRejectsAChannelMismatch() throws {
        let plans = try Plans.load(CheckpointFixtures.folder("plain3d") + "/plans.json")
        let preprocessor = Preprocessor(plans: plans, configuration: try plans.configuration("3d_fullres"))
        let volume = Volume<Float>(size: SIMD3(4, 4, 4), repeating: 1)
        let error = #expect(throws: NNUNetError.self) { try preprocessor.run([volume, volume]) }
        #expect(error?.message.contains("expects 1 input channel") == true)
        #expect(throws: NNUNetError.self) { try preprocessor.run([]) }
    }

    @Test func badOptionsAreErrors() {
        #expect(throws: NNUNetError.self) { try SlidingWindow(patchSize: [4, 4, 4], options: .init(tileStep: 0)) }
        #expect(throws: NNUNetError.self) {
            try SlidingWindow(patchSize: [4, 4], options: .init(mirrorAxes: [2]))
        }
        #expect(throws: NNUNetError.self) { try GaussianMap(patchSize: [0, 4]) }
    }
}
