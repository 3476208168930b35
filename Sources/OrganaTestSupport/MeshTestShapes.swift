import ArrayCore
import Foundation
import Meshing
import VolumeCore

/// Label maps of analytic shapes for mesh tests, and the invariants every structure mesh must satisfy.
public enum MeshTestShapes {
    /// A capsule (cylinder with hemispherical caps) of `radius` voxels between two index points, painted
    /// with `label` where the voxel centre lies inside.
    public static func capsule(
        size: SIMD3<Int>, from p0: SIMD3<Double>, to p1: SIMD3<Double>, radius: Double, label: UInt8 = 1,
        geometry: VolumeGeometry = .identity, into existing: Volume<UInt8>? = nil
    ) -> Volume<UInt8> {
        var volume = existing ?? Volume(size: size, geometry: geometry, repeating: UInt8(0))
        let axis = p1 - p0
        let length2 = (axis * axis).sum()
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    let p = SIMD3(Double(i), Double(j), Double(k))
                    let t = max(0, min(1, ((p - p0) * axis).sum() / length2))
                    let d = p - (p0 + t * axis)
                    if (d * d).sum() <= radius * radius { volume[i, j, k] = label }
                }
            }
        }
        return volume
    }

    /// Two boxes that share a face: label 1 on `[lo, mid)` and label 2 on `[mid, hi)` along x.
    public static func touchingBoxes(
        size: SIMD3<Int>, lower: SIMD3<Int>, split: Int, upper: SIMD3<Int>, geometry: VolumeGeometry = .identity
    ) -> Volume<UInt8> {
        var volume = Volume(size: size, geometry: geometry, repeating: UInt8(0))
        for k in lower.z..<upper.z {
            for j in lower.y..<upper.y {
                for i in lower.x..<upper.x { volume[i, j, k] = i < split ? 1 : 2 }
            }
        }
        return volume
    }

    /// What is wrong with a structure mesh that should be closed, 2-manifold, outward-wound and made of
    /// `expectedComponents` genus-0 pieces (Euler characteristic 2 each); empty when all is well.
    public static func problems(with mesh: TriangleMesh, expectedComponents: Int? = nil) -> [String] {
        var problems: [String] = []
        let topology = MeshTopology(mesh)
        if mesh.triangles.isEmpty { problems.append("mesh is empty") }
        if !topology.isWatertight { problems.append("\(topology.boundaryEdges) boundary edges") }
        if topology.nonManifoldEdges > 0 { problems.append("\(topology.nonManifoldEdges) non-manifold edges") }
        if topology.inconsistentEdges > 0 {
            problems.append("\(topology.inconsistentEdges) inconsistently wound edges")
        }
        if topology.degenerateTriangles > 0 { problems.append("\(topology.degenerateTriangles) degenerate triangles") }
        if let expected = expectedComponents {
            if topology.componentCount != expected {
                problems.append("\(topology.componentCount) components, expected \(expected)")
            }
            if topology.eulerCharacteristic != 2 * expected {
                problems.append("Euler characteristic \(topology.eulerCharacteristic), expected \(2 * expected)")
            }
        }
        if !(mesh.signedVolume > 0) { problems.append("signed volume \(mesh.signedVolume) is not positive") }
        return problems
    }
}
