import Foundation
import NiftiIO
import OrganaTestSupport
import ServiceContracts
import ServiceSupport
import Testing
import VolumeCore

/// Label maps between services: written whole through the store (temporary file + rename) and announced.
@Suite struct LabelMapStorageTests {
    static let geometry = Result {
        try VolumeGeometry(spacing: SIMD3(0.8, 0.9, 2.5), origin: SIMD3(-10, 20, 5))
    }

    @Test func aLabelMapIsWrittenWholeAndAnnouncedOnce() throws {
        let (store, folder) = try ObjectStoreTests.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let mask = SyntheticVolumes.sphere(
            size: SIMD3(20, 16, 12), radius: 5, label: 1, geometry: try Self.geometry.get())
        let key = "jobs/a/masks/kidney.nii.gz"
        var events: [TaskEvent] = []
        try store.putLabelMap(mask, key: key, kind: "mask", structure: "kidney") { events.append($0) }
        #expect(events == [.artifact(Artifact(kind: "mask", structure: "kidney", key: key))])
        // The same bytes NiftiWriter writes to a path, readable with the same voxels and geometry.
        let direct = folder.appendingPathComponent("direct.nii.gz")
        try NiftiWriter.write(mask, to: direct.path)
        #expect(try store.read(key) == Data(contentsOf: direct))
        let back = try NiftiReader.read(try store.url(for: key).path).volume.converted(to: UInt8.self)
        #expect(back.voxels.elements == mask.voxels.elements)
        #expect(back.geometry.isApproximatelyEqual(to: mask.geometry))
        // Writing the key again replaces it; no temporary file stays beside it.
        try store.putLabelMap(mask, key: key, kind: "mask", structure: "kidney") { events.append($0) }
        let siblings = try FileManager.default.contentsOfDirectory(
            atPath: store.root.appendingPathComponent("jobs/a/masks").path)
        #expect(siblings == ["kidney.nii.gz"])
    }

    /// A volume NIfTI cannot hold (a sheared direction) leaves the old object, no temporary file and no event.
    @Test func aFailedWriteLeavesTheOldObjectAndAnnouncesNothing() throws {
        let (store, folder) = try ObjectStoreTests.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "jobs/b/labels.nii.gz"
        try store.put(key, data: Data("old".utf8))
        let sheared = try VolumeGeometry(
            spacing: SIMD3(1, 1, 1), direction: Matrix3(rows: SIMD3(1, 0.5, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)))
        let volume = Volume(size: SIMD3(4, 4, 4), geometry: sheared, repeating: UInt8(1))
        var events: [TaskEvent] = []
        do {
            try store.putLabelMap(volume, key: key, kind: "labels") { events.append($0) }
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .storage && error.message.contains(key), "\(error)")
        }
        #expect(events.isEmpty)
        #expect(try store.read(key) == Data("old".utf8))
        let siblings = try FileManager.default.contentsOfDirectory(
            atPath: store.root.appendingPathComponent("jobs/b").path)
        #expect(siblings == ["labels.nii.gz"])
    }
}
