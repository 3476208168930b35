import LabelOps
import OrganaTestSupport
import Phantom
import Testing
import VolumeCore

@testable import PostProcessing

/// Acceptance: corrections bring deliberately damaged phantom label maps back to Dice ≥ 0.98 per structure,
/// and every change shows up in the report.
@Suite struct CorrectionTests {
    static let structures: [PhantomLabel] = [.kidney, .tumor, .artery, .vein, .ureter]

    /// Fragments below each rule's minimum (artery/vein 200 mm³, ureter 50 mm³), kidney and tumour pieces far
    /// from everything, holes in the kidney.
    static let damage = LabelMapDamage(
        fragments: [
            .init(label: PhantomLabel.kidney.rawValue, count: 4, volumeMM3: 500...3000),
            .init(label: PhantomLabel.tumor.rawValue, count: 2, volumeMM3: 300...2000),
            .init(label: PhantomLabel.artery.rawValue, count: 5, volumeMM3: 20...150),
            .init(label: PhantomLabel.vein.rawValue, count: 5, volumeMM3: 20...150),
            .init(label: PhantomLabel.ureter.rawValue, count: 4, volumeMM3: 10...40),
        ], holeLabel: PhantomLabel.kidney.rawValue, holeCount: 10, holeRadiusMM: 4...7)

    @Test(arguments: [UInt64(1), 2, 3])
    func correctionsRestoreDamagedLabelMaps(seed: UInt64) throws {
        let truth = PhantomCases.structures(try PhantomCases.generate(seed: seed).labels)
        let broken = damaged(truth, with: Self.damage, seed: seed &* 7919)
        #expect(broken.unplacedFragments == 0)
        #expect(broken.holeVoxels > 0)
        let result = try correctLabelMap(broken.labelMap)
        var worstBefore = 1.0
        for label in Self.structures {
            let v = label.rawValue
            let before = dice(broken.labelMap, truth, { $0 == v }, { $0 == v })
            let after = dice(result.labelMap, truth, { $0 == v }, { $0 == v })
            worstBefore = min(worstBefore, before)
            print("corrections seed \(seed) \(label): Dice \(rounded(before)) → \(rounded(after))")
            #expect(after >= 0.98, "seed \(seed) \(label): Dice \(before) → \(after)")
        }
        #expect(worstBefore < 0.98, "the damage should matter (worst Dice before \(worstBefore))")
        // The report accounts for every voxel that changed.
        let changed = zip(broken.labelMap.voxels.elements, result.labelMap.voxels.elements).filter { $0 != $1 }.count
        #expect(result.changes.reduce(0) { $0 + $1.voxelsRemoved + $1.voxelsAdded } == changed)
        let filled = result.changes.first { $0.correction == "fillKidneyHoles" }
        #expect((filled?.voxelsAdded ?? 0) > 0)
        #expect(result.changes.filter { $0.correction == "dropFragments" }.allSatisfy { $0.componentsRemoved > 0 })
    }

    func rounded(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }

    @Test func undamagedPhantomIsLeftAlmostUnchanged() throws {
        let truth = PhantomCases.structures(try PhantomCases.generate(seed: 4).labels)
        let result = try correctLabelMap(truth)
        for label in Self.structures {
            let v = label.rawValue
            #expect(dice(result.labelMap, truth, { $0 == v }, { $0 == v }) >= 0.99, "\(label)")
        }
    }

    @Test func emptyLabelMapIsADocumentedNoOp() throws {
        let empty = Volume(size: SIMD3(8, 8, 8), repeating: UInt8(0))
        let result = try correctLabelMap(empty)
        #expect(result.labelMap.voxels.elements == empty.voxels.elements)
        #expect(result.changes.allSatisfy { $0.voxelsRemoved == 0 && $0.voxelsAdded == 0 })
        #expect(!result.warnings.isEmpty)
    }

    @Test func tumourWithoutKidneyIsKeptWithAWarning() throws {
        var map = Volume(size: SIMD3(10, 10, 10), repeating: UInt8(0))
        map[5, 5, 5] = PhantomLabel.tumor.rawValue
        let result = try correctLabelMap(map)
        #expect(result.labelMap[5, 5, 5] == PhantomLabel.tumor.rawValue)
        #expect(result.warnings.contains { $0.contains("tumour") })
    }

    @Test func badOptionsAreListedTogether() {
        let options = CorrectionOptions(
            tumorMaximumDistanceMM: -1,
            fragmentRules: [FragmentRule(label: 0, minimumVolumeMM3: .nan, trunkGapMM: 5)])
        do {
            _ = try correctLabelMap(Volume(size: SIMD3(2, 2, 2), repeating: 0), options: options)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidOption)
            #expect(error.message.contains("tumorMaximumDistanceMM") && error.message.contains("label 0"))
        }
    }
}
