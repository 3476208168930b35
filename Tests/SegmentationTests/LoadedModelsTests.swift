import Foundation
import OrganaTestSupport
import Testing
import VolumeCore

@testable import Segmentation

/// Models loaded once and shared by jobs; each model's masks handed over as it ends; cancellation.
@Suite(.serialized) struct LoadedModelsTests {
    static let request = SegmentationRequest(structures: [.kidney, .tumor])
    static let options = PlanningOptions(cropToKidneys: false, mirroring: false)

    static func plan(_ ct: Volume<Int16>) throws -> JobPlan {
        try JobPlanner(catalog: try JobTests.catalog()).plan(
            request, image: ImageInfo(size: ct.size, geometry: ct.geometry), options: options)
    }

    static func loaded(_ events: [SegmentationEvent]) -> [String] {
        events.compactMap { if case .modelLoaded(let id) = $0 { id } else { nil } }
    }

    /// A job given the loaded models reads no checkpoint and gives what a job that loads its own gives; the
    /// model's masks come in one `modelFinished` event, before its stage ends.
    @Test func jobsReuseLoadedModelsAndAnnounceMasksPerModel() throws {
        let ct = try JobTests.part.get()
        let catalog = try JobTests.catalog()
        let plan = try Self.plan(ct)
        let alone = EventRecorder()
        let reference = try SegmentationJob(plan: plan, catalog: catalog).run(ct) { alone.add($0) }
        #expect(Self.loaded(alone.events) == ["kidney-tumor"])
        var startUp: [String] = []
        let models = try LoadedModels.load(catalog) { startUp.append($0) }
        #expect(startUp == models.ids.sorted() || Set(startUp) == Set(models.ids))
        #expect(models.ids.contains("kidney-tumor"))
        for _ in 0..<2 {
            let recorder = EventRecorder()
            let result = try SegmentationJob(plan: plan, catalog: catalog, models: models).run(ct) {
                recorder.add($0)
            }
            #expect(Self.loaded(recorder.events).isEmpty, "a job with loaded models read a checkpoint")
            #expect(result.labels.voxels.elements == reference.labels.voxels.elements)
            let finished = recorder.events.enumerated().compactMap { item -> (Int, String, [StructureMask])? in
                if case .modelFinished(let model, let masks) = item.element { (item.offset, model, masks) } else { nil }
            }
            #expect(finished.map(\.1) == ["kidney-tumor"])
            let masks = try #require(finished.first?.2)
            #expect(masks.map(\.structure) == [.kidney, .tumor])
            for mask in masks {
                #expect(mask.mask.voxels.elements == result.masks[mask.structure]?.mask.voxels.elements)
                #expect(mask.box == result.masks[mask.structure]?.box)
            }
            let modelEnd = recorder.events.firstIndex {
                if case .finished(let stage, _) = $0 { stage == "kidney-tumor" } else { false }
            }
            #expect(modelEnd != nil && finished[0].0 < modelEnd!)
        }
    }

    /// Other sliding-window settings on the same loaded networks give what a model loaded with them gives.
    @Test func reconfiguredModelsMatchFreshlyLoadedOnes() throws {
        let ct = try JobTests.part.get()
        let catalog = try JobTests.catalog()
        let entry = try #require(catalog.models.first { $0.id == "kidney-tumor" })
        let loaded = try #require(
            try LoadedModels.load(catalog).model(for: entry, mirroring: false, tileStep: 0.75))
        let fresh = try SegmentationModel(entry: entry, catalog: catalog, mirroring: false, tileStep: 0.75)
        #expect(loaded.predictor.options == fresh.predictor.options)
        #expect(try loaded.segment(ct).voxels.elements == fresh.segment(ct).voxels.elements)
        #expect(throws: SegmentationError.self) { try loaded.reconfigured(mirroring: false, tileStep: 0) }
    }

    /// Cancelled after its first tile, the job stops before the next one: `.cancelled`, no masks handed over.
    @Test func aCancelledJobStopsBeforeTheNextTile() throws {
        let ct = try JobTests.phantom.get().ct  // many tiles (the part fits in one patch)
        let catalog = try JobTests.catalog()
        let plan = try Self.plan(ct)
        let recorder = EventRecorder()
        let flag = Flag()
        do {
            _ = try SegmentationJob(plan: plan, catalog: catalog).run(
                ct,
                events: { event in
                    recorder.add(event)
                    if case .progress = event { flag.set() }
                }, isCancelled: { flag.isSet })
            Issue.record("expected the job to be cancelled")
        } catch {
            #expect(error.code == .cancelled, "\(error)")
        }
        let progress = recorder.events.compactMap { event -> (Int, Int)? in
            if case .progress(_, let done, let total) = event { (done, total) } else { nil }
        }
        #expect(progress.count == 1 && progress[0].0 < progress[0].1, "\(progress)")
        #expect(!recorder.events.contains { if case .modelFinished = $0 { true } else { false } })
        // Cancelled before it starts: no model runs.
        let none = EventRecorder()
        #expect(throws: SegmentationError.self) {
            _ = try SegmentationJob(plan: plan, catalog: catalog).run(
                ct, events: { none.add($0) }, isCancelled: { true })
        }
        #expect(!none.events.contains { if case .progress = $0 { true } else { false } })
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
