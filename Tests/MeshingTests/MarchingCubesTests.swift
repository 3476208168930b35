import Meshing
import OrganaTestSupport
import Testing
import VolumeCore

@Suite struct MarchingCubesTests {
    /// Every single-cube pattern (a 2×2×2 block inside a padded 4×4×4 grid) gives a closed, manifold,
    /// outward-wound surface.
    @Test func everyCubePatternIsClosedManifoldAndOutward() throws {
        for pattern in 1..<256 {
            var volume = Volume(size: SIMD3(4, 4, 4), repeating: UInt8(0))
            for c in 0..<8 where pattern & (1 << c) != 0 {
                volume[1 + (c & 1), 1 + ((c >> 1) & 1), 1 + ((c >> 2) & 1)] = 1
            }
            let stats = try LabelStatistics(labelMap: volume)
            let box = try #require(stats.entries.first).box
            let mesh = SurfaceExtraction.surface(of: UInt8(1), in: volume, box: box)
            let topology = MeshTopology(mesh)
            #expect(topology.isManifold, "pattern \(pattern): \(topology)")
            #expect(mesh.signedVolume > 0, "pattern \(pattern)")
        }
    }

    /// Random blobs: closed, manifold, outward, with Euler characteristic 2 per genus-0 component or
    /// otherwise even, and the enclosed volume close to the voxel count.
    @Test(arguments: [1, 2, 3, 4, 5])
    func randomMasksAreClosedAndManifold(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let size = SIMD3(14, 12, 10)
        var volume = Volume(size: size, repeating: UInt8(0))
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x where generator.next() % 100 < 45 { volume[i, j, k] = 1 }
            }
        }
        let stats = try LabelStatistics(labelMap: volume)
        let entry = try #require(stats.entries.first)
        let mesh = SurfaceExtraction.surface(of: UInt8(1), in: volume, box: entry.box)
        let topology = MeshTopology(mesh)
        #expect(topology.isManifold, "\(topology)")
        #expect(topology.eulerCharacteristic % 2 == 0)
        #expect(mesh.signedVolume > 0)
    }
}
