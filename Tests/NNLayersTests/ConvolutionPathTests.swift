import ArrayCore
import OrganaTestSupport
import Testing

@testable import NNLayers

/// The three convolution paths (direct kernel for few channels, Winograd for wider 3³ stride-1 layers, im2col +
/// GEMM otherwise) against a plain
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

    enum Path { case direct, winograd, gemm }

    static func random(_ shape: [Int], scale: Float, _ generator: inout SeededGenerator) throws -> NDArray<Float> {
        let count = shape.reduce(1, *)
        return try NDArray(
            shape: shape, elements: (0..<count).map { _ in Float.random(in: -scale...scale, using: &generator) })
    }

    @Test(arguments: [
        (8, 8, [1, 1, 1], [5, 6, 7], Path.direct), (4, 16, [1, 1, 1], [5, 6, 7], .direct),
        (33, 32, [1, 1, 1], [5, 6, 7], .winograd), (40, 36, [1, 1, 1], [1, 4, 9], .winograd),
        (36, 40, [1, 1, 1], [2, 3, 2], .winograd), (8, 8, [2, 2, 2], [5, 6, 7], .gemm),
        (33, 32, [2, 2, 2], [5, 6, 7], .gemm),
    ])
    func matchesReference(cin: Int, cout: Int, stride: [Int], size: [Int], path: Path) throws {
        var generator = SeededGenerator(seed: UInt64(cin * 100 + cout))
        let x = try Self.random([cin] + size, scale: 1, &generator)
        let w = try Self.random([cout, cin, 3, 3, 3], scale: 0.5, &generator)
        let bias = (0..<cout).map { _ in Float.random(in: -1...1, using: &generator) }
        let conv = try Convolution(weight: w, bias: bias, stride: stride, padding: [1, 1, 1])
        #expect((conv.directWeights != nil) == (path == .direct))
        #expect((conv.winogradWeights != nil) == (path == .winograd))
        let output = try conv(x)
        let expected = Self.reference(x, w, bias, stride: stride, padding: [1, 1, 1])
        #expect(output.shape == expected.shape)
        let worst = zip(output.elements, expected.elements).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4, "max abs difference \(worst)")
    }

    /// Winograd over many small blocks of tile rows (the last one shorter) gives the one-block result.
    @Test func winogradBlocksAgree() throws {
        var generator = SeededGenerator(seed: 7)
        let x = try Self.random([34, 7, 5, 9], scale: 1, &generator)
        let w = try Self.random([31, 34, 3, 3, 3], scale: 0.5, &generator)
        let conv = try Convolution(weight: w, bias: nil, stride: [1, 1, 1], padding: [1, 1, 1])
        let whole = try conv.applied(to: x, winogradBudget: Convolution.winogradBudget)
        // 64 · (34 + 31) · 5 tiles per row = 20,800 floats per tile row: 3 rows per block, 12 tile rows.
        let blocked = try conv.applied(to: x, winogradBudget: 3 * 20_800)
        let apart = zip(blocked.elements, whole.elements).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(apart <= 1e-5, "blocked and whole differ by \(apart)")
        let expected = Self.reference(x, w, [Float](repeating: 0, count: 31), stride: [1, 1, 1], padding: [1, 1, 1])
        let worst = zip(whole.elements, expected.elements).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4, "max abs difference \(worst)")
    }
}
