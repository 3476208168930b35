// Quality of a structure's mesh against its voxels.
//
// Volume: the mesh's enclosed volume (divergence theorem, mm³) over the voxel volume (count × voxel mm³).
// Surface distance: for every mesh vertex, the exact distance (mm) to the voxel-boundary ("staircase")
// surface, i.e. the nearest face between a voxel of the label and one that is not, searched among voxels
// within two voxels of the vertex (a vertex farther away counts as 2.5 voxels). One-sided (mesh → voxel
// boundary), vertex-sampled; research/mesh_bench.py's symmetric score is what the benchmark script uses.

public import ArrayCore
public import VolumeCore

/// Quality figures of one structure's mesh.
public struct MeshQualityReport: Sendable, Equatable, Codable {
    public var label: Int
    public var name: String
    public var triangles: Int
    public var vertices: Int
    /// Enclosed mesh volume, mm³ (positive when wound outward).
    public var meshVolume: Double
    /// Voxel count × voxel volume, mm³.
    public var voxelVolume: Double
    /// meshVolume / voxelVolume.
    public var volumeRatio: Double
    /// Mean and 95th-percentile distance (mm) of mesh vertices to the voxel boundary surface.
    public var meanSurfaceDistance: Double
    public var p95SurfaceDistance: Double
    public var watertight: Bool
    public var manifold: Bool
    public var eulerCharacteristic: Int
    public var components: Int
}

extension MeshQualityReport {
    /// Measures `structure` (a mesh from `LabelMapMesher`) against `labelMap`.
    public init<V: Scalar & FixedWidthInteger>(structure: StructureMesh, labelMap: Volume<V>) {
        let geometry = labelMap.geometry
        let mesh = structure.mesh
        let topology = MeshTopology(mesh)
        let voxelMM3 = abs(geometry.indexToWorldMatrix.determinant)
        let meshVolume = mesh.signedVolume
        let voxelVolume = Double(structure.voxelCount) * voxelMM3
        let distances = Self.vertexDistances(
            mesh, frame: structure.frame, label: V(structure.label), labelMap: labelMap)
        let sorted = distances.sorted()
        let mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        let p95 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(0.95 * Double(sorted.count)))]
        self.init(
            label: structure.label, name: structure.name, triangles: mesh.triangles.count,
            vertices: mesh.positions.count, meshVolume: meshVolume, voxelVolume: voxelVolume,
            volumeRatio: voxelVolume > 0 ? meshVolume / voxelVolume : 0, meanSurfaceDistance: mean,
            p95SurfaceDistance: p95, watertight: topology.isWatertight, manifold: topology.isManifold,
            eulerCharacteristic: topology.eulerCharacteristic, components: topology.componentCount)
    }

    /// Distance (mm) from each vertex of a world mesh to the voxel-boundary surface of `label`.
    @_specialize(where V == UInt8)
    @_specialize(where V == UInt16)
    @_specialize(where V == Int16)
    @_specialize(where V == Int32)
    static func vertexDistances<V: Scalar & FixedWidthInteger>(
        _ mesh: TriangleMesh, frame: WorldFrame, label: V, labelMap: Volume<V>
    ) -> [Double] {
        let geometry = labelMap.geometry
        let spacing = geometry.spacing
        let size = labelMap.size
        var distances = [Double](repeating: 0, count: mesh.positions.count)
        let positions = mesh.positions
        labelMap.voxels.elements.withUnsafeBufferPointer { voxels in
            distances.withUnsafeMutableBufferPointer { out in
                let target = UncheckedSendable(out)
                concurrentChunks(count: positions.count, minimumChunk: 4096) { range in
                    for v in range {
                        var world = SIMD3<Double>(positions[v])
                        if frame == .ras {
                            world.x = -world.x
                            world.y = -world.y
                        }
                        let p = geometry.continuousIndex(atWorld: world)
                        target.value[v] = staircaseDistance(
                            p, label: label, voxels: voxels, size: size, spacing: spacing)
                    }
                }
            }
        }
        return distances
    }

    @_specialize(where V == UInt8)
    @_specialize(where V == UInt16)
    @_specialize(where V == Int16)
    @_specialize(where V == Int32)
    private static func staircaseDistance<V: FixedWidthInteger>(
        _ p: SIMD3<Double>, label: V, voxels: UnsafeBufferPointer<V>, size: SIMD3<Int>, spacing: SIMD3<Double>
    ) -> Double {
        @inline(__always) func inside(_ i: Int, _ j: Int, _ k: Int) -> Bool {
            guard i >= 0, j >= 0, k >= 0, i < size.x, j < size.y, k < size.z else { return false }
            return voxels[(k * size.y + j) * size.x + i] == label
        }
        let c = SIMD3<Int>(Int(p.x.rounded()), Int(p.y.rounded()), Int(p.z.rounded()))
        var best = Double.infinity
        let window = 2
        for k in (c.z - window)...(c.z + window) {
            for j in (c.y - window)...(c.y + window) {
                for i in (c.x - window)...(c.x + window) where inside(i, j, k) {
                    let d = p - SIMD3<Double>(Double(i), Double(j), Double(k))
                    for axis in 0..<3 {
                        for side in [-1, 1] {
                            var n = SIMD3<Int>(i, j, k)
                            n[axis] += side
                            if inside(n.x, n.y, n.z) { continue }
                            // Face at d[axis] = side/2, spanning ±1/2 on the other axes.
                            var squared = 0.0
                            for a in 0..<3 {
                                let gap = a == axis ? abs(d[a] - Double(side) / 2) : max(0, abs(d[a]) - 0.5)
                                squared += gap * gap * spacing[a] * spacing[a]
                            }
                            best = min(best, squared)
                        }
                    }
                }
            }
        }
        if best.isFinite { return best.squareRoot() }
        return 2.5 * min(spacing.x, spacing.y, spacing.z)
    }
}
