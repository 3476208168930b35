import Foundation
import Meshing
import OrganaTestSupport
import Testing
import VolumeCore

@Suite struct MeshWriterTests {
    /// One voxel, no smoothing: a small closed octahedron-like surface in world mm.
    static func voxelStructure(frame: WorldFrame = .lps) throws -> StructureMesh {
        var volume = Volume(
            size: SIMD3(3, 3, 3), geometry: try VolumeGeometry(spacing: SIMD3(1, 1, 2), origin: SIMD3(10, 20, 30)),
            repeating: UInt8(0))
        volume[1, 1, 1] = 1
        let options = MeshingOptions(smoothingFactor: 0, frame: frame)
        return try #require(LabelMapMesher.meshes(of: volume, names: [1: "tumor"], options: options).first)
    }

    /// The OBJ text of a single voxel (index (1, 1, 1) → world (11, 21, 32) mm), golden: change it only when
    /// the format changes on purpose.
    @Test func objGolden() throws {
        let structure = try Self.voxelStructure()
        let text = String(
            decoding: MeshEncoders.objHeader(frame: .lps, materialLibrary: nil)
                + MeshEncoders.objObject(name: structure.name, mesh: structure.mesh, firstVertex: 0),
            as: UTF8.self)
        let golden = """
            # Organa mesh export; units mm
            # SPACE=LPS
            o tumor
            v 10.500 21.000 32.000
            v 11.000 20.500 32.000
            v 11.000 21.000 31.000
            v 11.500 21.000 32.000
            v 11.000 21.500 32.000
            v 11.000 21.000 33.000
            vn -1.0000 0.0000 0.0000
            vn 0.0000 -1.0000 0.0000
            vn 0.0000 0.0000 -1.0000
            vn 1.0000 0.0000 0.0000
            vn 0.0000 1.0000 0.0000
            vn 0.0000 0.0000 1.0000
            f 1//1 3//3 2//2
            f 4//4 2//2 3//3
            f 1//1 5//5 3//3
            f 4//4 3//3 5//5
            f 1//1 2//2 6//6
            f 4//4 6//6 2//2
            f 1//1 6//6 5//5
            f 4//4 5//5 6//6

            """
        #expect(text == golden)
    }

    @Test func rasFlipsXAndYOnly() throws {
        let lps = try Self.voxelStructure(frame: .lps).mesh
        let ras = try Self.voxelStructure(frame: .ras).mesh
        #expect(zip(lps.positions, ras.positions).allSatisfy { $0 == SIMD3(-$1.x, -$1.y, $1.z) })
        #expect(ras.signedVolume > 0)
        let header = String(decoding: MeshEncoders.objHeader(frame: .ras, materialLibrary: "a.mtl"), as: UTF8.self)
        #expect(header.contains("# SPACE=RAS\n") && header.contains("mtllib a.mtl\n"))
    }

    @Test func stlAndPLYHaveTheExpectedLayout() throws {
        let structure = try Self.voxelStructure()
        let mesh = structure.mesh
        let stl = MeshEncoders.stl(name: "tumor", mesh: mesh, frame: .lps)
        #expect(stl.count == 84 + 50 * mesh.triangles.count)
        let count = stl[80..<84].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        #expect(Int(UInt32(littleEndian: count)) == mesh.triangles.count)
        let ply = MeshEncoders.ply(name: "tumor", mesh: mesh, frame: .lps)
        let headerEnd = try #require(String(decoding: ply, as: UTF8.self).range(of: "end_header\n"))
        let headerBytes = String(decoding: ply, as: UTF8.self)[..<headerEnd.upperBound].utf8.count
        #expect(ply.count == headerBytes + 24 * mesh.positions.count + 13 * mesh.triangles.count)
    }

    /// Per-structure files and one combined OBJ, written as meshes arrive, with materials.
    @Test func streamingWritersWriteEveryStructure() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let volume = MeshTestShapes.touchingBoxes(
            size: SIMD3(16, 10, 10), lower: SIMD3(2, 2, 2), split: 8, upper: SIMD3(14, 8, 8))
        let combined = try CombinedOBJWriter(
            url: folder.appendingPathComponent("all.obj"), frame: .lps, materials: true)
        var written: [String] = []
        for format in MeshFileFormat.allCases {
            let writer = MeshFileWriter(directory: folder, format: format, materials: format == .obj)
            try LabelMapMesher.meshes(of: volume, names: [1: "kidney", 2: "tumor"]) { structure in
                written.append(try writer.write(structure).lastPathComponent)
                if format == .obj { try combined.write(structure) }
            }
        }
        try combined.finish()
        #expect(Set(written) == ["kidney.obj", "tumor.obj", "kidney.stl", "tumor.stl", "kidney.ply", "tumor.ply"])
        let all = try String(contentsOf: folder.appendingPathComponent("all.obj"), encoding: .utf8)
        #expect(all.components(separatedBy: "\no ").count == 3)
        #expect(all.contains("mtllib all.mtl"))
        let mtl = try String(contentsOf: folder.appendingPathComponent("all.mtl"), encoding: .utf8)
        #expect(mtl.contains("newmtl kidney") && mtl.contains("newmtl tumor"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".partial")
        }
        #expect(leftovers.isEmpty)
    }

    @Test func writeFailureNamesThePath() throws {
        let writer = MeshFileWriter(directory: URL(fileURLWithPath: "/nonexistent-organa-dir"))
        #expect {
            try writer.write(try Self.voxelStructure())
        } throws: { error in
            (error as? MeshingError)?.code == .writeFailed
                && "\(error)".contains("/nonexistent-organa-dir")
        }
    }
}
