// Design: 2-D/3-D transposed convolution (torch.nn.functional.conv_transpose3d, padding 0, dilation 1) by
// SGEMM + col2im.
//
// col[(o, kz, ky, kx), p] = Σ_i W[i, (o, kz, ky, kx)] · x[i, p] (one GEMM with W transposed, p over input
// voxels), then out[o, z·s0 + kz, y·s1 + ky, x·s2 + kx] += col[...] + bias (col2im). nnU-Net's decoders use
// kernel = stride, where the scatter writes every output voxel exactly once; overlapping kernels accumulate.
// Output size (n − 1)·s + k. Weights [Cin, Cout, kD, kH, kW] (PyTorch's transposed layout) or 2-D analogue.
import ArrayCore

/// A transposed convolution layer (PyTorch `ConvTranspose2d`/`ConvTranspose3d`, `padding=0`).
public struct TransposedConvolution: Sendable {
    public let weight: NDArray<Float>
    public let bias: [Float]?
    public let stride: [Int]
    public let name: String

    let rank: Int
    let inputChannels: Int
    let outputChannels: Int
    let kernel: (Int, Int, Int)
    let step: (Int, Int, Int)

    public init(
        weight: NDArray<Float>, bias: [Float]?, stride: [Int], name: String = "transposed conv"
    )
        throws(NNLayersError)
    {
        rank = weight.rank - 2
        guard rank == 2 || rank == 3, stride.count == rank, stride.allSatisfy({ $0 > 0 }),
            weight.shape.allSatisfy({ $0 > 0 })
        else {
            throw NNLayersError(
                .invalidParameter,
                "\(name): weight \(weight.shape) with stride \(stride) is not a 2-D or 3-D transposed convolution")
        }
        inputChannels = weight.shape[0]
        outputChannels = weight.shape[1]
        if let bias, bias.count != outputChannels {
            throw NNLayersError(
                .invalidParameter, "\(name): bias has \(bias.count) values for \(outputChannels) outputs")
        }
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.name = name
        kernel = triple(Array(weight.shape.dropFirst(2)), rank: rank, pad: 1)
        step = triple(stride, rank: rank, pad: 1)
    }

    func outputGrid(_ input: Grid) throws(NNLayersError) -> Grid {
        guard input.rank == rank, input.channels == inputChannels else {
            throw NNLayersError(
                .invalidInput,
                "\(name): input has \(input.channels) channels (rank \(input.rank)), the weight \(weight.shape) expects \(inputChannels)"
            )
        }
        let size = (
            (input.size.0 - 1) * step.0 + kernel.0, (input.size.1 - 1) * step.1 + kernel.1,
            (input.size.2 - 1) * step.2 + kernel.2
        )
        return Grid(channels: outputChannels, size: size, rank: rank)
    }

    public func callAsFunction(_ input: NDArray<Float>) throws(NNLayersError) -> NDArray<Float> {
        let inGrid = try Grid(input, layer: name)
        let outGrid = try outputGrid(inGrid)
        var output = try makeMap(outGrid, layer: name)
        let voxels = inGrid.voxels
        let rows = outputChannels * kernel.0 * kernel.1 * kernel.2
        var column = scratch(count: rows * voxels)  // the GEMM (beta 0) writes every element
        weight.elements.withUnsafeBufferPointer { w in
            input.elements.withUnsafeBufferPointer { x in
                column.withUnsafeMutableBufferPointer { col in
                    BLAS.multiply(
                        transposeA: true, m: rows, n: voxels, k: inputChannels, a: w.baseAddress!, lda: rows,
                        b: x.baseAddress!, ldb: voxels, beta: 0, c: col.baseAddress!, ldc: voxels)
                }
            }
        }
        column.withUnsafeBufferPointer { col in
            output.elements.withUnsafeMutableBufferPointer { out in
                col2im(col.baseAddress!, inGrid, outGrid, into: out.baseAddress!)
            }
        }
        return output
    }

    /// Scatters col rows into the output, one output channel per task (so no two tasks write the same voxel).
    private func col2im(
        _ col: UnsafePointer<Float>, _ inGrid: Grid, _ outGrid: Grid, into out: UnsafeMutablePointer<Float>
    ) {
        let (inD, inH, inW) = inGrid.size
        let (outD, outH, outW) = outGrid.size
        let kernelVolume = kernel.0 * kernel.1 * kernel.2
        let source = UncheckedSendable(col)
        let target = UncheckedSendable(out)
        let (kernel, step, bias) = (self.kernel, self.step, self.bias)
        concurrentChunks(count: outputChannels) { range in
            for o in range {
                let channel = target.value + o * outD * outH * outW
                if let bias { channel.update(repeating: bias[o], count: outD * outH * outW) }
                for k in 0..<kernelVolume {
                    let kz = k / (kernel.1 * kernel.2)
                    let ky = (k / kernel.2) % kernel.1
                    let kx = k % kernel.2
                    var row = source.value + (o * kernelVolume + k) * inD * inH * inW
                    for z in 0..<inD {
                        for y in 0..<inH {
                            let line = channel + ((z * step.0 + kz) * outH + y * step.1 + ky) * outW + kx
                            for x in 0..<inW { line[x * step.2] += row[x] }
                            row += inW
                        }
                    }
                }
            }
        }
    }
}
