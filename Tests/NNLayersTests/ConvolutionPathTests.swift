import ArrayCore
import OrganaTestSupport
import Testing

@testable import NNLayers

/// The two convolution paths (direct kernel for few channels, im2col + GEMM otherwise) against a plain
/// Double-precision reference on seeded data.
@Suite("convolution paths against a naive reference")
struct ConvolutionPathTests {
    static func reference(
        _ x: NDArray<Float>, _ w: NDArray<Float>, _ bias: [Float], stride: [Int], padding: [Int]
    ) -> NDArray<Float> {
        let (cin, d, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kd, kh, kw) = (w.shape[0], w.shape[2], w.shape[3], w.shape[4])
        let od = (d + 2 * padding[0] - kd) / stride[0] + 1
        let oh = (h + 2 * padding[1] - kh) / stride[1] + 1
        let ow = (wd + 2 * padding[2] - kw) / stride[2] + 1
        var out = NDArray(shape: [cout, od, oh, ow], repeating: Float(0))
        for o in 0..<cout {
            for z in 0..<od {
                for y in 0..<oh {
                    for xx in 0..<ow {
                        var sum = Double(bias[o])
                        for c in 0..<cin {
                            for a in 0..<kd {
                                for b in 0..<kh {
                                    for e in 0..<kw {
                                        let iz = z * stride[0] - padding[0] + a
                                        let iy = y * stride[1] - padding[1] + b
                                        let ix = xx * stride[2] - padding[2] + e
                                        guard iz >= 0, iz < d, iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                        sum += Double(x[[c, iz, iy, ix]]) * Double(w[[o, c, a, b, e]])
                                    }
                                }
                            }
                        }
                        out[[o, z, y, xx]] = Float(sum)
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: [
        (8, 8, [1, 1, 1], true), (4, 16, [1, 1, 1], true), (33, 32, [1, 1, 1], false), (8, 8, [2, 2, 2], false),
    ])
    func matchesReference(cin: Int, cout: Int, stride: [Int], direct: Bool) throws {
        var generator = SeededGenerator(seed: UInt64(cin * 100 + cout))
        let x = try NDArray(
            shape: [cin, 5, 6, 7], elements: (0..<(cin * 210)).map { _ in Float.random(in: -1...1, using: &generator) })
        let w = try NDArray(
            shape: [cout, cin, 3, 3, 3],
            elements: (0..<(cout * cin * 27)).map { _ in Float.random(in: -0.5...0.5, using: &generator) })
        let bias = (0..<cout).map { _ in Float.random(in: -1...1, using: &generator) }
        let conv = try Convolution(weight: w, bias: bias, stride: stride, padding: [1, 1, 1])
        #expect((conv.directWeights != nil) == direct)
        let output = try conv(x)
        let expected = Self.reference(x, w, bias, stride: stride, padding: [1, 1, 1])
        #expect(output.shape == expected.shape)
        let worst = zip(output.elements, expected.elements).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4, "max abs difference \(worst)")
    }
}
