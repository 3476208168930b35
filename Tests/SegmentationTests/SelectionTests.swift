import Testing
import VolumeCore

@testable import Segmentation

/// Selection rules, table-driven, on a catalog whose availability is given per test (no files needed).
@Suite struct SelectionTests {
    static func catalog() throws -> ModelCatalog {
        func entry(
            _ id: String, _ family: String, _ version: Int, _ structures: [Structure],
            maxSlice: Double? = nil, role: CatalogEntry.Role = .standard
        ) -> CatalogEntry {
            CatalogEntry(
                id: id, family: family, version: version, folder: id, configuration: "3d_fullres", folds: ["0"],
                labels: Dictionary(uniqueKeysWithValues: structures.map { ($0.rawValue, $0) }),
                conditions: .init(maxSliceThicknessMM: maxSlice), role: role)
        }
        return try ModelCatalog(
            models: [
                entry("vessels", "vessels", 1, [.artery, .vein], maxSlice: 3),
                entry("ureter", "ureter", 2, [.ureter], maxSlice: 3),
                entry("ureter-v1", "ureter", 1, [.ureter]),
                entry("kidney-tumor", "kidney-tumor", 2, [.kidney, .tumor], maxSlice: 3),
                entry("kidney-tumor-v1", "kidney-tumor", 1, [.kidney, .tumor]),
                entry("preview", "preview", 1, Structure.allCases, role: .preview),
            ], mergePriority: [.tumor, .kidney, .artery, .vein, .ureter])
    }

    static func image(sliceThickness: Double) throws -> ImageInfo {
        ImageInfo(size: SIMD3(256, 256, 100), geometry: try VolumeGeometry(spacing: SIMD3(0.8, 0.8, sliceThickness)))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: SegmentationRequest
        var sliceThickness: Double
        var missing: Set<String> = []
        /// Expected model ids in run order, or nil when an error is expected.
        var models: [String]?
        var preview: String? = nil
        var error: SegmentationError.Code? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "everything on thin slices takes the newest of each family", request: .init(), sliceThickness: 1,
            models: ["kidney-tumor", "vessels", "ureter"]),
        Case(
            name: "pinning ureter v1", request: .init(pins: ["ureter": 1]), sliceThickness: 1,
            models: ["kidney-tumor", "vessels", "ureter-v1"]),
        Case(
            name: "pinning both older models", request: .init(pins: ["ureter": 1, "kidney-tumor": 1]),
            sliceThickness: 1, models: ["kidney-tumor-v1", "vessels", "ureter-v1"]),
        Case(
            name: "thick slices fall back to the older kidney model", request: .init(structures: [.tumor]),
            sliceThickness: 5, models: ["kidney-tumor-v1"]),
        Case(
            name: "thick slices fall back to the older ureter model", request: .init(structures: [.ureter]),
            sliceThickness: 5, models: ["ureter-v1"]),
        Case(
            name: "a missing newest model falls back", request: .init(structures: [.ureter]), sliceThickness: 1,
            missing: ["ureter"], models: ["ureter-v1"]),
        Case(
            name: "one model gives two structures", request: .init(structures: [.vein, .artery]), sliceThickness: 2,
            models: ["vessels"]),
        Case(
            name: "preview runs first", request: .init(structures: [.kidney], preview: true), sliceThickness: 2,
            models: ["kidney-tumor"], preview: "preview"),
        Case(
            name: "vessels on thick slices: no model fits", request: .init(structures: [.artery]),
            sliceThickness: 5, models: nil, error: .noModelFits),
        Case(
            name: "a pin on an unknown family", request: .init(pins: ["liver": 1]), sliceThickness: 1, models: nil,
            error: .invalidRequest),
        Case(
            name: "a pin on a version that does not exist", request: .init(pins: ["ureter": 7]), sliceThickness: 1,
            models: nil, error: .invalidRequest),
        Case(
            name: "a pinned version that is not installed", request: .init(structures: [.ureter], pins: ["ureter": 2]),
            sliceThickness: 1, missing: ["ureter"], models: nil, error: .noModelFits),
    ]

    @Test(arguments: cases)
    func selects(_ c: Case) throws {
        let missing = c.missing
        let selector = ModelSelector(catalog: try Self.catalog()) { !missing.contains($0.id) }
        let image = try Self.image(sliceThickness: c.sliceThickness)
        do {
            let selection = try selector.select(c.request, image: image)
            #expect(c.error == nil, "expected \(String(describing: c.error))")
            #expect(selection.models.map(\.entry.id) == c.models)
            #expect(selection.preview?.id == c.preview)
            #expect(
                selection.reasons.count == selection.models.flatMap(\.structures).count + (c.preview == nil ? 0 : 1))
        } catch {
            #expect(error.code == c.error, "\(error)")
        }
    }

    @Test func reasonsSayWhyAModelWasSkipped() throws {
        let selector = ModelSelector(catalog: try Self.catalog()) { _ in true }
        let selection = try selector.select(.init(structures: [.ureter]), image: try Self.image(sliceThickness: 5))
        let reason = try #require(selection.reasons.first)
        #expect(reason.contains("ureter-v1") && reason.contains("thicker than its 3 mm limit"), "\(reason)")
    }

    @Test func aBadCatalogListsEveryProblem() throws {
        var models = try Self.catalog().models
        models.append(models[0])
        models[1].folds = []
        do {
            _ = try ModelCatalog(models: models, mergePriority: [.kidney])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidCatalog)
            for part in ["vessels appears twice", "ureter lists no folds", "mergePriority lacks tumor"] {
                #expect(error.message.contains(part), "\(error.message)")
            }
        }
    }
}
