import Foundation
import OrganaTestSupport
import Testing
import VolumeCore

@testable import Segmentation

/// Planning from headers alone, on the bundled catalog (plans.json/dataset.json of the real model folders).
@Suite struct PlannerTests {
    static func planner() throws -> JobPlanner {
        let catalog = try ModelCatalog.load(RepositoryPaths.root.appendingPathComponent("models/catalog.json").path)
        return JobPlanner(catalog: catalog)
    }

    static func image(_ size: SIMD3<Int>, _ spacing: SIMD3<Double>) throws -> ImageInfo {
        ImageInfo(size: size, geometry: try VolumeGeometry(spacing: spacing))
    }

    @Test func modelsWithTheSameTargetGridShareOneResampling() throws {
        let plan = try Self.planner().plan(.init(), image: try Self.image(SIMD3(256, 256, 120), SIMD3(1.5, 1.5, 2.5)))
        let vessels = try #require(plan.groups.first { $0.models.contains { $0.entry.id == "vessels" } })
        for model in vessels.models { #expect(model.targetSpacing == vessels.models[0].targetSpacing) }
        if vessels.models.count > 1 { #expect(vessels.sharesResampling) }
        let kidney = try #require(plan.models.first { $0.entry.id == "kidney-tumor" })
        #expect(kidney.cropsToKidneys, "kidney-tumor runs on the preview's kidney box")
        #expect(plan.preview?.entry.id == "preview", "the preview is planned as the kidney locator")
        #expect(plan.groups.count == Set(plan.groups.map(\.name)).count)
    }

    /// vessels (3d) and ureter-v1 (2d) land on the same grid at 2.5 mm slices but normalise differently:
    /// `.exact` keeps them apart (each gets nnunetv2's own input), `.lean` shares their resampling.
    @Test func exactSharingNeedsIdenticalNormalisationLeanDoesNot() throws {
        let image = try Self.image(SIMD3(256, 256, 120), SIMD3(1.5, 1.5, 2.5))
        let request = SegmentationRequest(structures: [.artery, .ureter], pins: ["ureter": 1])
        let exact = try Self.planner().plan(request, image: image, options: PlanningOptions(sharing: .exact))
        #expect(exact.groups.count == 2)
        #expect(exact.groups.allSatisfy { !$0.sharesResampling })
        let lean = try Self.planner().plan(request, image: image, options: PlanningOptions(sharing: .lean))
        #expect(lean.groups.count == 1)
        #expect(lean.groups.first?.sharesResampling == true)
        #expect(lean.groups.first?.models.map(\.entry.id) == ["vessels", "ureter-v1"])
    }

    @Test func withoutPlanningEveryModelResamplesAlone() throws {
        let options = PlanningOptions(sharing: .off, cropToKidneys: false)
        let plan = try Self.planner().plan(
            .init(), image: try Self.image(SIMD3(256, 256, 120), SIMD3(1.5, 1.5, 2.5)), options: options)
        #expect(plan.groups.allSatisfy { !$0.sharesResampling })
        #expect(plan.models.allSatisfy { !$0.cropsToKidneys })
        #expect(plan.preview == nil, "no locator is needed without cropping")
        let shared = try Self.planner().plan(.init(), image: try Self.image(SIMD3(256, 256, 120), SIMD3(1.5, 1.5, 2.5)))
        #expect(shared.estimatedPeakBytes >= plan.estimatedPeakBytes - plan.residentBytes)
    }

    @Test(arguments: [
        (SIMD3(512, 512, 300), SIMD3(0.7, 0.7, 1.0)), (SIMD3(512, 512, 60), SIMD3(0.8, 0.8, 5.0)),
        (SIMD3(256, 256, 120), SIMD3(1.5, 1.5, 2.5)), (SIMD3(96, 96, 40), SIMD3(4.0, 4.0, 6.0)),
    ])
    func targetGridFollowsEachModelsSpacing(size: SIMD3<Int>, spacing: SIMD3<Double>) throws {
        let image = try Self.image(size, spacing)
        let planner = try Self.planner()
        let plan: JobPlan
        do {
            plan = try planner.plan(.init(structures: [.kidney, .ureter]), image: image)
        } catch {
            // Only the slice-thickness conditions may refuse this request (kidney-tumor-v1 accepts ≤ 6 mm).
            #expect(error.code == .noModelFits && spacing.z > 6, "\(error)")
            return
        }
        for model in plan.models {
            #expect(model.targetShape.count == 3)
            let extent = zip(model.targetShape, model.targetSpacing).map { Double($0) * $1 }
            let field = [Double(size.z) * spacing.z, Double(size.y) * spacing.y, Double(size.x) * spacing.x]
            for axis in 0..<3 {
                #expect(abs(extent[axis] - field[axis]) <= model.targetSpacing[axis], "\(model.entry.id) axis \(axis)")
            }
        }
        #expect(plan.estimatedPeakBytes > plan.residentBytes)
    }

    @Test func overBudgetIsRefusedBeforeAnyVoxelIsRead() throws {
        let image = try Self.image(SIMD3(512, 512, 300), SIMD3(0.7, 0.7, 1.0))
        let planner = try Self.planner()
        let full = try planner.plan(.init(), image: image)
        do {
            _ = try planner.plan(
                .init(), image: image, options: PlanningOptions(memoryBudgetBytes: full.estimatedPeakBytes - 1))
            Issue.record("expected the budget to refuse the job")
        } catch {
            #expect(error.code == .overBudget)
            #expect(error.message.contains("budget"))
        }
        _ = try Self.planner().plan(
            .init(), image: image, options: PlanningOptions(memoryBudgetBytes: full.estimatedPeakBytes))
    }

    @Test func anEmptyImageIsRefused() throws {
        let planner = try Self.planner()
        let image = try Self.image(SIMD3(0, 10, 10), SIMD3(1, 1, 1))
        do {
            _ = try planner.plan(.init(), image: image)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidImage)
        }
    }
}
