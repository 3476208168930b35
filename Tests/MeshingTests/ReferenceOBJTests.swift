import Foundation
import Meshing
import OrganaTestSupport
import Testing
import VolumeCore

/// OBJ files Organa writes load in trimesh as watertight, consistently wound objects with the same volume.
/// Runs tools/mesh/check_obj.py with the reference interpreter (`scripts/test.sh` provides it).
@Suite struct ReferenceOBJTests {
    struct ObjectReport: Decodable {
        var watertight: Bool
        var winding_consistent: Bool
        var volume: Double
        var triangles: Int
        var euler: Int
    }

    @Test func trimeshLoadsWatertightObjects() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let geometry = try VolumeGeometry(
            spacing: SIMD3(0.8, 0.8, 1.5), origin: SIMD3(210, -190, -420), direction: .diagonal(SIMD3(-1, 1, 1)))
        var volume = SyntheticVolumes.sphere(size: SIMD3(40, 36, 30), radius: 8, label: 1, geometry: geometry)
        volume = MeshTestShapes.capsule(
            size: volume.size, from: SIMD3(3, 4, 4), to: SIMD3(36, 30, 25), radius: 2.5, label: 2, into: volume)
        let url = folder.appendingPathComponent("all.obj")
        let writer = try CombinedOBJWriter(url: url, frame: .lps)
        var volumes: [String: Double] = [:]
        try LabelMapMesher.meshes(
            of: volume, names: [1: "tumor", 2: "ureter"], options: MeshingOptions(decimation: 0.5)
        ) { structure in
            try writer.write(structure)
            volumes[structure.name] = structure.mesh.signedVolume
        }
        try writer.finish()
        let output = try ReferencePython.run(script: "tools/mesh/check_obj.py", arguments: [url.path])
        let reports = try JSONDecoder().decode([String: [String: ObjectReport]].self, from: output)
        let objects = try #require(reports[url.path])
        #expect(Set(objects.keys) == ["tumor", "ureter"])
        for (name, report) in objects {
            #expect(report.watertight && report.winding_consistent, "\(name)")
            #expect(report.volume > 0, "\(name)")
            #expect(abs(report.volume / (volumes[name] ?? 0) - 1) < 1e-3, "\(name)")
        }
    }
}
