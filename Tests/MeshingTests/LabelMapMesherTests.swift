import Foundation
import Meshing
import OrganaTestSupport
import Testing
import VolumeCore

/// The whole pipeline on analytic shapes: closed, manifold, outward, accurate.
@Suite struct LabelMapMesherTests {
    static func only(_ structures: [StructureMesh], label: Int = 1) throws -> StructureMesh {
        try #require(structures.first { $0.label == label })
    }

    @Test(arguments: [0.0, 0.5, 1.0])
    func sphereIsClosedManifoldAndAccurate(smoothing: Double) throws {
        let volume = SyntheticVolumes.sphere(size: SIMD3(32, 32, 32), radius: 10)
        let options = MeshingOptions(smoothingFactor: smoothing)
        let structure = try Self.only(LabelMapMesher.meshes(of: volume, names: [1: "tumor"], options: options))
        #expect(MeshTestShapes.problems(with: structure.mesh, expectedComponents: 1) == [])
        let report = MeshQualityReport(structure: structure, labelMap: volume)
        #expect(abs(report.volumeRatio - 1) <= 0.02, "\(report)")
        #expect(report.meanSurfaceDistance <= 0.5, "\(report)")
        #expect(report.watertight && report.manifold)
        #expect(structure.mesh.normals.count == structure.mesh.positions.count)
    }

    /// Tubes of radius 2–5 voxels, tilted against the grid, named as vessels (gentler smoothing).
    @Test(arguments: [2.0, 3.0, 4.0, 5.0])
    func tubesKeepTheirVolume(radius: Double) throws {
        let size = SIMD3(48, 40, 36)
        let volume = MeshTestShapes.capsule(
            size: size, from: SIMD3(8, 9, 8), to: SIMD3(39, 30, 27), radius: radius)
        let structure = try Self.only(
            LabelMapMesher.meshes(of: volume, names: [1: "artery"], options: MeshingOptions(smoothingFactor: 0.5)))
        #expect(MeshTestShapes.problems(with: structure.mesh, expectedComponents: 1) == [])
        let report = MeshQualityReport(structure: structure, labelMap: volume)
        #expect(abs(report.volumeRatio - 1) <= 0.05, "\(report)")
        #expect(report.meanSurfaceDistance <= 0.5, "\(report)")
    }

    /// A mirrored (det < 0), rotated, anisotropic geometry still gives outward normals in LPS and RAS,
    /// and the same volume in mm³.
    @Test(arguments: WorldFrame.allCases)
    func mirroredAnisotropicGeometryStaysOutward(frame: WorldFrame) throws {
        let geometry = try VolumeGeometry(
            spacing: SIMD3(0.8, 0.8, 2.5), origin: SIMD3(210, -190, -420),
            direction: SyntheticVolumes.rotation(SIMD3(0.2, -0.1, 0.3)) * .diagonal(SIMD3(-1, 1, 1)))
        #expect(geometry.direction.determinant < 0)
        let size = SIMD3(40, 40, 16)
        var volume = SyntheticVolumes.sphere(size: size, radius: 0, geometry: geometry)
        // An ellipsoid that is round in mm: radii 12 mm → 15 × 15 × 4.8 voxels.
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    let d = (SIMD3(Double(i), Double(j), Double(k)) - SIMD3(19.5, 19.5, 7.5)) * geometry.spacing
                    if (d * d).sum() <= 144 { volume[i, j, k] = 1 }
                }
            }
        }
        let structure = try Self.only(
            LabelMapMesher.meshes(of: volume, names: [1: "kidney"], options: MeshingOptions(frame: frame)))
        #expect(MeshTestShapes.problems(with: structure.mesh, expectedComponents: 1) == [])
        let report = MeshQualityReport(structure: structure, labelMap: volume)
        #expect(abs(report.volumeRatio - 1) <= 0.02, "\(report)")
        #expect(report.meanSurfaceDistance <= 0.5 * 0.8, "\(report)")
        // Normals point away from the centre.
        let mesh = structure.mesh
        var centre = SIMD3<Float>(repeating: 0)
        for p in mesh.positions { centre += p }
        centre /= Float(mesh.positions.count)
        let outward = zip(mesh.positions, mesh.normals).filter { p, n in ((p - centre) * n).sum() > 0 }.count
        #expect(outward == mesh.positions.count)
        // The world centre matches the geometry's world point of the index centre.
        var expected = geometry.worldPoint(atIndex: SIMD3(19.5, 19.5, 7.5))
        if frame == .ras { expected = SIMD3(-expected.x, -expected.y, expected.z) }
        #expect(abs(Double(centre.x) - expected.x) < 0.5 && abs(Double(centre.y) - expected.y) < 0.5)
    }

    /// Touching structures: each closed and manifold; before smoothing their common face is made of the
    /// very same vertex positions (no gap, no overlap).
    @Test func touchingBoxesShareTheirInterface() throws {
        let volume = MeshTestShapes.touchingBoxes(
            size: SIMD3(20, 14, 12), lower: SIMD3(3, 3, 3), split: 10, upper: SIMD3(17, 11, 9))
        let raw = try LabelMapMesher.meshes(of: volume, options: MeshingOptions(smoothingFactor: 0))
        #expect(raw.count == 2)
        for structure in raw {
            #expect(MeshTestShapes.problems(with: structure.mesh, expectedComponents: 1) == [])
            let report = MeshQualityReport(structure: structure, labelMap: volume)
            #expect(abs(report.volumeRatio - 1) <= 0.05, "\(report)")
        }
        // Interface plane x = 9.5: vertices strictly inside the common face appear in both meshes.
        func interior(_ mesh: TriangleMesh) -> Set<SIMD3<Float>> {
            Set(mesh.positions.filter { $0.x == 9.5 && $0.y > 3 && $0.y < 10 && $0.z > 3 && $0.z < 8 })
        }
        let left = interior(raw[0].mesh)
        #expect(!left.isEmpty)
        #expect(left == interior(raw[1].mesh))
        // Smoothed, both stay closed and manifold.
        for structure in try LabelMapMesher.meshes(of: volume) {
            #expect(MeshTestShapes.problems(with: structure.mesh, expectedComponents: 1) == [])
        }
    }

    @Test func severalComponentsAndATorus() throws {
        var volume = SyntheticVolumes.sphere(size: SIMD3(40, 30, 20), radius: 0)
        // Two separate spheres of label 1, a torus (ring) of label 2.
        for k in 0..<20 {
            for j in 0..<30 {
                for i in 0..<40 {
                    let p = SIMD3(Double(i), Double(j), Double(k))
                    let a = p - SIMD3(7, 8, 10)
                    let b = p - SIMD3(7, 22, 10)
                    if (a * a).sum() <= 16 || (b * b).sum() <= 16 { volume[i, j, k] = 1 }
                    let c = p - SIMD3(27, 15, 10)
                    let ring = (c.x * c.x + c.y * c.y).squareRoot() - 7
                    if ring * ring + c.z * c.z <= 9 { volume[i, j, k] = 2 }
                }
            }
        }
        let meshes = try LabelMapMesher.meshes(of: volume, options: MeshingOptions(decimation: 0.5))
        #expect(MeshTestShapes.problems(with: meshes[0].mesh, expectedComponents: 2) == [])
        #expect(MeshTestShapes.problems(with: meshes[1].mesh) == [])
        #expect(MeshTopology(meshes[1].mesh).eulerCharacteristic == 0)
    }

    @Test func rejectsBadOptionsAndLabels() throws {
        let volume = SyntheticVolumes.sphere(size: SIMD3(8, 8, 8), radius: 2)
        #expect(throws: MeshingError.self) {
            try LabelMapMesher.meshes(of: volume, options: MeshingOptions(smoothingFactor: 1.5))
        }
        #expect(throws: MeshingError.self) {
            try LabelMapMesher.meshes(of: volume, options: MeshingOptions(decimation: 1))
        }
        #expect(throws: MeshingError.self) { try LabelMapMesher.meshes(of: volume, labels: [7]) }
        let negative = Volume(size: SIMD3(3, 3, 3), repeating: Int16(-2))
        #expect(throws: MeshingError.self) { try LabelStatistics(labelMap: negative) }
    }
}
