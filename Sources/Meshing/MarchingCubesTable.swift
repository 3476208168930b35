// Discrete marching cubes case table, generated at start-up rather than typed in.
//
// Algorithm: for each of the 256 inside/outside patterns of a cube's corners, the iso-surface is traced
// face by face. On each face the crossing edges are paired into segments; an ambiguous face (two inside
// corners on a diagonal) is resolved by *separating* the inside corners, i.e. the foreground is
// 6-connected and the background 18/26-connected — the same rule on both cubes that share the face, so the
// surface has no cracks. Segments are directed so that, seen from outside, the surface turns
// counter-clockwise (normals point from inside to outside), chained into closed polygons, and each polygon
// is fanned from a vertex whose diagonals stay off the cube's faces; a polygon with no such vertex is
// fanned around an extra centroid vertex. Every mesh edge on a cube face is therefore shared by exactly the
// two cubes beside that face and every edge vertex sits in one polygon per cube around it: the surface of
// a padded binary mask is closed, 2-manifold and consistently oriented (checked in `MarchingCubesTests`).
//
// Conventions: corner c sits at offset (c & 1, (c >> 1) & 1, (c >> 2) & 1). Edge e runs along axis e / 4;
// edges 0–3 (x) start at corners 0, 2, 4, 6; edges 4–7 (y) at 0, 1, 4, 5; edges 8–11 (z) at 0, 1, 2, 3.
// In a case's triangle list, values 0–11 name edge midpoints and 12 + m names the case's centroid m.
// Compare Lorensen & Cline 1987 (the original table) and VTK's discrete flying edges, which place vertices
// at edge midpoints too.

/// The generated case table.
struct MarchingCubesTable: Sendable {
    /// Triangles of case `c`: `triangleVertices[triangleStart[c] ..< triangleStart[c + 1]]`, three per triangle.
    let triangleStart: [Int32]
    let triangleVertices: [UInt8]
    /// Centroids of case `c`: each is the mean of the edge midpoints listed in `centroidEdges[c][m]`.
    let centroidEdges: [[[UInt8]]]

    static let shared = MarchingCubesTable()

    /// Corner offsets (x, y, z) of corner c.
    static func cornerOffset(_ corner: Int) -> SIMD3<Int> { SIMD3(corner & 1, (corner >> 1) & 1, (corner >> 2) & 1) }

    /// The two corners of edge e.
    static func edgeCorners(_ edge: Int) -> (Int, Int) {
        let axis = edge / 4
        let rest = edge % 4
        let start: Int
        switch axis {
        case 0: start = rest << 1  // bits y, z
        case 1: start = (rest & 1) | ((rest >> 1) << 2)  // bits x, z
        default: start = rest  // bits x, y
        }
        return (start, start | (1 << axis))
    }

    /// Edge index of the cube edge between two corners that differ in one bit.
    static func edge(between a: Int, _ b: Int) -> Int {
        let axis = (a ^ b).trailingZeroBitCount
        let start = min(a, b)
        switch axis {
        case 0: return start >> 1
        case 1: return 4 + ((start & 1) | ((start >> 2) << 1))
        default: return 8 + (start & 3)
        }
    }

    /// Midpoint of edge e, in cube units.
    static func edgeMidpoint(_ edge: Int) -> SIMD3<Double> {
        let (a, b) = edgeCorners(edge)
        return SIMD3<Double>(cornerOffset(a) &+ cornerOffset(b)) / 2
    }

    /// Bit mask of the cube faces (axis * 2 + side) that contain edge e.
    static func faceMask(_ edge: Int) -> Int {
        let axis = edge / 4
        let start = edgeCorners(edge).0
        var mask = 0
        for other in 0..<3 where other != axis {
            mask |= 1 << (other * 2 + ((start >> other) & 1))
        }
        return mask
    }

    private init() {
        var starts: [Int32] = [0]
        var vertices: [UInt8] = []
        var centroids: [[[UInt8]]] = []
        for pattern in 0..<256 {
            let (triangles, caseCentroids) = Self.triangulate(pattern: pattern)
            vertices += triangles
            starts.append(Int32(vertices.count))
            centroids.append(caseCentroids)
        }
        triangleStart = starts
        triangleVertices = vertices
        centroidEdges = centroids
    }

    /// Directed segments (from edge → to edge) of one cube pattern, face by face.
    private static func segments(pattern: Int) -> [Int: Int] {
        func inside(_ corner: Int) -> Bool { pattern & (1 << corner) != 0 }
        var next: [Int: Int] = [:]
        for axis in 0..<3 {
            let u = (axis + 1) % 3
            let v = (axis + 2) % 3
            for side in 0..<2 {
                let base = side << axis
                let ring = [base, base | (1 << u), base | (1 << u) | (1 << v), base | (1 << v)]
                let ringEdges = (0..<4).map { edge(between: ring[$0], ring[($0 + 1) % 4]) }
                let crossing = (0..<4).filter { inside(ring[$0]) != inside(ring[($0 + 1) % 4]) }
                var pairs: [(Int, Int, Int)] = []  // (edge, edge, an inside corner beside the segment)
                if crossing.count == 2 {
                    let corner = ring.first(where: inside) ?? ring[0]
                    pairs.append((ringEdges[crossing[0]], ringEdges[crossing[1]], corner))
                } else if crossing.count == 4 {
                    for m in 0..<4 where inside(ring[m]) {
                        pairs.append((ringEdges[(m + 3) % 4], ringEdges[m], ring[m]))
                    }
                }
                var normal = SIMD3<Double>(0, 0, 0)
                normal[axis] = side == 0 ? -1 : 1
                for (e0, e1, corner) in pairs {
                    let a = edgeMidpoint(e0)
                    let b = edgeMidpoint(e1)
                    let turn = crossProduct(b - a, normal)
                    let towardInside = SIMD3<Double>(cornerOffset(corner)) - (a + b) / 2
                    if (turn * towardInside).sum() > 0 { next[e0] = e1 } else { next[e1] = e0 }
                }
            }
        }
        return next
    }

    /// Triangles (as local vertex codes) and centroid definitions of one pattern.
    private static func triangulate(pattern: Int) -> ([UInt8], [[UInt8]]) {
        let next = segments(pattern: pattern)
        var visited = Set<Int>()
        var triangles: [UInt8] = []
        var centroids: [[UInt8]] = []
        for start in next.keys.sorted() where !visited.contains(start) {
            var polygon: [Int] = []
            var current = start
            while !visited.contains(current), let following = next[current] {
                visited.insert(current)
                polygon.append(current)
                current = following
            }
            triangles += fan(polygon, centroids: &centroids)
        }
        return (triangles, centroids)
    }

    private static func fan(_ polygon: [Int], centroids: inout [[UInt8]]) -> [UInt8] {
        let n = polygon.count
        guard n >= 3 else { return [] }
        if n == 3 { return polygon.map { UInt8($0) } }
        let masks = polygon.map(faceMask)
        for s in 0..<n {
            let clean = (2...(n - 2)).allSatisfy { k in masks[s] & masks[(s + k) % n] == 0 }
            guard clean else { continue }
            var out: [UInt8] = []
            for k in 1...(n - 2) {
                out += [UInt8(polygon[s]), UInt8(polygon[(s + k) % n]), UInt8(polygon[(s + k + 1) % n])]
            }
            return out
        }
        let code = UInt8(12 + centroids.count)
        centroids.append(polygon.map { UInt8($0) })
        var out: [UInt8] = []
        for k in 0..<n {
            out += [code, UInt8(polygon[k]), UInt8(polygon[(k + 1) % n])]
        }
        return out
    }
}
