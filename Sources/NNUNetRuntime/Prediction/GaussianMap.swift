// Design: nnU-Net's Gaussian importance map for sliding-window aggregation (`compute_gaussian`,
// nnunetv2/inference/sliding_window_prediction.py), reproduced bit for bit (research §4.4).
//
// nnU-Net filters a unit impulse at index P_a // 2 with scipy `gaussian_filter(sigma = P_a / 8, mode='constant',
// truncate=4)`. Because the input is an impulse, every output value is a product of 1-D kernel taps:
// g[i, j, k] = (w0[i] · w1[j]) · w2[k] in float64, with w_a[t] = φ(t − P_a//2), φ(u) = exp(−0.5/σ² · u²) / Σ φ
// over |u| ≤ r = int(4σ + 0.5) (0 outside), the normalising sum taken with numpy's pairwise summation. The map
// is scaled to a maximum of 10, cast float64 → float32 → float16 (torch's CPU double→half cast rounds twice;
// research §0.1.3), and zeros are replaced by the smallest non-zero fp16 value of the map.

import Foundation

/// The Gaussian importance map of a patch (2 or 3 axes), as nnU-Net's float16 tensor.
public struct GaussianMap: Sendable, Equatable {
    /// Patch size in voxels, slowest axis first.
    public let patchSize: [Int]
    /// Row-major fp16 weights; the largest is 10.
    public let weights: [Float16]

    /// Computes the map of nnU-Net's `compute_gaussian(patch, sigma_scale=1/8, value_scaling_factor=10)`.
    /// - Throws: `NNUNetError.invalidInput` for a patch that is not 1 to 3 positive sizes within the limit.
    public init(patchSize: [Int], sigmaScale: Double = 1.0 / 8, valueScale: Double = 10) throws(NNUNetError) {
        guard (1...3).contains(patchSize.count), patchSize.allSatisfy({ $0 > 0 && $0 <= 4096 }),
            patchSize.reduce(1, *) <= 1 << 28
        else {
            throw NNUNetError(.invalidInput, "patch size \(patchSize) must be 1 to 3 sizes in 1...4096 voxels")
        }
        self.patchSize = patchSize
        let taps = patchSize.map { Self.kernelTaps(size: $0, sigma: Double($0) * sigmaScale) }
        let peak = zip(taps, patchSize).reduce(1.0) { $0 * $1.0[$1.1 / 2] }
        let divisor = peak / valueScale
        var values = [Float16](repeating: 0, count: patchSize.reduce(1, *))
        var index = 0
        Self.forEachProduct(taps) { product in
            values[index] = Float16(Float(product / divisor))
            index += 1
        }
        let smallest = values.lazy.filter { $0 != 0 }.min() ?? 1
        for position in values.indices where values[position] == 0 { values[position] = smallest }
        weights = values
    }

    /// w[t] = φ(t − size//2) for t in 0..<size (0 beyond the truncation radius), φ normalised by scipy's sum.
    static func kernelTaps(size: Int, sigma: Double) -> [Double] {
        let radius = Int(4 * sigma + 0.5)
        let sigma2 = sigma * sigma
        let kernel = (-radius...radius).map { u in exp(-0.5 / sigma2 * Double(u * u)) }
        let sum = pairwiseSum(kernel[...])
        let centre = size / 2
        return (0..<size).map { t in
            let u = t - centre
            return abs(u) <= radius ? kernel[u + radius] / sum : 0
        }
    }

    /// Calls `body` with ((w0[i]·w1[j])·w2[k]) in row-major order.
    private static func forEachProduct(_ taps: [[Double]], _ body: (Double) -> Void) {
        switch taps.count {
        case 1:
            for a in taps[0] { body(a) }
        case 2:
            for a in taps[0] { for b in taps[1] { body(a * b) } }
        default:
            for a in taps[0] { for b in taps[1] { let ab = a * b; for c in taps[2] { body(ab * c) } } }
        }
    }
}
