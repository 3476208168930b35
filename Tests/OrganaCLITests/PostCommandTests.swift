import Foundation
import OrganaTestSupport
import Testing

/// Runs `organa phantom` then `organa post` on its label map, as a user would, and feeds it bad input.
@Suite struct PostCommandTests {
    static func phantom(_ folder: URL, size: String = "128,128,56", spacing: String = "3,3,5") throws {
        let result = try InfoCommandTests.run([
            "phantom", "--out", folder.path, "--size", size, "--spacing", spacing, "--seed", "2",
        ])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func writesCorrectedLabelsFatMaskAndReport() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.phantom(folder)
        let out = folder.appendingPathComponent("post")
        let labels = folder.appendingPathComponent("labels.nii.gz").path
        let fromCT = try InfoCommandTests.run([
            "post", "--labels", labels, "--ct", folder.appendingPathComponent("ct.nii.gz").path, "--out", out.path,
        ])
        #expect(fromCT.status == 0, "\(fromCT.stderr)")
        #expect(fromCT.stdout.contains("perirenal fat left") && fromCT.stdout.contains("mean"))
        for file in ["labels_corrected.nii.gz", "perirenal_fat.nii.gz", "post_report.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let report =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent("post_report.json"))) as? [String: Any]
        let corrections = report?["corrections"] as? [[String: Any]] ?? []
        #expect(corrections.contains { $0["correction"] as? String == "keepLargestKidneyPerSide" })
        let sides = report?["fatSides"] as? [[String: Any]] ?? []
        #expect(sides.count == 2)
        #expect(sides.allSatisfy { ($0["volumeML"] as? Double ?? 0) > 0 })

        // The fat mask written by the first run serves as a fat candidate of the second (mask-only input).
        let fromMask = try InfoCommandTests.run([
            "post", "--labels", labels, "--fat-candidate", out.appendingPathComponent("perirenal_fat.nii.gz").path,
            "--out", folder.appendingPathComponent("post2").path, "--no-corrections",
        ])
        #expect(fromMask.status == 0, "\(fromMask.stderr)")
        #expect(fromMask.stdout.contains("perirenal fat right"))
    }

    @Test func refusesMismatchedGridsWithTheirNames() throws {
        let a = try RepositoryPaths.temporaryFolder()
        let b = try RepositoryPaths.temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        try Self.phantom(a)
        try Self.phantom(b, size: "40,40,20", spacing: "9.6,9.6,14")
        let result = try InfoCommandTests.run([
            "post", "--labels", a.appendingPathComponent("labels.nii.gz").path, "--fat-candidate",
            b.appendingPathComponent("labels.nii.gz").path, "--out", a.appendingPathComponent("post").path,
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("geometryMismatch") && result.stderr.contains("fat candidate"))
    }

    @Test func refusesACTGivenAsLabelMap() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.phantom(folder)
        let ct = folder.appendingPathComponent("ct.nii.gz").path
        let result = try InfoCommandTests.run([
            "post", "--labels", ct, "--ct", ct, "--out", folder.appendingPathComponent("post").path,
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("whole values in 0…255") && result.stderr.contains("int16"))
    }

    @Test func needsAFatCandidateOrACT() throws {
        let result = try InfoCommandTests.run(["post", "--labels", "x.nii.gz", "--out", "/tmp/organa-post-none"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--fat-candidate"))
    }
}
