// Trilinear resampling evaluated as scipy does it, for bit-identical results.
//
// scipy `zoom_shift` (order 1) sums the 2×2×2 taps of each output voxel in row-major tap order, each term
// computed as `((c · w_z) · w_y) · w_x`. Doing the same (instead of three separable passes) reproduces its
// float64 values exactly, which matters for nnU-Net's export path (logits resampled with order 1, stored in
// float16, then argmax). An axis that keeps its size has taps (o, o+1) with weights (1, 0), exactly as in scipy;
// for separate-z resampling the slice axis uses such taps, which makes the sum a per-slice bilinear one.

import ArrayCore

enum LinearInterpolator {
    /// Resamples `[z][y][x]` `source` of `shape` with the per-axis taps (array order), clipping if asked.
    static func run<Source: Scalar, Target: ResampledElement>(
        source: UnsafeBufferPointer<Source>, shape: [Int], taps: [AxisTaps],
        target: UnsafeMutableBufferPointer<Target>, clip: ClosedRange<Double>?
    ) {
        let (tz, ty, tx) = (taps[0], taps[1], taps[2])
        let (outY, outX) = (ty.outputLength, tx.outputLength)
        let (sy, sx) = (shape[1], shape[2])
        let sharedSource = UncheckedSendable(source), sharedTarget = UncheckedSendable(target)
        concurrentChunks(count: tz.outputLength * outY, minimumChunk: max(1, 16_384 / max(1, outX))) { rows in
            let src = sharedSource.value, dst = sharedTarget.value
            let accumulator = UnsafeMutablePointer<Double>.allocate(capacity: outX)
            defer { accumulator.deallocate() }
            tx.indices.withUnsafeBufferPointer { ix in
                tx.weights.withUnsafeBufferPointer { wx in
                    for row in rows {
                        let k = row / outY, j = row % outY
                        accumulator.initialize(repeating: 0, count: outX)
                        for a in 0..<2 {
                            let wz = tz.weights[2 * k + a], z = tz.indices[2 * k + a]
                            for b in 0..<2 {
                                let wy = ty.weights[2 * j + b], y = ty.indices[2 * j + b]
                                let line = src.baseAddress! + (z * sy + y) * sx
                                for i in 0..<outX {
                                    accumulator[i] += line[ix[2 * i]].doubleValue * wz * wy * wx[2 * i]
                                    accumulator[i] += line[ix[2 * i + 1]].doubleValue * wz * wy * wx[2 * i + 1]
                                }
                            }
                        }
                        let out = dst.baseAddress! + row * outX
                        if let clip {
                            for i in 0..<outX {
                                out[i] = Target(
                                    resampled: Swift.min(Swift.max(accumulator[i], clip.lowerBound), clip.upperBound))
                            }
                        } else {
                            for i in 0..<outX { out[i] = Target(resampled: accumulator[i]) }
                        }
                    }
                }
            }
        }
    }
}
