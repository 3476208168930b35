/// Vertex → neighbouring vertices (through triangle edges) in compressed rows, each neighbour once.
struct VertexNeighbours: Sendable {
    /// Neighbours of vertex v: `indices[start[v] ..< start[v + 1]]`.
    var start: [Int32]
    var indices: [UInt32]

    init(_ mesh: TriangleMesh) {
        let n = mesh.positions.count
        var degree = [Int32](repeating: 0, count: n + 1)
        for t in mesh.triangles {
            degree[Int(t.x)] += 2
            degree[Int(t.y)] += 2
            degree[Int(t.z)] += 2
        }
        var offsets = [Int32](repeating: 0, count: n + 1)
        for v in 0..<n { offsets[v + 1] = offsets[v] + degree[v] }
        var fill = offsets
        var raw = [UInt32](repeating: 0, count: Int(offsets[n]))
        for t in mesh.triangles {
            for (a, b, c) in [(t.x, t.y, t.z), (t.y, t.z, t.x), (t.z, t.x, t.y)] {
                raw[Int(fill[Int(a)])] = b
                raw[Int(fill[Int(a)]) + 1] = c
                fill[Int(a)] += 2
            }
        }
        // Deduplicate each row (small: about twice the valence).
        var compactStart = [Int32](repeating: 0, count: n + 1)
        var compact: [UInt32] = []
        compact.reserveCapacity(raw.count / 2 + 16)
        for v in 0..<n {
            let row = raw[Int(offsets[v])..<Int(offsets[v + 1])].sorted()
            var previous: UInt32? = nil
            for u in row where u != previous {
                compact.append(u)
                previous = u
            }
            compactStart[v + 1] = Int32(compact.count)
        }
        start = compactStart
        indices = compact
    }
}
