/// Edge and component counts of a triangle mesh: whether it is closed (watertight), 2-manifold and
/// consistently wound, and its Euler characteristic.
public struct MeshTopology: Sendable, Equatable, Codable {
    /// Vertices used by at least one triangle.
    public var vertexCount: Int
    /// Distinct undirected edges.
    public var edgeCount: Int
    public var triangleCount: Int
    /// Edges used by one triangle only (a hole).
    public var boundaryEdges: Int
    /// Edges used by more than two triangles.
    public var nonManifoldEdges: Int
    /// Manifold edges whose two triangles traverse them in the same direction (inconsistent winding).
    public var inconsistentEdges: Int
    /// Triangles with a repeated vertex index.
    public var degenerateTriangles: Int
    /// Connected components (through shared vertices).
    public var componentCount: Int

    /// V − E + F; 2 per closed genus-0 component.
    public var eulerCharacteristic: Int { vertexCount - edgeCount + triangleCount }
    /// No boundary edge.
    public var isWatertight: Bool { boundaryEdges == 0 }
    /// Every edge in exactly two triangles with opposite directions, no degenerate triangle.
    public var isManifold: Bool {
        boundaryEdges == 0 && nonManifoldEdges == 0 && inconsistentEdges == 0 && degenerateTriangles == 0
    }

    /// Analyses `mesh`.
    public init(_ mesh: TriangleMesh) {
        triangleCount = mesh.triangles.count
        var keys: [UInt64] = []
        keys.reserveCapacity(mesh.triangles.count * 3)
        var degenerate = 0
        var used = [Bool](repeating: false, count: mesh.positions.count)
        var parent = Array(0..<mesh.positions.count)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        for t in mesh.triangles {
            if t.x == t.y || t.y == t.z || t.z == t.x { degenerate += 1 }
            for (a, b) in [(t.x, t.y), (t.y, t.z), (t.z, t.x)] {
                // Low bit: direction (0 when a < b).
                keys.append((UInt64(min(a, b)) << 33) | (UInt64(max(a, b)) << 1) | (a < b ? 0 : 1))
            }
            for v in [t.x, t.y, t.z] { used[Int(v)] = true }
            let r0 = find(Int(t.x))
            for v in [t.y, t.z] {
                let r = find(Int(v))
                if r != r0 { parent[r] = r0 }
            }
        }
        keys.sort()
        var edges = 0
        var boundary = 0
        var nonManifold = 0
        var inconsistent = 0
        var index = 0
        while index < keys.count {
            var end = index + 1
            while end < keys.count && keys[end] >> 1 == keys[index] >> 1 { end += 1 }
            edges += 1
            switch end - index {
            case 1: boundary += 1
            case 2: if keys[index] & 1 == keys[index + 1] & 1 { inconsistent += 1 }
            default: nonManifold += 1
            }
            index = end
        }
        vertexCount = used.filter { $0 }.count
        edgeCount = edges
        boundaryEdges = boundary
        nonManifoldEdges = nonManifold
        inconsistentEdges = inconsistent
        degenerateTriangles = degenerate
        componentCount = (0..<mesh.positions.count).filter { used[$0] && find($0) == $0 }.count
    }
}
