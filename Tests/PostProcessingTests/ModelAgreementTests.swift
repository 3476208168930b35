import LabelOps
import Testing
import VolumeCore

@testable import PostProcessing

/// Merging model outputs by priority, and flagging old/new disagreement without changing anything.
@Suite struct ModelAgreementTests {
    /// A 12³ grid with a box of `label` from `lower` (inclusive) to `upper` (exclusive).
    static func box(_ label: UInt8, _ lower: SIMD3<Int>, _ upper: SIMD3<Int>) -> Volume<UInt8> {
        var volume = Volume(size: SIMD3(12, 12, 12), repeating: UInt8(0))
        for k in lower.z..<upper.z {
            for j in lower.y..<upper.y {
                for i in lower.x..<upper.x { volume[i, j, k] = label }
            }
        }
        return volume
    }

    @Test func tumourWinsOverKidneyAndTheOverlapIsReported() throws {
        let kidneyModel = Self.box(1, SIMD3(0, 0, 0), SIMD3(6, 6, 6))
        let tumourModel = Self.box(1, SIMD3(4, 4, 4), SIMD3(8, 8, 8))
        let merge = try mergeModelOutputs([
            LabelMergeSource(name: "kidney model", labelMap: kidneyModel),
            LabelMergeSource(name: "tumour model", labelMap: tumourModel, mapping: [1: 2]),
        ])
        #expect(merge.labelMap[5, 5, 5] == 2)
        #expect(merge.labelMap[0, 0, 0] == 1)
        #expect(merge.overlaps == [ResolvedOverlap(winner: "tumor", loser: "kidney", voxels: 8, volumeMM3: 8)])
    }

    @Test func mismatchedModelGridIsAnError() {
        var other = Self.box(1, .zero, SIMD3(2, 2, 2))
        other.geometry.origin = SIMD3(5, 0, 0)
        #expect(throws: PostProcessingError.self) {
            try mergeModelOutputs([
                LabelMergeSource(name: "a", labelMap: Self.box(1, .zero, SIMD3(2, 2, 2))),
                LabelMergeSource(name: "b", labelMap: other),
            ])
        }
        #expect(throws: PostProcessingError.self) { try mergeModelOutputs([]) }
    }

    @Test func disagreementIsFlaggedNotFixed() throws {
        let old = Self.box(1, SIMD3(0, 0, 0), SIMD3(6, 6, 6))
        let new = Self.box(1, SIMD3(3, 0, 0), SIMD3(9, 6, 6))
        let agreement = try compareModels(old: old, new: new)
        let kidney = try #require(agreement.first { $0.structure == "kidney" })
        #expect(kidney.dice == 0.5 && kidney.flagged)
        let tumor = try #require(agreement.first { $0.structure == "tumor" })
        #expect(tumor.dice == 1 && !tumor.flagged)
        #expect(throws: PostProcessingError.self) { try compareModels(old: old, new: new, thresholds: [1: 2]) }
    }
}
