// Slice-wise convex hull of a mask: the region treated as "inside the kidney" (parenchyma + renal sinus).
//
// Algorithm: on each axial slice (constant k), the extreme voxel centres of each row (first and last i)
// go into Andrew's monotone-chain convex hull; every voxel whose centre lies inside or on the hull polygon is
// set. Rows are scanned independently, slices in parallel.
// Conventions: slices are along the volume's k axis (axial for the usual axial CT); the hull is in index
// space, which equals the hull in mm on axis-aligned grids (a linear map preserves convexity).
// Limits: one hull per slice for the whole mask given: call it per kidney (per side), or two kidneys on one
// slice become one hull.
import ArrayCore
import LabelOps
import VolumeCore

/// The slice-wise (constant k) convex hull of the non-zero voxels of `mask`, as a 0/1 volume.
func sliceConvexHull(_ mask: Volume<UInt8>) -> Volume<UInt8> {
    let s = mask.size
    var out = zeroLabelMap(size: s, geometry: mask.geometry)
    out.voxels.elements.withUnsafeMutableBufferPointer { target in
        mask.voxels.elements.withUnsafeBufferPointer { source in
            let shared = UncheckedSendable((target, source))
            concurrentChunks(count: s.z) { range in
                let (t, src) = shared.value
                for k in range {
                    var points: [SIMD2<Int>] = []
                    for j in 0..<s.y {
                        let row = (k * s.y + j) * s.x
                        var first = -1
                        var last = -1
                        for i in 0..<s.x where src[row + i] != 0 {
                            if first < 0 { first = i }
                            last = i
                        }
                        if first >= 0 {
                            points.append(SIMD2(first, j))
                            if last != first { points.append(SIMD2(last, j)) }
                        }
                    }
                    guard !points.isEmpty else { continue }
                    let hull = convexHull(points)
                    fill(hull, slice: k, size: s, into: t)
                }
            }
        }
    }
    return out
}

/// Andrew's monotone chain; counter-clockwise, collinear points dropped. One or two points come back as is.
func convexHull(_ points: [SIMD2<Int>]) -> [SIMD2<Int>] {
    let sorted = points.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
    guard sorted.count > 2 else { return sorted }
    func cross(_ o: SIMD2<Int>, _ a: SIMD2<Int>, _ b: SIMD2<Int>) -> Int {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }
    var lower: [SIMD2<Int>] = []
    for p in sorted {
        while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
        lower.append(p)
    }
    var upper: [SIMD2<Int>] = []
    for p in sorted.reversed() {
        while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
        upper.append(p)
    }
    return Array(lower.dropLast() + upper.dropLast())
}

/// Sets every voxel of slice `k` whose centre is inside or on the convex polygon `hull`.
private func fill(
    _ hull: [SIMD2<Int>], slice k: Int, size s: SIMD3<Int>, into target: UnsafeMutableBufferPointer<UInt8>
) {
    let minY = hull.map(\.y).min() ?? 0
    let maxY = hull.map(\.y).max() ?? -1
    for j in minY...maxY {
        var low = Double.infinity
        var high = -Double.infinity
        for e in hull.indices {
            let a = hull[e]
            let b = hull[(e + 1) % hull.count]
            if a.y == b.y {
                if a.y == j {
                    low = min(low, Double(min(a.x, b.x)))
                    high = max(high, Double(max(a.x, b.x)))
                }
                continue
            }
            guard min(a.y, b.y) <= j && j <= max(a.y, b.y) else { continue }
            let t = Double(j - a.y) / Double(b.y - a.y)
            let x = Double(a.x) + t * Double(b.x - a.x)
            low = min(low, x)
            high = max(high, x)
        }
        guard low <= high else { continue }
        let first = max(0, Int((low - 1e-9).rounded(.up)))
        let last = min(s.x - 1, Int((high + 1e-9).rounded(.down)))
        guard first <= last else { continue }
        let row = (k * s.y + j) * s.x
        for i in first...last { target[row + i] = 1 }
    }
}
