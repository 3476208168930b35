/// The state of one decimation (algorithm, placement and checks: the header of QuadricDecimation.swift).
///
/// Triangles keep their slots (deleted ones are flagged); each vertex has a row of references to its
/// triangles (triangle, corner) in `refTri`/`refCorner`, rows re-appended at the end when they grow.
struct QuadricDecimator {
    var positions: [SIMD3<Double>]
    var quadrics: [Quadric]
    var locked: [Bool]
    /// Bumped whenever a vertex moves or dies; queued collapses remember the stamps they were costed with.
    var stamps: [UInt16]
    var tris: [SIMD3<Int32>]
    var triNormals: [SIMD3<Double>]
    var deleted: [Bool]
    var refStart: [Int32]
    var refCount: [Int32]
    var refTri: [Int32]
    var refCorner: [UInt8]
    var alive: Int
    var queue = CollapseQueue()
    var scratch0: [Int32] = []
    var scratch1: [Int32] = []

    init(_ mesh: TriangleMesh) {
        positions = mesh.positions.map { SIMD3<Double>($0) }
        tris = mesh.triangles.map { SIMD3<Int32>(truncatingIfNeeded: $0) }
        quadrics = Array(repeating: .zero, count: positions.count)
        locked = Array(repeating: false, count: positions.count)
        stamps = Array(repeating: 0, count: positions.count)
        triNormals = Array(repeating: .zero, count: tris.count)
        deleted = Array(repeating: false, count: tris.count)
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
            let q = Quadric(plane: n, -(n * p0).sum(), area: length / 2)
            quadrics[Int(t.x)] = quadrics[Int(t.x)] + q
            quadrics[Int(t.y)] = quadrics[Int(t.y)] + q
            quadrics[Int(t.z)] = quadrics[Int(t.z)] + q
        }
        lockBoundaryVertices()
        rebuildReferences()
    }

    private mutating func lockBoundaryVertices() {
        var keys: [UInt64] = []
        keys.reserveCapacity(tris.count * 3)
        for t in tris {
            keys.append(Self.edgeKey(t.x, t.y))
            keys.append(Self.edgeKey(t.y, t.z))
            keys.append(Self.edgeKey(t.z, t.x))
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

    private static func edgeKey(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(min(a, b))) << 32 | UInt64(UInt32(max(a, b)))
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

    // MARK: Greedy collapses

    mutating func run(targetTriangles: Int, maximumError: Double?) {
        for t in tris {
            for j in 0..<3 {
                let a = Int(t[j])
                let b = Int(t[(j + 1) % 3])
                // Each edge of a closed, consistently wound mesh appears once as a < b.
                if a < b && !locked[a] && !locked[b] { queue.push(entry(a, b)) }
            }
        }
        var rebuildAt = 2 * refTri.count
        while alive > targetTriangles, let e = queue.pop() {
            let v0 = Int(e.v0)
            let v1 = Int(e.v1)
            if stamps[v0] != e.stamp0 || stamps[v1] != e.stamp1 { continue }
            if let limit = maximumError, Double(e.cost) > limit * limit * (quadrics[v0].area + quadrics[v1].area) {
                continue
            }
            guard tryCollapse(v0, v1) else { continue }
            if refTri.count > rebuildAt {
                rebuildReferences()
                rebuildAt = 2 * refTri.count
            }
            neighbours(of: v0, into: &scratch0)
            for u in scratch0 where !locked[Int(u)] { queue.push(entry(v0, Int(u))) }
        }
    }

    /// A queue entry for edge (v0, v1), costed by subset placement (the better end point).
    private func entry(_ v0: Int, _ v1: Int) -> CollapseQueue.Entry {
        let q = quadrics[v0] + quadrics[v1]
        let cost = min(q.error(positions[v0]), q.error(positions[v1]))
        return .init(cost: Float(cost), v0: Int32(v0), v1: Int32(v1), stamp0: stamps[v0], stamp1: stamps[v1])
    }

    /// Where edge (v0, v1) collapses to: each end point moved along the ring's volume gradient until the
    /// enclosed volume is unchanged (not further than the edge is long), the one with less quadric error.
    func placement(_ v0: Int, _ v1: Int) -> SIMD3<Double> {
        let q = quadrics[v0] + quadrics[v1]
        let p0 = positions[v0]
        let p1 = positions[v1]
        let (g, k) = volumeGradient(v0, v1)
        let gg = (g * g).sum()
        let edge = p1 - p0
        let limit = (edge * edge).sum()
        func volumeKeeping(_ p: SIMD3<Double>) -> SIMD3<Double> {
            guard gg > 0 else { return p }
            let t = (k - (g * p).sum()) / gg
            return t * t * gg <= limit ? p + t * g : p
        }
        let x0 = volumeKeeping(p0)
        let x1 = volumeKeeping(p1)
        return q.error(x0) <= q.error(x1) ? x0 : x1
    }

    /// (g, k) such that moving v0 and v1 together to x changes the enclosed volume by (g·x − k)/6.
    private func volumeGradient(_ v0: Int, _ v1: Int) -> (g: SIMD3<Double>, k: Double) {
        var g = SIMD3<Double>.zero
        var k = 0.0
        accumulateVolume(around: v0, other: v1, countShared: true, &g, &k)
        accumulateVolume(around: v1, other: v0, countShared: false, &g, &k)
        return (g, k)
    }

    /// Adds the triangles of v that survive the collapse to g (a × b) and k (v·(a × b)); the triangles
    /// shared with `other` vanish, their current volume term goes to k once (`countShared`).
    private func accumulateVolume(
        around v: Int, other: Int, countShared: Bool, _ g: inout SIMD3<Double>, _ k: inout Double
    ) {
        let start = Int(refStart[v])
        let pv = positions[v]
        for r in start..<(start + Int(refCount[v])) {
            let index = Int(refTri[r])
            if deleted[index] { continue }
            let t = tris[index]
            let corner = Int(refCorner[r])
            let a = Int(t[(corner + 1) % 3])
            let b = Int(t[(corner + 2) % 3])
            let n = crossProduct(positions[a], positions[b])
            if a == other || b == other {
                if countShared { k += (pv * n).sum() }
                continue
            }
            g += n
            k += (pv * n).sum()
        }
    }

    /// Collapses v1 into v0 if every check passes.
    private mutating func tryCollapse(_ v0: Int, _ v1: Int) -> Bool {
        if locked[v0] || locked[v1] { return false }
        let point = placement(v0, v1)
        if flips(moving: v0, other: v1, to: point) || flips(moving: v1, other: v0, to: point) { return false }
        if !linkConditionHolds(v0, v1) { return false }
        positions[v0] = point
        quadrics[v0] = quadrics[v0] + quadrics[v1]
        stamps[v0] &+= 1
        stamps[v1] &+= 1
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
            let a = t[(corner + 1) % 3]
            let b = t[(corner + 2) % 3]
            if !out.contains(a) { out.append(a) }
            if !out.contains(b) { out.append(b) }
        }
    }

    private func liveValence(_ v: Int) -> Int {
        let start = Int(refStart[v])
        var count = 0
        for r in start..<(start + Int(refCount[v])) where !deleted[Int(refTri[r])] { count += 1 }
        return count
    }

    /// The link condition for an interior edge of a closed 2-manifold, plus valence ≥ 3 everywhere after.
    private mutating func linkConditionHolds(_ v0: Int, _ v1: Int) -> Bool {
        neighbours(of: v0, into: &scratch0)
        neighbours(of: v1, into: &scratch1)
        var common = 0
        for u in scratch0 where scratch1.contains(u) {
            common += 1
            if liveValence(Int(u)) < 4 { return false }
        }
        guard common == 2 else { return false }
        return scratch0.count + scratch1.count - 4 >= 3
    }

    /// Re-points the live triangles of `from` at `to`: those that also hold `removing` are deleted, the
    /// rest get fresh normals and a new reference row entry.
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
