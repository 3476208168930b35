/// An indexed triangle mesh: shared vertices, triangles as three vertex indices, optional vertex normals.
///
/// Positions are in whatever frame the producing step says (voxel index space straight out of extraction,
/// world millimetres after `transformedToWorld`). Triangles are wound counter-clockwise seen from outside,
/// so `signedVolume` of a closed mesh is positive.
public struct TriangleMesh: Sendable, Equatable {
    /// Vertex positions.
    public var positions: [SIMD3<Float>]
    /// Vertex indices of each triangle, counter-clockwise seen from outside.
    public var triangles: [SIMD3<UInt32>]
    /// Unit vertex normals, one per position, or empty when not computed.
    public var normals: [SIMD3<Float>]

    public init(positions: [SIMD3<Float>] = [], triangles: [SIMD3<UInt32>] = [], normals: [SIMD3<Float>] = []) {
        self.positions = positions
        self.triangles = triangles
        self.normals = normals
    }

    /// Whether the mesh has no triangle.
    public var isEmpty: Bool { triangles.isEmpty }

    /// Volume enclosed by a closed mesh (divergence theorem), in the cube of the position unit; positive for
    /// outward winding. Accumulated in `Double`, relative to the first vertex to limit cancellation.
    public var signedVolume: Double {
        guard let first = positions.first else { return 0 }
        let base = SIMD3<Double>(first)
        var sum = 0.0
        for t in triangles {
            let a = SIMD3<Double>(positions[Int(t.x)]) - base
            let b = SIMD3<Double>(positions[Int(t.y)]) - base
            let c = SIMD3<Double>(positions[Int(t.z)]) - base
            sum += (a * crossProduct(b, c)).sum()
        }
        return sum / 6
    }

    /// Total triangle area, in the square of the position unit.
    public var surfaceArea: Double {
        var sum = 0.0
        for t in triangles {
            let a = SIMD3<Double>(positions[Int(t.x)])
            let b = SIMD3<Double>(positions[Int(t.y)])
            let c = SIMD3<Double>(positions[Int(t.z)])
            let n = crossProduct(b - a, c - a)
            sum += (n * n).sum().squareRoot() / 2
        }
        return sum
    }

    /// The same mesh with every triangle's winding reversed (normals negated).
    public func flipped() -> TriangleMesh {
        TriangleMesh(
            positions: positions, triangles: triangles.map { SIMD3($0.x, $0.z, $0.y) }, normals: normals.map { -$0 })
    }

    /// Checks that every index is in range and normals, if present, match the positions.
    public func validate() throws(MeshingError) {
        guard normals.isEmpty || normals.count == positions.count else {
            throw MeshingError(
                .invalidMesh, "mesh has \(normals.count) normals for \(positions.count) positions")
        }
        let count = UInt32(positions.count)
        for (index, t) in triangles.enumerated() where t.x >= count || t.y >= count || t.z >= count {
            throw MeshingError(
                .invalidMesh, "triangle \(index) \(t) refers to a vertex beyond the \(count) positions")
        }
    }
}

@inline(__always)
func crossProduct<T: SIMDScalar & FloatingPoint>(_ a: SIMD3<T>, _ b: SIMD3<T>) -> SIMD3<T> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
