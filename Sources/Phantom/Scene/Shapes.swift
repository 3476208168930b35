// Signed-distance-style primitives for the phantom, in world millimetres (LPS).
//
// Every primitive answers two questions cheaply: does a world point lie inside (and how deep), and which x
// interval does it cover on a row of constant (y, z)? Ellipsoids and z-aligned elliptic prisms answer the row
// question exactly (a quadratic in x), so the rasteriser fills them without per-voxel tests; tubes along
// polylines give a conservative interval from their per-segment bounding boxes and are tested per voxel.
// Depths are approximate distances (exact for spheres and capsules), good to a fraction of a millimetre
// for the shell thicknesses used here (bone cortex, bowel wall, renal cortex).

import Foundation

/// An axis-aligned box in world mm.
struct Box {
    var lower: SIMD3<Double>
    var upper: SIMD3<Double>

    func contains(y: Double, z: Double) -> Bool {
        y >= lower.y && y <= upper.y && z >= lower.z && z <= upper.z
    }

    func intersects(_ other: Box) -> Bool {
        all(lower .<= other.upper) && all(other.lower .<= upper)
    }

    func union(_ other: Box) -> Box {
        Box(lower: pointwiseMin(lower, other.lower), upper: pointwiseMax(upper, other.upper))
    }
}

/// An orthonormal frame: `u`, `v`, `w` are unit world vectors; local coordinates are projections on them.
struct Frame {
    var u: SIMD3<Double>
    var v: SIMD3<Double>
    var w: SIMD3<Double>

    static let axes = Frame(u: SIMD3(1, 0, 0), v: SIMD3(0, 1, 0), w: SIMD3(0, 0, 1))

    /// A frame with `u` along `primary` and `v` as close to `secondary` as orthogonality allows.
    init(primary: SIMD3<Double>, secondary: SIMD3<Double>) {
        let u = normalized(primary)
        let v = normalized(secondary - (secondary * u).sum() * u)
        self.init(u: u, v: v, w: cross(u, v))
    }

    init(u: SIMD3<Double>, v: SIMD3<Double>, w: SIMD3<Double>) {
        self.u = u
        self.v = v
        self.w = w
    }

    @inline(__always) func local(_ d: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3((d * u).sum(), (d * v).sum(), (d * w).sum())
    }

    func world(_ l: SIMD3<Double>) -> SIMD3<Double> { l.x * u + l.y * v + l.z * w }
}

/// A solid ellipsoid with semi-axes `semi` along its frame's u, v, w.
struct Ellipsoid {
    var centre: SIMD3<Double>
    var frame: Frame
    var semi: SIMD3<Double>

    init(centre: SIMD3<Double>, semi: SIMD3<Double>, frame: Frame = .axes) {
        self.centre = centre
        self.semi = semi
        self.frame = frame
    }

    /// Local coordinates divided by the semi-axes: inside when its squared length is ≤ 1.
    @inline(__always) func normalized(_ p: SIMD3<Double>) -> SIMD3<Double> {
        frame.local(p - centre) / semi
    }

    @inline(__always) func contains(_ p: SIMD3<Double>) -> Bool {
        let n = normalized(p)
        return (n * n).sum() <= 1
    }

    /// Points on the surface: 12 latitudes × 24 longitudes in the ellipsoid's own frame, plus the two poles.
    func surfaceSamples() -> [SIMD3<Double>] {
        var points = [centre + semi.x * frame.u, centre - semi.x * frame.u]
        for i in 1..<12 {
            let polar = Double(i) * .pi / 12
            for j in 0..<24 {
                let azimuth = Double(j) * .pi / 12
                let l = semi * SIMD3(cos(polar), sin(polar) * cos(azimuth), sin(polar) * sin(azimuth))
                points.append(centre + frame.world(l))
            }
        }
        return points
    }

    /// Approximate distance inside the surface in mm (negative outside): `k0 (1 − k0) / k1` with
    /// `k0 = |p/semi|`, `k1 = |p/semi²|` (Quílez's ellipsoid bound).
    func depth(_ p: SIMD3<Double>) -> Double {
        let l = frame.local(p - centre)
        let k0 = ((l / semi) * (l / semi)).sum().squareRoot()
        let k1 = ((l / (semi * semi)) * (l / (semi * semi))).sum().squareRoot()
        guard k1 > 0 else { return semi.min() }
        return k0 * (1 - k0) / k1
    }

    /// The x interval (world mm) where the row at (y, z) lies inside, or nil.
    func rowInterval(y: Double, z: Double) -> (Double, Double)? {
        // Local(x) = L0 + x·Lx; inside when Σ((L0 + x·Lx)/semi)² ≤ 1, a quadratic in x.
        let l0 = frame.local(SIMD3(0, y, z) - centre) / semi
        let lx = SIMD3(frame.u.x, frame.v.x, frame.w.x) / semi
        let a = (lx * lx).sum()
        let b = 2 * (l0 * lx).sum()
        let c = (l0 * l0).sum() - 1
        let discriminant = b * b - 4 * a * c
        guard a > 0, discriminant >= 0 else { return nil }
        let root = discriminant.squareRoot()
        return ((-b - root) / (2 * a), (-b + root) / (2 * a))
    }

    var box: Box {
        let half = SIMD3<Double>(
            halfExtent(frame.u.x, frame.v.x, frame.w.x), halfExtent(frame.u.y, frame.v.y, frame.w.y),
            halfExtent(frame.u.z, frame.v.z, frame.w.z))
        return Box(lower: centre - half, upper: centre + half)
    }

    private func halfExtent(_ a: Double, _ b: Double, _ c: Double) -> Double {
        let s = semi * SIMD3(a, b, c)
        return (s * s).sum().squareRoot()
    }

    /// The same ellipsoid with every semi-axis grown by `margin` mm.
    func grown(by margin: Double) -> Ellipsoid {
        Ellipsoid(centre: centre, semi: semi + margin, frame: frame)
    }
}

/// A z-aligned elliptic cylinder between two z planes (vertebral bodies, discs, the spinal canal).
struct Prism {
    var centre: SIMD2<Double>
    var semi: SIMD2<Double>
    var zRange: ClosedRange<Double>

    /// Approximate distance inside the surface in mm, including the end caps.
    func depth(_ p: SIMD3<Double>) -> Double {
        let n = (SIMD2(p.x, p.y) - centre) / semi
        let radial = (1 - (n * n).sum().squareRoot()) * semi.min()
        return min(radial, p.z - zRange.lowerBound, zRange.upperBound - p.z)
    }

    func rowInterval(y: Double, z: Double) -> (Double, Double)? {
        guard zRange.contains(z) else { return nil }
        let t = (y - centre.y) / semi.y
        guard t * t <= 1 else { return nil }
        let half = semi.x * (1 - t * t).squareRoot()
        return (centre.x - half, centre.x + half)
    }

    var box: Box {
        Box(
            lower: SIMD3(centre.x - semi.x, centre.y - semi.y, zRange.lowerBound),
            upper: SIMD3(centre.x + semi.x, centre.y + semi.y, zRange.upperBound))
    }
}

/// A tube along a polyline, its radius interpolated linearly along each segment (a chain of tapered capsules).
struct Tube {
    struct Segment {
        var start: SIMD3<Double>
        var direction: SIMD3<Double>
        var inverseLengthSquared: Double
        var startRadius: Double
        var endRadius: Double
        var box: Box
    }

    var segments: [Segment]
    var box: Box

    /// A tube through `points` with `radii[n]` mm at `points[n]` (at least two points, as many radii).
    init(points: [SIMD3<Double>], radii: [Double]) {
        precondition(points.count >= 2 && radii.count == points.count, "a tube needs ≥ 2 points and one radius each")
        var segments: [Segment] = []
        for n in 0..<(points.count - 1) {
            let a = points[n]
            let b = points[n + 1]
            let r = max(radii[n], radii[n + 1])
            let d = b - a
            let lengthSquared = max((d * d).sum(), 1e-12)
            segments.append(
                Segment(
                    start: a, direction: d, inverseLengthSquared: 1 / lengthSquared, startRadius: radii[n],
                    endRadius: radii[n + 1],
                    box: Box(lower: pointwiseMin(a, b) - r, upper: pointwiseMax(a, b) + r)))
        }
        self.segments = segments
        self.box = segments.dropFirst().reduce(segments[0].box) { $0.union($1.box) }
    }

    /// Depth inside the tube in mm (negative outside) over the segments listed in `active`, and the point on the
    /// axis of the segment that gave it.
    @inline(__always)
    func depth(_ p: SIMD3<Double>, active: ArraySlice<Int>) -> (depth: Double, axis: SIMD3<Double>) {
        var best = -Double.infinity
        var axis = p
        for index in active {
            let s = segments[index]
            guard p.x >= s.box.lower.x && p.x <= s.box.upper.x else { continue }
            let t = min(max(((p - s.start) * s.direction).sum() * s.inverseLengthSquared, 0), 1)
            let closest = s.start + t * s.direction
            let offset = p - closest
            let d = s.startRadius + t * (s.endRadius - s.startRadius) - (offset * offset).sum().squareRoot()
            if d > best {
                best = d
                axis = closest
            }
        }
        return (best, axis)
    }

    /// Appends to `active` the segments whose boxes meet the row (y, z) and returns their union x interval.
    func activeSegments(y: Double, z: Double, into active: inout [Int]) -> (Double, Double)? {
        var low = Double.infinity
        var high = -Double.infinity
        for (index, s) in segments.enumerated() where s.box.contains(y: y, z: z) {
            active.append(index)
            low = min(low, s.box.lower.x)
            high = max(high, s.box.upper.x)
        }
        return low <= high ? (low, high) : nil
    }
}

@inline(__always) func normalized(_ v: SIMD3<Double>) -> SIMD3<Double> {
    let length = (v * v).sum().squareRoot()
    return length > 0 ? v / length : v
}

@inline(__always) func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
