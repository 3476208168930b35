import Foundation
import OrganaTestSupport
import Testing

/// Runs `organa phantom` then `organa mesh` on its label map, as a user would.
@Suite struct MeshCommandTests {
    @Test func meshesEveryPhantomStructureUnderItsName() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let phantom = try InfoCommandTests.run([
            "phantom", "--out", folder.path, "--size", "64,64,32", "--spacing", "6,6,10", "--seed", "5",
        ])
        #expect(phantom.status == 0, "\(phantom.stderr)")
        let meshes = folder.appendingPathComponent("meshes")
        let result = try InfoCommandTests.run([
            "mesh", "--labels", folder.appendingPathComponent("labels.nii.gz").path, "--out", meshes.path,
            "--decimate", "0.5",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // Names come from the labels.json the phantom wrote beside its label map.
        for name in ["kidney", "tumor", "artery", "vein", "ureter", "perirenal_fat"] {
            let path = meshes.appendingPathComponent("\(name).obj").path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.contains("# SPACE=LPS"), "\(name)")
            #expect(lines.contains("o \(name)"), "\(name)")
            let vertices = lines.filter { $0.hasPrefix("v ") }.count
            let faces = lines.filter { $0.hasPrefix("f ") }
            #expect(vertices > 10 && faces.count > 10, "\(name)")
            // Every face index refers to an existing vertex (OBJ indices are 1-based).
            let indices = faces.flatMap {
                $0.split(separator: " ").dropFirst().compactMap { Int($0.split(separator: "/")[0]) }
            }
            #expect(indices.allSatisfy { $0 >= 1 && $0 <= vertices }, "\(name)")
        }
    }

    @Test func refusesAnOutOfRangeSmoothingFactor() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try InfoCommandTests.run(["phantom", "--out", folder.path, "--size", "32,32,16", "--spacing", "12,12,20"])
        let result = try InfoCommandTests.run([
            "mesh", "--labels", folder.appendingPathComponent("labels.nii.gz").path, "--out", folder.path,
            "--smoothing", "7",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("smoothing factor 7.0"))
    }
}
