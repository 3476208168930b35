// Convolution benchmarks: the 3-D layers of the standard nnU-Net 3d_fullres U-Net (features 32→320, patch 128³),
// one per kernel path that NNLayers chooses (direct kernel for few channels, Winograd F(2³, 3³) for wider
// stride-1 3³ layers, im2col + SGEMM for strided ones). Each benchmark runs one layer on seeded data at the size
// it has in that network; the custom metric is GFLOP/s of the direct convolution's multiply-adds (2 per tap), so
// paths with fewer multiplies (Winograd) show as more GFLOP/s. Whole-network figures against PyTorch come from
// tools/bench/compare_network.py (docs/BENCHMARKS.md).
import ArrayCore
import Benchmark
import NNLayers

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal, Layer.gigaflopsPerSecond],
        warmupIterations: 1,
        maxDuration: .seconds(4),
        maxIterations: 10
    )
    let layers = [
        Layer(name: "stage 0, 32→32 at 128³ (direct)", input: 32, output: 32, size: 128, stride: 1),
        Layer(name: "stage 1, 64→64 at 64³ (Winograd)", input: 64, output: 64, size: 64, stride: 1),
        Layer(name: "stage 2, 128→128 at 32³ (Winograd)", input: 128, output: 128, size: 32, stride: 1),
        Layer(name: "stage 4, 320→320 at 8³ (Winograd)", input: 320, output: 320, size: 8, stride: 1),
        Layer(
            name: "stage 1 down, 32→64 at 128³ stride 2 (im2col + SGEMM)", input: 32, output: 64, size: 128, stride: 2),
    ]
    for layer in layers { layer.register() }
}

/// One 3×3×3 convolution with padding 1 on a cube of `size`³ voxels.
struct Layer: Sendable {
    static let gigaflopsPerSecond = BenchmarkMetric.custom(
        "GFLOP/s (direct-equivalent)", polarity: .prefersLarger, useScalingFactor: false)

    let name: String
    let input: Int
    let output: Int
    let size: Int
    let stride: Int

    /// Multiply-adds of the direct convolution, counted as 2 FLOPs each.
    var floatingPointOperations: Double {
        let outputSize = (size - 1) / stride + 1
        return 2 * 27 * Double(input * output) * Double(outputSize * outputSize * outputSize)
    }

    func register() {
        Benchmark(name) { benchmark in
            let (convolution, map) = try make()
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            let result = try convolution(map)
            let elapsed = ContinuousClock.now - start
            benchmark.stopMeasurement()
            blackHole(result)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            benchmark.measurement(Self.gigaflopsPerSecond, Int((floatingPointOperations / 1e9 / seconds).rounded()))
        }
    }

    /// Seeded weights, bias and input (a fixed linear congruential sequence in [−0.5, 0.5)).
    func make() throws -> (Convolution, NDArray<Float>) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let weight = try NDArray(
            shape: [output, input, 3, 3, 3], elements: (0..<(output * input * 27)).map { _ in next() * 0.1 })
        let bias = (0..<output).map { _ in next() }
        let voxels = input * size * size * size
        let map = try NDArray(shape: [input, size, size, size], elements: (0..<voxels).map { _ in next() })
        let convolution = try Convolution(
            weight: weight, bias: bias, stride: [stride, stride, stride], padding: [1, 1, 1], name: name)
        return (convolution, map)
    }
}
