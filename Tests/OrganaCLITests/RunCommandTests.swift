import Foundation
import NiftiIO
import OrganaTestSupport
import Testing
import VolumeCore

/// `organa models` and `organa run` end to end on a small phantom with the bundled catalog.
@Suite struct RunCommandTests {
    static let catalog = RepositoryPaths.root.appendingPathComponent("models/catalog.json").path

    /// A 128×128×60 phantom at 3×3×5 mm (cheap for kidney-tumor-v1 and the preview) in a fresh folder.
    static func phantom() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("organa-run-\(UUID().uuidString)")
        let result = try InfoCommandTests.run([
            "phantom", "--size", "128,128,60", "--spacing", "3,3,5", "--seed", "9002", "--out", folder.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        return folder
    }

    @Test func modelsExplainsTheChoiceForACT() throws {
        let folder = try Self.phantom()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ct = folder.appendingPathComponent("ct.nii.gz").path
        let result = try InfoCommandTests.run([
            "models", "--catalog", Self.catalog, "--ct", ct, "--structures", "kidney,ureter",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        for part in ["kidney-tumor-v1", "kidney locator: preview", "ureter: ureter-v1", "estimated peak memory"] {
            #expect(result.stdout.contains(part), "missing \(part) in:\n\(result.stdout)")
        }
        // 5 mm slices: the vessels model (≤ 3 mm) cannot run, and the error says why before any voxel is read.
        let refused = try InfoCommandTests.run([
            "models", "--catalog", Self.catalog, "--ct", ct, "--structures", "artery",
        ])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("thicker than its 3 mm limit"), "\(refused.stderr)")
    }

    /// An impossible request fails on the header alone: the voxel data here is cut short, and the error is
    /// the request's, not the file's.
    @Test func anImpossibleRequestFailsBeforeTheVoxelsAreRead() throws {
        let folder = try Self.phantom()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try NiftiReader.read(folder.appendingPathComponent("ct.nii.gz").path)
        let raw = folder.appendingPathComponent("ct.nii").path
        try NiftiWriter.write(image.volume.converted(to: Int16.self), to: raw)
        let data = try Data(contentsOf: URL(fileURLWithPath: raw))
        try data.prefix(4096).write(to: URL(fileURLWithPath: raw))
        let result = try InfoCommandTests.run([
            "run", raw, "--out", folder.appendingPathComponent("out").path, "--catalog", Self.catalog,
            "--structures", "artery",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no model can give artery"), "\(result.stderr)")
    }

    @Test func runWritesLabelsMasksFatMeshesAndASummary() throws {
        let folder = try Self.phantom()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ct = folder.appendingPathComponent("ct.nii.gz").path
        let out = folder.appendingPathComponent("out")
        let result = try InfoCommandTests.run([
            "run", ct, "--out", out.path, "--catalog", Self.catalog, "--structures", "kidney,tumor", "--no-mirroring",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let input = try NiftiReader.read(ct)
        let labels = try NiftiReader.read(out.appendingPathComponent("labels.nii.gz").path)
        #expect(labels.volume.kind == .uint8 && labels.volume.size == input.volume.size)
        #expect(labels.geometry.isApproximatelyEqual(to: input.geometry, tolerance: 1e-5))
        #expect(Set(labels.volume.converted(to: UInt8.self).voxels.elements).isSubset(of: [0, 1, 2]))
        for file in [
            "fat_candidate.nii.gz", "masks/kidney.nii.gz", "masks/tumor.nii.gz", "preview_labels.nii.gz",
            "post/labels_corrected.nii.gz", "post/perirenal_fat.nii.gz", "post/post_report.json", "summary.json",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let summary =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any]
        let structures = (summary?["structures"] as? [[String: Any]])?.compactMap { $0["structure"] as? String }
        #expect(structures == ["kidney", "tumor"])
        #expect((summary?["peakRSSBytes"] as? Int ?? 0) > 0)
        let fatCandidate = try NiftiReader.read(out.appendingPathComponent("fat_candidate.nii.gz").path)
        let hu = input.volume.converted(to: Int16.self).voxels.elements
        let expected = hu.map { $0 >= -190 && $0 <= -30 ? UInt8(1) : 0 }
        #expect(fatCandidate.volume.converted(to: UInt8.self).voxels.elements == expected)
    }
}
