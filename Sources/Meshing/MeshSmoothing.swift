// Mesh smoothing: windowed-sinc low-pass filtering (default), Taubin λ|μ and plain Laplacian for comparison.
//
// Algorithm: Taubin, Zhang & Golub, "Optimal surface smoothing as filter design" (IBM RC-20404, 1996), as
// VTK's vtkWindowedSincPolyDataFilter implements it: the umbrella operator K = I − W (W = mean of the
// edge neighbours) is filtered by a Chebyshev expansion of a windowed sinc, f(k) = Σ w_i c_i T_i(1 − k/2),
// with a Nuttall window (VTK's default since 9.3; it removed the Hamming window's ~1 % scale error) and
// an offset σ found by Newton iteration so that f(k_pb) = 1 at the pass band k_pb. Slicer's single
// "smoothing factor" f maps to pass band 10^(−4 f) and 20 + 40 f iterations (Slicer ≥ 2024, PR #7643).
// Conventions: coordinates are centred and divided by the bounding-box diagonal while filtering (VTK's
// NormalizeCoordinates; the filter is linear, so this only helps Float precision). Every vertex is
// smoothed, including non-manifold ones (VTK's NonManifoldSmoothing on); a closed mesh has no boundary.
// Limits: uniform (umbrella) weights, no feature-edge preservation.

import ArrayCore
import Foundation

/// How to smooth a mesh.
public struct SmoothingOptions: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Equatable, Codable, CaseIterable {
        /// No smoothing.
        case none
        /// Windowed-sinc low pass (VTK vtkWindowedSincPolyDataFilter, Nuttall window).
        case windowedSinc
        /// Taubin λ|μ: alternating shrink (λ) and inflate (μ) Laplacian steps.
        case taubin
        /// Plain Laplacian relaxation by λ (shrinks; for comparison only).
        case laplacian
    }

    public var method: Method
    /// Filter iterations (windowed sinc: Chebyshev order; Taubin: λ|μ pairs; Laplacian: steps).
    public var iterations: Int
    /// Windowed-sinc pass band k_pb in (0, 2); smaller is smoother.
    public var passBand: Double
    /// Taubin/Laplacian step λ, and Taubin's inflating step μ (negative, |μ| > λ).
    public var lambda: Double
    public var mu: Double

    public init(
        method: Method = .windowedSinc, iterations: Int = 20, passBand: Double = 0.01, lambda: Double = 0.5,
        mu: Double = -0.53
    ) {
        self.method = method
        self.iterations = iterations
        self.passBand = passBand
        self.lambda = lambda
        self.mu = mu
    }

    /// No smoothing.
    public static let none = SmoothingOptions(method: .none, iterations: 0)

    /// Slicer's mapping of one smoothing factor in [0, 1] (0 = none): windowed sinc with pass band
    /// 10^(−4·factor) and 20 + 40·factor iterations (`vtkBinaryLabelmapToClosedSurfaceConversionRule`).
    /// `iterationsOverride` replaces the iteration count (tubes keep 20 so they do not shrink).
    public static func slicer(factor: Double, iterationsOverride: Int? = nil) throws(MeshingError) -> SmoothingOptions {
        guard factor >= 0, factor <= 1 else {
            throw MeshingError(.invalidOption, "smoothing factor \(factor) is outside 0...1")
        }
        if factor == 0 { return .none }
        let iterations = iterationsOverride ?? Int((20 + 40 * factor).rounded(.down))
        return SmoothingOptions(method: .windowedSinc, iterations: iterations, passBand: pow(10, -4 * factor))
    }

    /// Checks ranges. - Throws: `MeshingError.invalidOption` naming the field.
    public func validate() throws(MeshingError) {
        guard method == .none || (iterations >= 1 && iterations <= 1000) else {
            throw MeshingError(.invalidOption, "smoothing iterations \(iterations) is outside 1...1000")
        }
        if method == .windowedSinc && !(passBand > 0 && passBand < 2) {
            throw MeshingError(.invalidOption, "smoothing pass band \(passBand) is outside (0, 2)")
        }
    }
}

extension TriangleMesh {
    /// The mesh with vertices moved by `options` (topology unchanged).
    public func smoothed(_ options: SmoothingOptions) throws(MeshingError) -> TriangleMesh {
        try options.validate()
        guard options.method != .none, !triangles.isEmpty else { return self }
        let neighbours = VertexNeighbours(self)
        var copy = self
        copy.positions = MeshSmoother(neighbours: neighbours, options: options).run(positions)
        if !normals.isEmpty { copy.normals = copy.vertexNormals() }
        return copy
    }
}

/// The smoothing iterations over a fixed neighbour structure.
struct MeshSmoother {
    let neighbours: VertexNeighbours
    let options: SmoothingOptions

    func run(_ input: [SIMD3<Float>]) -> [SIMD3<Float>] {
        // Normalise: centre on the bounding box and divide by its diagonal.
        var low = SIMD3<Float>(repeating: .infinity)
        var high = SIMD3<Float>(repeating: -.infinity)
        for p in input {
            low = pointwiseMin(low, p)
            high = pointwiseMax(high, p)
        }
        let centre = (low + high) / 2
        let diagonal = ((high - low) * (high - low)).sum().squareRoot()
        let scale: Float = diagonal > 0 ? diagonal : 1
        let x0 = input.map { ($0 - centre) / scale }
        let output: [SIMD3<Float>]
        switch options.method {
        case .windowedSinc: output = windowedSinc(x0)
        case .taubin: output = taubin(x0)
        case .laplacian: output = laplacian(x0)
        case .none: output = x0
        }
        return output.map { $0 * scale + centre }
    }

    /// Mean of the neighbours of v minus v (the negative umbrella Laplacian).
    @inline(__always)
    private static func umbrella(
        _ x: UnsafeBufferPointer<SIMD3<Float>>, _ v: Int, _ start: UnsafeBufferPointer<Int32>,
        _ indices: UnsafeBufferPointer<UInt32>
    ) -> SIMD3<Float> {
        let s = Int(start[v])
        let e = Int(start[v + 1])
        guard e > s else { return .zero }
        var sum = SIMD3<Float>(repeating: 0)
        for n in s..<e { sum += x[Int(indices[n])] }
        return sum / Float(e - s) - x[v]
    }

    /// Applies `step(v, umbrella(x, v), x)` to every vertex, in parallel chunks, writing `out`.
    private func sweep(
        _ x: [SIMD3<Float>], into out: inout [SIMD3<Float>],
        _ step: (Int, SIMD3<Float>, SIMD3<Float>) -> SIMD3<Float>
    ) {
        let count = x.count
        x.withUnsafeBufferPointer { xs in
            neighbours.start.withUnsafeBufferPointer { start in
                neighbours.indices.withUnsafeBufferPointer { indices in
                    out.withUnsafeMutableBufferPointer { o in
                        let target = UncheckedSendable(o)
                        concurrentChunks(count: count, minimumChunk: 8192) { range in
                            for v in range {
                                target.value[v] = step(v, xs[v], Self.umbrella(xs, v, start, indices))
                            }
                        }
                    }
                }
            }
        }
    }

    private func windowedSinc(_ x0: [SIMD3<Float>]) -> [SIMD3<Float>] {
        let c = Self.coefficients(iterations: options.iterations, passBand: options.passBand)
        var previous = x0
        var current = x0
        var next = x0
        var result = x0
        // x1 = x0 − ½ K x0 = x0 + ½ umbrella; result = c0 x0 + c1 x1.
        sweep(previous, into: &current) { _, x, u in x + 0.5 * u }
        let c0 = Float(c[0])
        let c1 = Float(c[1])
        for v in 0..<x0.count { result[v] = c0 * x0[v] + c1 * current[v] }
        if options.iterations >= 2 {
            for i in 2...options.iterations {
                // x_{i} = 2 (x_{i−1} − ½ K x_{i−1}) − x_{i−2} = 2 x_{i−1} + umbrella(x_{i−1}) − x_{i−2}.
                let ci = Float(c[i])
                previous.withUnsafeBufferPointer { prev in
                    let p = UncheckedSendable(prev)
                    sweep(current, into: &next) { v, x, u in x + x + u - p.value[v] }
                }
                for v in 0..<x0.count { result[v] += ci * next[v] }
                swap(&previous, &current)
                swap(&current, &next)
            }
        }
        return result
    }

    private func taubin(_ x0: [SIMD3<Float>]) -> [SIMD3<Float>] {
        var x = x0
        var y = x0
        let lambda = Float(options.lambda)
        let mu = Float(options.mu)
        for _ in 0..<options.iterations {
            sweep(x, into: &y) { _, p, u in p + lambda * u }
            sweep(y, into: &x) { _, p, u in p + mu * u }
        }
        return x
    }

    private func laplacian(_ x0: [SIMD3<Float>]) -> [SIMD3<Float>] {
        var x = x0
        var y = x0
        let lambda = Float(options.lambda)
        for _ in 0..<options.iterations {
            sweep(x, into: &y) { _, p, u in p + lambda * u }
            swap(&x, &y)
        }
        return x
    }

    /// Chebyshev coefficients c_0…c_N of the windowed-sinc filter (Nuttall window), with the pass-band
    /// offset σ found by Newton iteration so that f(k_pb) = 1 (VTK's CoefficientsWorker).
    static func coefficients(iterations n: Int, passBand kpb: Double) -> [Double] {
        let thetaPB = acos(1 - 0.5 * kpb)
        let pi = Double.pi
        var w = [Double](repeating: 0, count: n + 1)
        for i in 0...n {
            let a = Double(i) * pi / Double(n + 1)
            w[i] = 0.355768 + 0.487396 * cos(a) + 0.144232 * cos(2 * a) + 0.012604 * cos(3 * a)
        }
        var c = [Double](repeating: 0, count: n + 1)
        var cprime = [Double](repeating: 0, count: n + 1)
        var sigma = 0.0
        for _ in 0..<500 {
            c[0] = w[0] * (thetaPB + sigma) / pi
            if n >= 1 {
                for i in 1...n { c[i] = 2 * w[i] * sin(Double(i) * (thetaPB + sigma)) / (Double(i) * pi) }
            }
            guard n > 1 else { break }
            cprime[n] = 0
            cprime[n - 1] = 0
            cprime[n - 2] = 2 * Double(n - 1) * c[n - 1]
            if n >= 3 {
                for i in stride(from: n - 3, through: 0, by: -1) {
                    cprime[i] = cprime[i + 2] + 2 * Double(i + 1) * c[i + 1]
                }
            }
            var f = c[0]
            var fprime = cprime[0]
            for i in 1...n {
                let t = cos(Double(i) * thetaPB)
                f += c[i] * t
                fprime += cprime[i] * t
            }
            if abs(f - 1) < 1e-3 { break }
            sigma -= (f - 1) / fprime
        }
        return c
    }
}
