// One-axis resampling kernel: every line of an array along one axis is resampled from `n` to `m` samples.
//
// Algorithm. A 3-D tensor-product spline resampling (scipy `ndimage.zoom`) is the composition of three 1-D
// operators, one per axis (pad → prefilter → evaluate commute across axes), so it is computed one axis at a
// time. Along an axis, output sample `o` reads the input at the pixel-centre aligned coordinate
// `x = (o + 0.5)·(n/m) − 0.5` (`zoom(..., grid_mode=True)`).
//   - linear: taps `floor(x)`, `floor(x)+1` clamped to [0, n−1], weights `w0 = 1 − (x − floor x)`,
//     `w1 = 1 − w0` from the *unclamped* x (scipy 1.17 `mode='nearest'`; checked bit-exact in 1-D).
//   - cubic B-spline: the line is padded by 12 samples of edge replication (scipy `_prepad_for_spline_filter`),
//     converted to B-spline coefficients (Unser, Aldroubi & Eden, "Fast B-spline transforms for continuous
//     image representation and interpolation", IEEE PAMI 13(3), 1991; pole z = √3 − 2, gain (1−z)(1−1/z),
//     causal/anticausal recursions with scipy's `_init_causal_reflect`/`_init_anticausal_reflect`), then
//     evaluated with 4 taps from `floor(x + 12) − 1` and scipy's weight formulas
//     (`get_spline_interpolation_weights`, last weight = 1 − the others).
// Sums are accumulated tap by tap in scipy's order, all in Double. The result differs from scipy's joint 3-D
// evaluation only by rounding (≈1e-16 relative), which disappears when rounding to Float.
//
// Layout. The array is viewed as `[outer][n][inner]` (row-major, `inner` = product of the faster axes). Work
// is done on panels of up to `laneCount` neighbouring lines stored `[sample][lane]`, so that the recursive
// prefilter vectorises across lanes and strided axes are read row by row; panels run concurrently.

import ArrayCore
import Foundation

/// Per-output-sample taps (first input index and weights) for one axis, precomputed once.
struct AxisTaps: Sendable {
    /// Input samples per line (before padding).
    let inputLength: Int
    /// Output samples per line.
    let outputLength: Int
    /// Edge-replicated samples added before and after each line (12 for cubic, else 0).
    let padding: Int
    /// Taps per output sample: 1 (nearest), 2 (linear) or 4 (cubic).
    let tapCount: Int
    /// Whether lines are converted to B-spline coefficients before evaluation.
    let prefilter: Bool
    /// Index in the padded line of each tap, `outputLength × tapCount`, already clamped to the padded line.
    let indices: [Int]
    /// Weight of each tap, `outputLength × tapCount`.
    let weights: [Double]

    /// scipy's cubic B-spline pole, √3 − 2 (`get_filter_poles`, order 3).
    static let pole = -0.267949192431122706472553658494127633

    init(inputLength n: Int, outputLength m: Int, interpolation: Interpolation) {
        inputLength = n
        outputLength = m
        let zoom = Double(n) / Double(m)
        switch interpolation {
        case .nearest:
            padding = 0
            tapCount = 1
            prefilter = false
            indices = (0..<m).map { o in
                let x = (Double(o) + 0.5) * zoom - 0.5
                return Self.clamp((x + 0.5).rounded(.down), upper: n - 1)
            }
            weights = Array(repeating: 1, count: m)
        case .linear:
            padding = 0
            tapCount = 2
            prefilter = false
            var indices = [Int](), weights = [Double]()
            for o in 0..<m {
                let x = (Double(o) + 0.5) * zoom - 0.5
                let floorX = x.rounded(.down)
                let w0 = 1.0 - (x - floorX)
                indices += [Self.clamp(floorX, upper: n - 1), Self.clamp(floorX + 1, upper: n - 1)]
                weights += [w0, 1.0 - w0]
            }
            self.indices = indices
            self.weights = weights
        case .cubicBSpline:
            padding = 12
            tapCount = 4
            prefilter = true
            let last = n + 2 * padding - 1
            var indices = [Int](), weights = [Double]()
            for o in 0..<m {
                var x = Double(o) + 0.5
                x *= zoom
                x -= 0.5
                x += Double(padding)
                let floorX = x.rounded(.down)
                let y = x - floorX
                let z = 1.0 - y
                let w1 = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0
                let w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
                let w0 = z * z * z / 6.0
                var w3 = 1.0
                w3 -= w0
                w3 -= w1
                w3 -= w2
                for tap in 0..<4 { indices.append(Self.clamp(floorX - 1 + Double(tap), upper: last)) }
                weights += [w0, w1, w2, w3]
            }
            self.indices = indices
            self.weights = weights
        }
    }

    private init(
        inputLength: Int, outputLength: Int, padding: Int, tapCount: Int, prefilter: Bool, indices: [Int],
        weights: [Double]
    ) {
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.padding = padding
        self.tapCount = tapCount
        self.prefilter = prefilter
        self.indices = indices
        self.weights = weights
    }

    /// These taps for the outputs in `outputs` only, with indices counted from the first input sample they
    /// read, and that range of input samples (zero-weight taps included, so the sums are term for term the
    /// same). Unpadded taps only (nearest, linear): a spline's prefilter reads whole lines.
    func restricted(to outputs: Range<Int>) -> (taps: AxisTaps, inputs: Range<Int>) {
        if outputs == 0..<outputLength { return (self, 0..<inputLength) }
        let slots = (outputs.lowerBound * tapCount)..<(outputs.upperBound * tapCount)
        let used = indices[slots]
        let first = used.min() ?? 0, last = used.max() ?? 0
        let taps = AxisTaps(
            inputLength: last + 1 - first, outputLength: outputs.count, padding: 0, tapCount: tapCount,
            prefilter: false, indices: used.map { $0 - first }, weights: Array(weights[slots]))
        return (taps, first..<(last + 1))
    }

    private static func clamp(_ value: Double, upper: Int) -> Int {
        value <= 0 ? 0 : (value >= Double(upper) ? upper : Int(value))
    }

    /// Padded line length.
    var paddedLength: Int { inputLength + 2 * padding }
}

/// Output element types of a resampling pass.
protocol ResampledElement: Sendable {
    init(resampled value: Double)
}

extension Double: ResampledElement {
    init(resampled value: Double) { self = value }
}

extension Float: ResampledElement {
    init(resampled value: Double) { self = Float(value) }
}

/// Resamples every line of a `[outer][n][inner]` array along its middle axis into a `[outer][m][inner]` array.
enum AxisResampler {
    /// Lines processed together in one panel.
    static let laneCount = 32

    /// - Parameters:
    ///   - clip: when set, every output value is clipped to this range before conversion.
    static func run<Source: Scalar, Target: ResampledElement>(
        source: UnsafeBufferPointer<Source>, outer: Int, inner: Int, taps: AxisTaps,
        target: UnsafeMutableBufferPointer<Target>, clip: ClosedRange<Double>?
    ) {
        let lanes = laneCount
        let n = taps.inputLength
        let m = taps.outputLength
        let tilesPerOuter = inner == 1 ? 1 : (inner + lanes - 1) / lanes
        let units = inner == 1 ? (outer + lanes - 1) / lanes : outer * tilesPerOuter
        let sharedSource = UncheckedSendable(source)
        let sharedTarget = UncheckedSendable(target)
        // Each unit costs about (n + m) · lanes operations; aim for chunks of ≥ ~64k operations.
        let minimumChunk = max(1, 65_536 / max(1, (n + m) * lanes))
        concurrentChunks(count: units, minimumChunk: minimumChunk) { range in
            let panel = UnsafeMutablePointer<Double>.allocate(capacity: taps.paddedLength * lanes)
            let output = UnsafeMutablePointer<Double>.allocate(capacity: m * lanes)
            defer {
                panel.deallocate()
                output.deallocate()
            }
            let src = sharedSource.value
            let dst = sharedTarget.value
            for unit in range {
                if inner == 1 {
                    // Lines are contiguous: lane l is line `first + l`, transposed into the panel.
                    let first = unit * lanes
                    let count = min(lanes, outer - first)
                    for l in 0..<count {
                        let line = src.baseAddress! + (first + l) * n
                        for r in 0..<n { panel[(r + taps.padding) * lanes + l] = line[r].doubleValue }
                    }
                    process(panel: panel, output: output, count: count, taps: taps)
                    for l in 0..<count {
                        let line = dst.baseAddress! + (first + l) * m
                        for o in 0..<m { line[o] = store(output[o * lanes + l], clip) }
                    }
                } else {
                    // Lines are the columns of a `[n][inner]` block: lane l is column `column + l`.
                    let block = unit / tilesPerOuter
                    let column = (unit % tilesPerOuter) * lanes
                    let count = min(lanes, inner - column)
                    for r in 0..<n {
                        let row = src.baseAddress! + (block * n + r) * inner + column
                        let into = panel + (r + taps.padding) * lanes
                        for l in 0..<count { into[l] = row[l].doubleValue }
                    }
                    process(panel: panel, output: output, count: count, taps: taps)
                    for o in 0..<m {
                        let row = dst.baseAddress! + (block * m + o) * inner + column
                        let from = output + o * lanes
                        for l in 0..<count { row[l] = store(from[l], clip) }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func store<Target: ResampledElement>(_ value: Double, _ clip: ClosedRange<Double>?) -> Target {
        guard let clip else { return Target(resampled: value) }
        // np.clip semantics: NaN stays NaN.
        return Target(resampled: Swift.min(Swift.max(value, clip.lowerBound), clip.upperBound))
    }

    /// Pads, prefilters and evaluates one loaded panel (`count` lanes valid, rows `padding..<padding+n`).
    private static func process(
        panel: UnsafeMutablePointer<Double>, output: UnsafeMutablePointer<Double>, count: Int, taps: AxisTaps
    ) {
        let lanes = laneCount
        let n = taps.inputLength
        if taps.padding > 0 {
            let firstRow = panel + taps.padding * lanes
            let lastRow = panel + (taps.padding + n - 1) * lanes
            for r in 0..<taps.padding {
                (panel + r * lanes).update(from: firstRow, count: count)
                (panel + (taps.padding + n + r) * lanes).update(from: lastRow, count: count)
            }
        }
        if taps.prefilter {
            BSplinePrefilter.apply(panel: panel, length: taps.paddedLength, lanes: lanes, count: count)
        }
        evaluate(panel: panel, output: output, count: count, taps: taps)
    }

    private static func evaluate(
        panel: UnsafePointer<Double>, output: UnsafeMutablePointer<Double>, count: Int, taps: AxisTaps
    ) {
        let lanes = laneCount
        taps.indices.withUnsafeBufferPointer { indices in
            taps.weights.withUnsafeBufferPointer { weights in
                switch taps.tapCount {
                case 4:
                    for o in 0..<taps.outputLength {
                        let p0 = panel + indices[4 * o] * lanes, p1 = panel + indices[4 * o + 1] * lanes
                        let p2 = panel + indices[4 * o + 2] * lanes, p3 = panel + indices[4 * o + 3] * lanes
                        let w0 = weights[4 * o], w1 = weights[4 * o + 1]
                        let w2 = weights[4 * o + 2], w3 = weights[4 * o + 3]
                        let out = output + o * lanes
                        for l in 0..<count { out[l] = ((p0[l] * w0 + p1[l] * w1) + p2[l] * w2) + p3[l] * w3 }
                    }
                case 2:
                    for o in 0..<taps.outputLength {
                        let p0 = panel + indices[2 * o] * lanes, p1 = panel + indices[2 * o + 1] * lanes
                        let w0 = weights[2 * o], w1 = weights[2 * o + 1]
                        let out = output + o * lanes
                        for l in 0..<count { out[l] = p0[l] * w0 + p1[l] * w1 }
                    }
                default:
                    for o in 0..<taps.outputLength {
                        (output + o * lanes).update(from: panel + indices[o] * lanes, count: count)
                    }
                }
            }
        }
    }
}

/// Cubic B-spline coefficients of lines stored `[sample][lane]`, with scipy's boundary handling for
/// `mode='nearest'` (the "reflect" initialisation of `ni_splines.c`).
enum BSplinePrefilter {
    static func apply(panel c: UnsafeMutablePointer<Double>, length n: Int, lanes: Int, count: Int) {
        guard n > 1 else { return }
        let z = AxisTaps.pole
        let gain = 1.0 * ((1.0 - z) * (1.0 - 1.0 / z))
        for i in 0..<(n * lanes) { c[i] *= gain }
        // Causal initialisation (`_init_causal_reflect`).
        let zn = pow(z, Double(n))
        let first = c, last = c + (n - 1) * lanes
        let initial = UnsafeMutablePointer<Double>.allocate(capacity: count)
        defer { initial.deallocate() }
        for l in 0..<count {
            initial[l] = first[l]
            first[l] = first[l] + zn * last[l]
        }
        var zi = z
        for i in 1..<n {
            let row = c + i * lanes, mirror = c + (n - 1 - i) * lanes
            for l in 0..<count { first[l] += zi * (row[l] + zn * mirror[l]) }
            zi *= z
        }
        let scale = z / (1 - zn * zn)
        for l in 0..<count {
            first[l] *= scale
            first[l] += initial[l]
        }
        // Causal recursion.
        for i in 1..<n {
            let row = c + i * lanes, previous = c + (i - 1) * lanes
            for l in 0..<count { row[l] += z * previous[l] }
        }
        // Anticausal initialisation (`_init_anticausal_reflect`) and recursion.
        let endScale = z / (z - 1)
        for l in 0..<count { last[l] *= endScale }
        for i in stride(from: n - 2, through: 0, by: -1) {
            let row = c + i * lanes, next = c + (i + 1) * lanes
            for l in 0..<count { row[l] = z * (next[l] - row[l]) }
        }
    }
}
