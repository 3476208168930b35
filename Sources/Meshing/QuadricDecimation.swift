// Decimation by quadric-error edge collapse.
//
// Algorithm: Garland & Heckbert, "Surface simplification using quadric error metrics" (SIGGRAPH 1997),
// scheduled as in Fast-Quadric-Mesh-Simplification (Sven Forstmann): instead of a priority queue, passes
// over all triangles collapse every edge whose error is below a threshold that grows each pass
// (1e-9 · (pass + 3)^7 in squared position units), which is close to greedy order and much faster.
// Each vertex carries the sum of the plane quadrics of its original triangles; an edge collapses to the
// point minimising the summed quadric (or the best of its ends and midpoint when that system is
// singular or the optimum leaves the edge's neighbourhood).
// A collapse is refused when it would flip or degenerate a neighbouring triangle, break the link
// condition (the two ends must share exactly the two opposite vertices — keeps the mesh 2-manifold, which
// the reference implementations miss on tunnelled shapes), or leave a vertex of valence < 3. Vertices on
// boundary edges never move.
// Conventions: positions in any unit (Organa decimates in world mm, after smoothing); winding kept.

/// How far to decimate.
public struct DecimationOptions: Sendable, Equatable, Codable {
    /// Fraction of triangles to remove, in [0, 1) (0.8 keeps 20 %).
    public var targetReduction: Double
    /// Largest quadric error (≈ distance, in position units) a collapse may introduce; nil for none.
    public var maximumError: Double?

    public init(targetReduction: Double, maximumError: Double? = nil) {
        self.targetReduction = targetReduction
        self.maximumError = maximumError
    }

    public func validate() throws(MeshingError) {
        guard targetReduction >= 0, targetReduction < 1 else {
            throw MeshingError(.invalidOption, "decimation target reduction \(targetReduction) is outside 0..<1")
        }
        if let e = maximumError, !(e > 0) {
            throw MeshingError(.invalidOption, "decimation maximum error \(e) must be positive")
        }
    }
}

extension TriangleMesh {
    /// The mesh with about `targetReduction` of its triangles removed by quadric edge collapses; unused
    /// vertices are dropped and normals, if present, recomputed.
    public func decimated(_ options: DecimationOptions) throws(MeshingError) -> TriangleMesh {
        try options.validate()
        guard options.targetReduction > 0, triangles.count > 4 else { return self }
        var decimator = QuadricDecimator(self)
        decimator.run(
            targetTriangles: Int((1 - options.targetReduction) * Double(triangles.count)),
            maximumError: options.maximumError)
        var result = decimator.compacted()
        if !normals.isEmpty { result.normals = result.vertexNormals() }
        return result
    }
}

/// A symmetric 4×4 quadric stored as its 10 upper entries.
struct Quadric {
    var a, b, c, d, e, f, g, h, i, j: Double

    static let zero = Quadric(a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0, h: 0, i: 0, j: 0)

    /// The quadric of the plane n·x + d = 0 (n unit).
    init(plane n: SIMD3<Double>, _ dd: Double) {
        self.init(
            a: n.x * n.x, b: n.x * n.y, c: n.x * n.z, d: n.x * dd, e: n.y * n.y, f: n.y * n.z, g: n.y * dd,
            h: n.z * n.z, i: n.z * dd, j: dd * dd)
    }

    init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double, g: Double, h: Double, i: Double, j: Double) {
        (self.a, self.b, self.c, self.d, self.e) = (a, b, c, d, e)
        (self.f, self.g, self.h, self.i, self.j) = (f, g, h, i, j)
    }

    static func + (l: Quadric, r: Quadric) -> Quadric {
        Quadric(
            a: l.a + r.a, b: l.b + r.b, c: l.c + r.c, d: l.d + r.d, e: l.e + r.e, f: l.f + r.f, g: l.g + r.g,
            h: l.h + r.h, i: l.i + r.i, j: l.j + r.j)
    }

    /// vᵀ Q v for v = (p, 1).
    func error(_ p: SIMD3<Double>) -> Double {
        let (x, y, z) = (p.x, p.y, p.z)
        return a * x * x + 2 * b * x * y + 2 * c * x * z + 2 * d * x + e * y * y + 2 * f * y * z + 2 * g * y
            + h * z * z + 2 * i * z + j
    }

    /// The minimiser of the quadric, or nil when its 3×3 part is (nearly) singular.
    func minimiser() -> SIMD3<Double>? {
        let det = a * (e * h - f * f) - b * (b * h - f * c) + c * (b * f - e * c)
        let scale = max(abs(a), abs(e), abs(h))
        guard abs(det) > 1e-9 * scale * scale * scale, det.isFinite else { return nil }
        let x = -(d * (e * h - f * f) - b * (g * h - f * i) + c * (g * f - e * i)) / det
        let y = -(a * (g * h - i * f) - d * (b * h - f * c) + c * (b * i - g * c)) / det
        let z = -(a * (e * i - g * f) - b * (b * i - g * c) + d * (b * f - e * c)) / det
        return SIMD3(x, y, z)
    }
}

/// The state of one decimation.
struct QuadricDecimator {
    var positions: [SIMD3<Double>]
    var quadrics: [Quadric]
    var locked: [Bool]
    var tris: [SIMD3<Int32>]
    var triNormals: [SIMD3<Double>]
    var errors: [SIMD4<Double>]
    var deleted: [Bool]
    var dirty: [Bool]
    var refStart: [Int32]
    var refCount: [Int32]
    var refTri: [Int32]
    var refCorner: [UInt8]
    var alive: Int

    init(_ mesh: TriangleMesh) {
        positions = mesh.positions.map { SIMD3<Double>($0) }
        tris = mesh.triangles.map { SIMD3<Int32>(truncatingIfNeeded: $0) }
        quadrics = Array(repeating: .zero, count: positions.count)
        locked = Array(repeating: false, count: positions.count)
        triNormals = Array(repeating: .zero, count: tris.count)
        errors = Array(repeating: .zero, count: tris.count)
        deleted = Array(repeating: false, count: tris.count)
        dirty = Array(repeating: false, count: tris.count)
        refStart = []
        refCount = []
        refTri = []
        refCorner = []
        alive = tris.count
        for (index, t) in tris.enumerated() {
            let p0 = positions[Int(t.x)]
            var n = crossProduct(positions[Int(t.y)] - p0, positions[Int(t.z)] - p0)
            let length = (n * n).sum().squareRoot()
            if length > 0 { n /= length }
            triNormals[index] = n
            let q = Quadric(plane: n, -(n * p0).sum())
            for v in [t.x, t.y, t.z] { quadrics[Int(v)] = quadrics[Int(v)] + q }
        }
        lockBoundaryVertices()
        for index in tris.indices { updateErrors(index) }
        rebuildReferences()
    }

    private mutating func lockBoundaryVertices() {
        var keys: [UInt64] = []
        keys.reserveCapacity(tris.count * 3)
        for t in tris {
            for (a, b) in [(t.x, t.y), (t.y, t.z), (t.z, t.x)] {
                keys.append(UInt64(UInt32(min(a, b))) << 32 | UInt64(UInt32(max(a, b))))
            }
        }
        keys.sort()
        var index = 0
        while index < keys.count {
            var end = index + 1
            while end < keys.count && keys[end] == keys[index] { end += 1 }
            if end - index != 2 {
                locked[Int(keys[index] >> 32)] = true
                locked[Int(keys[index] & 0xFFFF_FFFF)] = true
            }
            index = end
        }
    }

    private mutating func updateErrors(_ index: Int) {
        let t = tris[index]
        let e0 = collapse(Int(t.x), Int(t.y)).error
        let e1 = collapse(Int(t.y), Int(t.z)).error
        let e2 = collapse(Int(t.z), Int(t.x)).error
        errors[index] = SIMD4(e0, e1, e2, min(e0, e1, e2))
    }

    /// Where edge (v0, v1) collapses to and the quadric error there.
    func collapse(_ v0: Int, _ v1: Int) -> (point: SIMD3<Double>, error: Double) {
        let q = quadrics[v0] + quadrics[v1]
        let p0 = positions[v0]
        let p1 = positions[v1]
        if let p = q.minimiser() {
            let mid = (p0 + p1) / 2
            let d = p - mid
            let edge = p1 - p0
            if (d * d).sum() <= (edge * edge).sum() { return (p, q.error(p)) }
        }
        let mid = (p0 + p1) / 2
        let e0 = q.error(p0)
        let e1 = q.error(p1)
        let em = q.error(mid)
        if em <= e0 && em <= e1 { return (mid, em) }
        return e0 <= e1 ? (p0, e0) : (p1, e1)
    }

    /// Vertex → triangle references in compact rows, for live triangles only.
    mutating func rebuildReferences() {
        let n = positions.count
        refCount = Array(repeating: 0, count: n)
        for (index, t) in tris.enumerated() where !deleted[index] {
            refCount[Int(t.x)] += 1
            refCount[Int(t.y)] += 1
            refCount[Int(t.z)] += 1
        }
        refStart = Array(repeating: 0, count: n)
        var total: Int32 = 0
        for v in 0..<n {
            refStart[v] = total
            total += refCount[v]
        }
        refTri = Array(repeating: 0, count: Int(total))
        refCorner = Array(repeating: 0, count: Int(total))
        var fill = refStart
        for (index, t) in tris.enumerated() where !deleted[index] {
            for corner in 0..<3 {
                let v = Int(t[corner])
                refTri[Int(fill[v])] = Int32(index)
                refCorner[Int(fill[v])] = UInt8(corner)
                fill[v] += 1
            }
        }
    }

    /// Drops deleted triangles from the arrays (references must be rebuilt after).
    private mutating func compactTriangles() {
        var write = 0
        for read in tris.indices where !deleted[read] {
            tris[write] = tris[read]
            triNormals[write] = triNormals[read]
            errors[write] = errors[read]
            write += 1
        }
        tris.removeLast(tris.count - write)
        triNormals.removeLast(triNormals.count - write)
        errors.removeLast(errors.count - write)
        deleted = Array(repeating: false, count: write)
        dirty = Array(repeating: false, count: write)
    }

    mutating func run(targetTriangles: Int, maximumError: Double?) {
        let errorLimit = maximumError.map { $0 * $0 }
        for pass in 0..<100 {
            if alive <= targetTriangles { break }
            if pass % 5 == 0 {
                compactTriangles()
                rebuildReferences()
            }
            for index in dirty.indices { dirty[index] = false }
            var threshold = 1e-9 * pow7(Double(pass + 3))
            if let limit = errorLimit {
                if threshold > limit { threshold = limit }
            }
            var index = 0
            while index < tris.count && alive > targetTriangles {
                defer { index += 1 }
                if deleted[index] || dirty[index] || errors[index][3] > threshold { continue }
                for j in 0..<3 where errors[index][j] < threshold {
                    let t = tris[index]
                    let v0 = Int(t[j])
                    let v1 = Int(t[(j + 1) % 3])
                    if tryCollapse(v0, v1) { break }
                }
            }
            if let limit = errorLimit, threshold >= limit, pass > 0 {
                // One more pass at the limit has run; nothing else may collapse.
                break
            }
        }
    }

    private func pow7(_ x: Double) -> Double {
        let x2 = x * x
        return x2 * x2 * x2 * x
    }

    /// Collapses v1 into v0 if every check passes.
    private mutating func tryCollapse(_ v0: Int, _ v1: Int) -> Bool {
        if locked[v0] || locked[v1] { return false }
        let (point, _) = collapse(v0, v1)
        if flips(moving: v0, other: v1, to: point) || flips(moving: v1, other: v0, to: point) { return false }
        if !linkConditionHolds(v0, v1) { return false }
        positions[v0] = point
        quadrics[v0] = quadrics[v0] + quadrics[v1]
        let start = Int32(refTri.count)
        rewire(from: v0, to: v0, removing: v1)
        rewire(from: v1, to: v0, removing: v0)
        let count = Int32(refTri.count) - start
        if count <= refCount[v0] {
            // Reuse v0's old rows.
            for n in 0..<Int(count) {
                refTri[Int(refStart[v0]) + n] = refTri[Int(start) + n]
                refCorner[Int(refStart[v0]) + n] = refCorner[Int(start) + n]
            }
            refTri.removeLast(Int(count))
            refCorner.removeLast(Int(count))
        } else {
            refStart[v0] = start
        }
        refCount[v0] = count
        refCount[v1] = 0
        return true
    }

    /// Whether moving `moving` to `point` flips or degenerates one of its triangles that does not
    /// contain `other` (those disappear).
    private func flips(moving v: Int, other: Int, to point: SIMD3<Double>) -> Bool {
        let start = Int(refStart[v])
        for r in start..<(start + Int(refCount[v])) {
            let index = Int(refTri[r])
            if deleted[index] { continue }
            let t = tris[index]
            let corner = Int(refCorner[r])
            let a = Int(t[(corner + 1) % 3])
            let b = Int(t[(corner + 2) % 3])
            if a == other || b == other { continue }
            var d1 = positions[a] - point
            var d2 = positions[b] - point
            let l1 = (d1 * d1).sum().squareRoot()
            let l2 = (d2 * d2).sum().squareRoot()
            guard l1 > 0, l2 > 0 else { return true }
            d1 /= l1
            d2 /= l2
            if abs((d1 * d2).sum()) > 0.999 { return true }
            var n = crossProduct(d1, d2)
            n /= max((n * n).sum().squareRoot(), 1e-300)
            if (n * triNormals[index]).sum() < 0.2 { return true }
        }
        return false
    }

    /// Live neighbours of v (through its live triangles), unordered, each once.
    private func neighbours(of v: Int, into out: inout [Int32]) {
        out.removeAll(keepingCapacity: true)
        let start = Int(refStart[v])
        for r in start..<(start + Int(refCount[v])) {
            let index = Int(refTri[r])
            if deleted[index] { continue }
            let t = tris[index]
            let corner = Int(refCorner[r])
            for u in [t[(corner + 1) % 3], t[(corner + 2) % 3]] where !out.contains(u) { out.append(u) }
        }
    }

    private func liveValence(_ v: Int) -> Int {
        let start = Int(refStart[v])
        var count = 0
        for r in start..<(start + Int(refCount[v])) where !deleted[Int(refTri[r])] { count += 1 }
        return count
    }

    /// The link condition for an interior edge of a closed 2-manifold, plus valence ≥ 3 everywhere after.
    private func linkConditionHolds(_ v0: Int, _ v1: Int) -> Bool {
        var n0: [Int32] = []
        var n1: [Int32] = []
        neighbours(of: v0, into: &n0)
        neighbours(of: v1, into: &n1)
        var common = 0
        for u in n0 where n1.contains(u) {
            common += 1
            if liveValence(Int(u)) < 4 { return false }
        }
        guard common == 2 else { return false }
        return n0.count + n1.count - 4 >= 3
    }

    /// Re-points the live triangles of `from` at `to`: those that also hold `removing` are deleted, the
    /// rest get fresh normals and errors and a new reference row entry.
    private mutating func rewire(from v: Int, to target: Int, removing other: Int) {
        let start = Int(refStart[v])
        for r in start..<(start + Int(refCount[v])) {
            let index = Int(refTri[r])
            if deleted[index] { continue }
            let corner = Int(refCorner[r])
            var t = tris[index]
            if t.x == Int32(other) || t.y == Int32(other) || t.z == Int32(other) {
                if v == target {
                    deleted[index] = true
                    alive -= 1
                }
                continue
            }
            t[corner] = Int32(target)
            tris[index] = t
            let p0 = positions[Int(t.x)]
            var n = crossProduct(positions[Int(t.y)] - p0, positions[Int(t.z)] - p0)
            let length = (n * n).sum().squareRoot()
            if length > 0 { n /= length }
            triNormals[index] = n
            dirty[index] = true
            updateErrors(index)
            refTri.append(Int32(index))
            refCorner.append(UInt8(corner))
        }
    }

    /// The live mesh with unused vertices dropped.
    func compacted() -> TriangleMesh {
        var remap = [Int32](repeating: -1, count: positions.count)
        var outPositions: [SIMD3<Float>] = []
        var outTriangles: [SIMD3<UInt32>] = []
        outTriangles.reserveCapacity(alive)
        for (index, t) in tris.enumerated() where !deleted[index] {
            var mapped = SIMD3<UInt32>(0, 0, 0)
            for corner in 0..<3 {
                let v = Int(t[corner])
                if remap[v] < 0 {
                    remap[v] = Int32(outPositions.count)
                    outPositions.append(SIMD3<Float>(positions[v]))
                }
                mapped[corner] = UInt32(remap[v])
            }
            outTriangles.append(mapped)
        }
        return TriangleMesh(positions: outPositions, triangles: outTriangles)
    }
}
