import ArrayCore
import Foundation
import Testing

@testable import NNLayers

/// One case of Fixtures/layers.json (tools/fixtures/make_nnunet_fixtures.py, torch.nn.functional outputs).
struct LayerCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Tensor: Decodable, Sendable {
        var shape: [Int]
        var data: [Float]
        var array: NDArray<Float> { try! NDArray(shape: shape, elements: data) }
    }

    var name: String
    var op: String
    var stride: [Int]?
    var padding: [Int]?
    var eps: Float?
    var slope: Float?
    var x: Tensor
    var weight: Tensor?
    var bias: Tensor?
    var y: Tensor

    var testDescription: String { name }

    static let all: [LayerCase] = {
        struct File: Decodable { var cases: [LayerCase] }
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/layers.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }()

    static func named(_ op: String) -> [LayerCase] { all.filter { $0.op == op } }
}

@Suite("layer parity with PyTorch (torch.nn.functional on seeded tensors)")
struct LayerParityTests {
    /// float32 kernels summing up to a few hundred products: agreement to ~1e-5 relative is expected.
    static func expectClose(_ actual: NDArray<Float>, _ expected: LayerCase.Tensor, tolerance: Float = 2e-5) {
        #expect(actual.shape == expected.shape)
        guard actual.shape == expected.shape else { return }
        var worst: Float = 0
        for (a, e) in zip(actual.elements, expected.data) { worst = max(worst, abs(a - e) / max(1, abs(e))) }
        #expect(worst <= tolerance, "max relative difference \(worst)")
    }

    @Test(arguments: LayerCase.named("conv"))
    func convolution(_ c: LayerCase) throws {
        let conv = try Convolution(
            weight: c.weight!.array, bias: c.bias?.data, stride: c.stride!, padding: c.padding!, name: c.name)
        Self.expectClose(try conv(c.x.array), c.y)
    }

    @Test(arguments: LayerCase.named("convTranspose"))
    func transposedConvolution(_ c: LayerCase) throws {
        let layer = try TransposedConvolution(weight: c.weight!.array, bias: c.bias?.data, stride: c.stride!)
        Self.expectClose(try layer(c.x.array), c.y)
    }

    @Test(arguments: LayerCase.named("instanceNorm"))
    func instanceNorm(_ c: LayerCase) throws {
        var map = c.x.array
        try InstanceNorm(weight: c.weight!.data, bias: c.bias!.data, epsilon: c.eps!).apply(&map)
        Self.expectClose(map, c.y)
    }

    @Test func fusedNormAndLeakyReLU() throws {
        let c = LayerCase.named("instanceNorm")[0]
        var fused = c.x.array
        var separate = c.x.array
        let norm = try InstanceNorm(weight: c.weight!.data, bias: c.bias!.data, epsilon: c.eps!)
        try norm.apply(&fused, negativeSlope: 0.01)
        try norm.apply(&separate)
        leakyReLU(&separate, negativeSlope: 0.01)
        #expect(fused == separate)
    }

    @Test(arguments: LayerCase.named("leakyReLU"))
    func leakyReLUMatches(_ c: LayerCase) {
        var map = c.x.array
        leakyReLU(&map, negativeSlope: c.slope!)
        Self.expectClose(map, c.y, tolerance: 0)
    }

    @Test(arguments: LayerCase.named("softmax"))
    func softmaxMatches(_ c: LayerCase) throws {
        Self.expectClose(try softmax(c.x.array), c.y, tolerance: 1e-6)
    }

    @Test(arguments: LayerCase.named("avgPool"))
    func averagePoolMatches(_ c: LayerCase) throws {
        Self.expectClose(try averagePool(c.x.array, stride: c.stride!), c.y, tolerance: 1e-6)
    }

    @Test func largeConvolutionUsesSeveralColumnBlocks() throws {
        // 40 planes × 96 × 80 with 8 input channels and a 3×3×3 kernel needs 66 M floats of im2col: blocks.
        let input = NDArray(shape: [8, 40, 96, 80], repeating: Float(1))
        let weight = NDArray(shape: [2, 8, 3, 3, 3], repeating: Float(0.5))
        let output = try Convolution(weight: weight, bias: [1, -1], stride: [1, 1, 1], padding: [1, 1, 1])(input)
        #expect(output.shape == [2, 40, 96, 80])
        #expect(output[[0, 20, 50, 40]] == 8 * 27 * 0.5 + 1)  // interior: full kernel
        #expect(output[[1, 0, 0, 0]] == 8 * 8 * 0.5 - 1)  // corner: 2×2×2 of the kernel inside
    }

    @Test func wrongChannelCountIsAnError() throws {
        let conv = try Convolution(
            weight: NDArray(shape: [4, 3, 3, 3, 3], repeating: 0), bias: nil, stride: [1, 1, 1], padding: [1, 1, 1],
            name: "encoder.stages.0.0.convs.0.conv")
        let error = #expect(throws: NNLayersError.self) { try conv(NDArray(shape: [2, 4, 4, 4], repeating: 0)) }
        #expect(error?.message.contains("encoder.stages.0.0.convs.0.conv") == true)
        #expect(error?.code == .invalidInput)
    }

    @Test func badWeightsAreErrors() {
        #expect(throws: NNLayersError.self) {
            try Convolution(weight: NDArray(shape: [4, 3, 3], repeating: 0), bias: nil, stride: [1], padding: [0])
        }
        #expect(throws: NNLayersError.self) {
            try Convolution(
                weight: NDArray(shape: [4, 3, 3, 3], repeating: 0), bias: [1, 2], stride: [1, 1], padding: [1, 1])
        }
        #expect(throws: NNLayersError.self) {
            try TransposedConvolution(weight: NDArray(shape: [4, 3, 2, 2], repeating: 0), bias: nil, stride: [2, 0])
        }
    }
}
