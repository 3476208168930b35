import Foundation
import OrganaTestSupport
import Phantom
import Testing
import VolumeCore

@testable import Segmentation

/// The one-read job on an unseen phantom with the bundled models: the whole phantom (merged Dice against the
/// truth) and parts of it (comparisons that run models twice).
@Suite(.serialized) struct JobTests {
    /// Seed 9001 is never used in training (tools/models/train_models.py trains on 1000+). The models need
    /// the whole 384 mm axial field (cut to 240 × 202 mm, kidney Dice fell from 0.96 to 0.84); 200 mm along z
    /// keeps the test shorter; 2.5 mm slices put vessels and ureter-v1 on one grid.
    static let phantom: Result<PhantomCase, any Error> = Result {
        try generatePhantom(PhantomOptions(size: SIMD3(160, 160, 80), spacing: SIMD3(2.4, 2.4, 2.5), seed: 9001))
    }

    /// The same patient and field of view at the phantom's default spacing (1.5 × 1.5 × 2.5 mm, the grid of the
    /// fine models), for the merged Dice: on the 2.4 mm grid resampling alone caps the ureter's Dice at 0.938
    /// even for a perfect model (tools/models/resampling_cap.py), so Dice there measures the grid as much as the job.
    static let nativePhantom: Result<PhantomCase, any Error> = Result {
        try generatePhantom(PhantomOptions(size: SIMD3(256, 256, 80), spacing: SIMD3(1.5, 1.5, 2.5), seed: 9001))
    }

    static func catalog() throws -> ModelCatalog {
        try ModelCatalog.load(RepositoryPaths.root.appendingPathComponent("models/catalog.json").path)
    }

    static func run(
        _ options: PlanningOptions, request: SegmentationRequest = .init(), ct: Volume<Int16>? = nil
    ) throws -> (JobPlan, SegmentationResult, [SegmentationEvent]) {
        let ct = try ct ?? Self.phantom.get().ct
        let catalog = try catalog()
        let image = ImageInfo(size: ct.size, geometry: ct.geometry)
        let plan = try JobPlanner(catalog: catalog).plan(request, image: image, options: options)
        let recorder = EventRecorder()
        let result = try SegmentationJob(plan: plan, catalog: catalog).run(ct) { recorder.add($0) }
        return (plan, result, recorder.events)
    }

    /// A 64 × 64 × 32 part of the phantom around the left kidney, for the comparisons that run models twice.
    static let part: Result<Volume<Int16>, any Error> = Result {
        let ct = try phantom.get().ct
        let centre = ct.geometry.continuousIndex(atWorld: try phantom.get().anatomy.leftKidneyCentre)
        let lower = SIMD3(Int(centre.x) - 32, Int(centre.y) - 32, Int(centre.z) - 16)
        let clamped = pointwiseMin(pointwiseMax(lower, .zero), ct.size &- SIMD3(64, 64, 32))
        return try ct.cropped(to: IndexBox(lower: clamped, upper: clamped &+ SIMD3(64, 64, 32)))
    }

    /// Vessels and ureter-v1 on `part`: sharing one resampling (their grids coincide at 2.5 mm slices) and not.
    static let vesselsAndUreter = Result {
        let request = SegmentationRequest(structures: [.artery, .vein, .ureter], pins: ["ureter": 1])
        let shared = try run(
            PlanningOptions(sharing: .lean, cropToKidneys: false, mirroring: false), request: request, ct: part.get())
        let alone = try run(
            PlanningOptions(sharing: .off, cropToKidneys: false, mirroring: false), request: request,
            ct: part.get())
        return (shared, alone)
    }

    /// Lean sharing (one resampling per group) moves the CT clip after the spline instead of before it:
    /// the segmentations differ only at boundaries crossing the clip bounds (99.8 % agreement measured).
    @Test func sharedResamplingAgreesWithPerModelResampling() throws {
        let ((plan, shared, _), (_, alone, _)) = try Self.vesselsAndUreter.get()
        #expect(plan.groups.contains { $0.sharesResampling }, "vessels and ureter-v1 share a target grid")
        var same = 0
        for index in 0..<shared.labels.voxelCount
        where shared.labels.voxels.elements[index] == alone.labels.voxels.elements[index] {
            same += 1
        }
        let agreement = Double(same) / Double(shared.labels.voxelCount)
        print("lean vs per-model preprocessing: \(agreement * 100) % of voxels agree")
        #expect(agreement >= 0.995)
    }

    /// Each model is a plain volume → label-map function: alone, it gives what the job gives for it.
    @Test func aModelAloneIsAVolumeToLabelMapFunction() throws {
        let part = try Self.part.get()
        let catalog = try Self.catalog()
        let entry = try #require(catalog.entry("vessels"))
        let model = try SegmentationModel(entry: entry, catalog: catalog, mirroring: false)
        let labels = try model.segment(part)
        #expect(labels.size == part.size)
        #expect(labels.geometry == part.geometry)
        #expect(Set(labels.voxels.elements).isSubset(of: [0, Structure.artery.labelValue, Structure.vein.labelValue]))
        let (_, (_, alone, _)) = try Self.vesselsAndUreter.get()
        let fromJob = try #require(alone.masks[.artery])
        var mismatches = 0
        for k in 0..<part.size.z {
            for j in 0..<part.size.y {
                for i in 0..<part.size.x {
                    let local = SIMD3(i, j, k) &- fromJob.box.lower
                    let inJob = fromJob.mask.contains(local) && fromJob.mask[local.x, local.y, local.z] != 0
                    if inJob != (labels[i, j, k] == Structure.artery.labelValue) { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0, "the job's artery mask differs from the model alone at \(mismatches) voxels")
    }

    /// Issue 6's lowest accepted merged Dice, every structure, on `nativePhantom` (seed 9001). Seeds 9001-9003
    /// and a coarser grid are measured by tools/models/merged_dice.py (models/README.md).
    static let mergedDiceFloor = 0.9

    /// The lowest accepted share of each thin tube's axis (renal arteries and veins, ureters) that the merged map
    /// labels as that tube: volume Dice hides a missing renal artery (a `vessels` model that found the aorta,
    /// the IVC and the iliacs but neither renal artery nor vein scored artery Dice 0.95).
    static let axisCoverageFloor = 0.8

    /// Issue 6's acceptance on the whole unseen phantom: every structure, the preview as kidney locator,
    /// mirroring off. The merged label map's Dice per structure against the phantom's truth
    /// (≥ `mergedDiceFloor`) and its coverage of each thin tube's axis (≥ `axisCoverageFloor`); every voxel of a
    /// structure's mask is labelled in the merged map (by it or by a structure of higher priority) and the mask
    /// holds at least the merged map's voxels of it; the fat candidate is the HU window of the CT; the kidney box
    /// holds the true kidneys; the preview is announced before any final mask.
    @Test func wholePhantomMergedLabelMap() throws {
        let phantom = try Self.nativePhantom.get()
        let (plan, result, events) = try Self.run(
            PlanningOptions(mirroring: false), request: SegmentationRequest(preview: true), ct: phantom.ct)
        #expect(plan.preview != nil)
        let truth = phantom.labels.voxels.elements, merged = result.labels.voxels.elements
        for structure in Structure.allCases {
            let value = structure.labelValue
            var both = 0, ours = 0, theirs = 0
            for index in truth.indices {
                let a = merged[index] == value, b = truth[index] == value
                if a { ours += 1 }
                if b { theirs += 1 }
                if a && b { both += 1 }
            }
            let dice = 2 * Double(both) / Double(max(1, ours + theirs))
            print("merged Dice \(structure): \(dice) (\(ours) vs \(theirs) voxels)")
            #expect(dice >= Self.mergedDiceFloor, "\(structure): Dice \(dice)")
            let mask = try #require(result.masks[structure], "no mask for \(structure)")
            var inMask = 0
            for k in 0..<mask.mask.size.z {
                for j in 0..<mask.mask.size.y {
                    for i in 0..<mask.mask.size.x where mask.mask[i, j, k] != 0 {
                        inMask += 1
                        let p = mask.box.lower &+ SIMD3(i, j, k)
                        let label = result.labels[p.x, p.y, p.z]
                        #expect(label == value || label > 0, "\(structure) mask voxel \(p) is background")
                    }
                }
            }
            #expect(inMask >= ours, "\(structure): the mask holds fewer voxels than the merged map")
        }
        for axis in phantom.anatomy.centrelines {
            let coverage = AxisCoverage(
                axis: axis.samples(step: 1), value: axis.label.rawValue, segmentation: result.labels,
                truth: phantom.labels)
            print("merged axis coverage, \(axis.side) \(axis.label): \(coverage)")
            #expect(coverage.inTruth >= 20, "\(axis.side) \(axis.label): \(coverage)")
            #expect(coverage.fraction >= Self.axisCoverageFloor, "\(axis.side) \(axis.label): \(coverage)")
        }
        let window = plan.options.fatWindow
        #expect(result.fatCandidate.voxels.elements == phantom.ct.voxels.elements.map { window.contains($0) ? 1 : 0 })
        let box = try #require(result.kidneyBox)
        let truthKidneys = try #require(phantom.labels.boundingBox { $0 == Structure.kidney.labelValue })
        #expect(
            (0..<3).allSatisfy { box.lower[$0] <= truthKidneys.lower[$0] && box.upper[$0] >= truthKidneys.upper[$0] })
        let previewIndex = events.firstIndex { if case .previewReady = $0 { true } else { false } }
        let firstMask = events.firstIndex { if case .modelFinished = $0 { true } else { false } }
        #expect(previewIndex != nil && firstMask != nil && previewIndex! < firstMask!)
    }

    @Test func aCTOffThePlannedGridIsRefused() throws {
        let phantom = try Self.phantom.get()
        let catalog = try Self.catalog()
        let image = ImageInfo(size: phantom.ct.size &+ SIMD3(1, 0, 0), geometry: phantom.ct.geometry)
        let plan = try JobPlanner(catalog: catalog).plan(.init(structures: [.kidney]), image: image)
        do {
            _ = try SegmentationJob(plan: plan, catalog: catalog).run(phantom.ct)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidImage)
        }
    }
}

/// Collects job events from the job's callback.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [SegmentationEvent] = []

    func add(_ event: SegmentationEvent) {
        lock.lock()
        recorded.append(event)
        lock.unlock()
    }

    var events: [SegmentationEvent] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}
