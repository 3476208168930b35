// Design: 2-D/3-D convolution (cross-correlation, as torch.nn.functional.conv3d) by im2col + SGEMM, with two
// faster paths for the common nnU-Net layer (3³, stride 1, padding 1): the direct kernel for few channels and
// Winograd F(2³, 3³) above that (Winograd.swift).
//
// out[o, p] = bias[o] + Σ_r W[o, r] · col[r, p], with r = (c, kz, ky, kx) and p = (z, y, x) over output voxels;
// `col` gathers the zero-padded input patch of every output voxel (im2col, Chellapilla et al. 2006). The GEMM is
// OpenBLAS `cblas_sgemm` (row-major). To bound memory, `col` is built for a block of output z-planes at a time
// (at most `columnBudget` floats) and the GEMM writes that block's columns of the output in place (ldc = all
// output voxels). 1×1×1 stride-1 kernels skip im2col (the input already is `col`). Stride-1 "same" convs with
// few channels (Cin·Cout ≤ `directChannelProduct`) use the direct kernel in CNNKernels instead, where im2col
// would be memory-bound; wider ones of that shape take Winograd. im2col rows are filled on
// all worker threads (`concurrentChunks`); the GEMM is split by columns across the same workers (`BLAS.multiply`).
// Conventions: feature maps [C, D, H, W] / [C, H, W]; weights [Cout, Cin, kD, kH, kW] / [Cout, Cin, kH, kW];
// zero padding per axis; dilation 1, groups 1. Output size floor((n + 2p − k)/s) + 1.
import ArrayCore
import CNNKernels
import Synchronization

/// A convolution layer with its weights (PyTorch `Conv2d`/`Conv3d` with `dilation=1, groups=1`).
public struct Convolution: Sendable {
    public let weight: NDArray<Float>
    public let bias: [Float]?
    public let stride: [Int]
    public let padding: [Int]
    /// Name used in error messages (e.g. the state-dict prefix).
    public let name: String

    let rank: Int
    let outputChannels: Int
    let inputChannels: Int
    let kernel: (Int, Int, Int)
    let step: (Int, Int, Int)
    let pad: (Int, Int, Int)

    /// Floats of im2col scratch per block (64 MiB).
    static let columnBudget = 16 << 20
    /// Largest Cin·Cout that takes the direct kernel (see the design header).
    static let directChannelProduct = 32 * 32

    /// Weights as [Cin][kD][kH][kW][Cout] for the direct kernel, when this layer qualifies for it.
    let directWeights: [Float]?
    /// Winograd-transformed weights [64][Cout][Cin], when this layer takes that path (Winograd.swift).
    let winogradWeights: [Float]?

    public init(
        weight: NDArray<Float>, bias: [Float]?, stride: [Int], padding: [Int], name: String = "conv"
    ) throws(NNLayersError) {
        rank = weight.rank - 2
        guard rank == 2 || rank == 3, stride.count == rank, padding.count == rank else {
            throw NNLayersError(
                .invalidParameter,
                "\(name): weight \(weight.shape) with stride \(stride), padding \(padding) is not a 2-D or 3-D convolution"
            )
        }
        guard weight.shape.allSatisfy({ $0 > 0 }), stride.allSatisfy({ $0 > 0 }), padding.allSatisfy({ $0 >= 0 }) else {
            throw NNLayersError(.invalidParameter, "\(name): empty weight \(weight.shape) or bad stride/padding")
        }
        outputChannels = weight.shape[0]
        inputChannels = weight.shape[1]
        if let bias, bias.count != outputChannels {
            throw NNLayersError(
                .invalidParameter, "\(name): bias has \(bias.count) values for \(outputChannels) outputs")
        }
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.name = name
        kernel = triple(Array(weight.shape.dropFirst(2)), rank: rank, pad: 1)
        step = triple(stride, rank: rank, pad: 1)
        pad = triple(padding, rank: rank, pad: 0)
        let same = [kernel.0, kernel.1, kernel.2] == [pad.0, pad.1, pad.2].map { 2 * $0 + 1 }
        if step == (1, 1, 1), same, kernel != (1, 1, 1), outputChannels * inputChannels <= Self.directChannelProduct {
            directWeights = Self.transposedForDirect(weight.elements, outputChannels: outputChannels)
        } else {
            directWeights = nil
        }
        let winograd = Self.takesWinograd(
            rank: rank, kernel: kernel, step: step, pad: pad, channelProduct: outputChannels * inputChannels)
        winogradWeights = winograd ? Self.winogradFilters(weight) : nil
    }

    /// [Cout][Cin·k] → [Cin·k][Cout rounded up to a multiple of 8, zero-filled] (the direct kernel's blocks).
    private static func transposedForDirect(_ weights: [Float], outputChannels: Int) -> [Float] {
        let rest = weights.count / outputChannels
        let padded = (outputChannels + 7) / 8 * 8
        var transposed = [Float](repeating: 0, count: rest * padded)
        for o in 0..<outputChannels {
            for r in 0..<rest { transposed[r * padded + o] = weights[o * rest + r] }
        }
        return transposed
    }

    /// Output grid for an input grid, or an error naming the layer.
    func outputGrid(_ input: Grid) throws(NNLayersError) -> Grid {
        guard input.rank == rank, input.channels == inputChannels else {
            throw NNLayersError(
                .invalidInput,
                "\(name): input has \(input.channels) channels (rank \(input.rank)), the weight \(weight.shape) expects \(inputChannels)"
            )
        }
        func extent(_ n: Int, _ k: Int, _ s: Int, _ p: Int) -> Int { n + 2 * p >= k ? (n + 2 * p - k) / s + 1 : 0 }
        let size = (
            extent(input.size.0, kernel.0, step.0, pad.0), extent(input.size.1, kernel.1, step.1, pad.1),
            extent(input.size.2, kernel.2, step.2, pad.2)
        )
        guard size.0 > 0, size.1 > 0, size.2 > 0 else {
            throw NNLayersError(
                .invalidInput, "\(name): input \(input.shape) is smaller than the kernel \(weight.shape)")
        }
        return Grid(channels: outputChannels, size: size, rank: rank)
    }

    /// Applies the convolution to a feature map.
    public func callAsFunction(_ input: NDArray<Float>) throws(NNLayersError) -> NDArray<Float> {
        try applied(to: input, winogradBudget: Self.winogradBudget)
    }

    /// The convolution, with Winograd's block size settable (tests run several blocks on small inputs).
    func applied(to input: NDArray<Float>, winogradBudget: Int) throws(NNLayersError) -> NDArray<Float> {
        let inGrid = try Grid(input, layer: name)
        let outGrid = try outputGrid(inGrid)
        var output = try makeMap(outGrid, layer: name)
        let voxels = outGrid.voxels
        let reduction = inputChannels * kernel.0 * kernel.1 * kernel.2
        var allocated = true
        output.elements.withUnsafeMutableBufferPointer { out in
            if let bias {
                for o in 0..<outputChannels { out[(o * voxels)..<((o + 1) * voxels)].update(repeating: bias[o]) }
            }
            weight.elements.withUnsafeBufferPointer { w in
                input.elements.withUnsafeBufferPointer { x in
                    if let directWeights {
                        allocated = direct(x, inGrid, directWeights, into: out)
                        return
                    }
                    if let winogradWeights {
                        allocated = winograd(x, inGrid, winogradWeights, into: out, budget: winogradBudget)
                        return
                    }
                    if kernel == (1, 1, 1), step == (1, 1, 1), pad == (0, 0, 0) {
                        gemm(
                            w, x.baseAddress!, columns: voxels, reduction: reduction, into: out.baseAddress!,
                            stride: voxels)
                        return
                    }
                    let plane = outGrid.size.1 * outGrid.size.2
                    let planesPerBlock = max(1, min(outGrid.size.0, Self.columnBudget / max(1, reduction * plane)))
                    var column = scratch(count: reduction * plane * planesPerBlock)
                    column.withUnsafeMutableBufferPointer { col in
                        var z0 = 0
                        while z0 < outGrid.size.0 {
                            let planes = min(planesPerBlock, outGrid.size.0 - z0)
                            let columns = planes * plane
                            im2col(x, inGrid, outGrid, z0: z0, planes: planes, into: col.baseAddress!)
                            gemm(
                                w, col.baseAddress!, columns: columns, reduction: reduction,
                                into: out.baseAddress! + z0 * plane, stride: voxels)
                            z0 += planes
                        }
                    }
                }
            }
        }
        guard allocated else {
            throw NNLayersError(
                .sizeLimit, "\(name): no memory for the convolution's scratch buffers (input \(input.shape))")
        }
        return output
    }

    /// The direct kernel over all output planes, split across worker threads by planes; false when a worker
    /// could not allocate its padded copy of the input planes.
    private func direct(
        _ x: UnsafeBufferPointer<Float>, _ grid: Grid, _ weights: [Float], into out: UnsafeMutableBufferPointer<Float>
    ) -> Bool {
        let source = UncheckedSendable(x.baseAddress!)
        let target = UncheckedSendable(out.baseAddress!)
        let (cin, cout, kernel) = (inputChannels, outputChannels, self.kernel)
        let failures = Atomic<Int>(0)
        weights.withUnsafeBufferPointer { w in
            let weight = UncheckedSendable(w.baseAddress!)
            concurrentChunks(count: grid.size.0) { planes in
                let status = organa_direct_conv3d_s1(
                    source.value, cin, grid.size.0, grid.size.1, grid.size.2, weight.value, cout, kernel.0, kernel.1,
                    kernel.2, target.value, planes.lowerBound, planes.upperBound)
                if status != 0 { failures.add(1, ordering: .relaxed) }
            }
        }
        return failures.load(ordering: .relaxed) == 0
    }

    /// out[o, 0..<columns] (row stride `stride`) += W[o, :] · B[:, 0..<columns].
    private func gemm(
        _ w: UnsafeBufferPointer<Float>, _ b: UnsafePointer<Float>, columns: Int, reduction: Int,
        into out: UnsafeMutablePointer<Float>, stride: Int
    ) {
        BLAS.multiply(
            transposeA: false, m: outputChannels, n: columns, k: reduction, a: w.baseAddress!, lda: reduction, b: b,
            ldb: columns, beta: 1, c: out, ldc: stride)
    }

    /// Fills col[r, p] for output planes z0..<z0+planes; r = (c, kz, ky, kx), p = (z − z0, y, x).
    private func im2col(
        _ x: UnsafeBufferPointer<Float>, _ inGrid: Grid, _ outGrid: Grid, z0: Int, planes: Int,
        into col: UnsafeMutablePointer<Float>
    ) {
        let (inD, inH, inW) = inGrid.size
        let (outH, outW) = (outGrid.size.1, outGrid.size.2)
        let columns = planes * outH * outW
        let kernelVolume = kernel.0 * kernel.1 * kernel.2
        let rows = inputChannels * kernelVolume
        let source = UncheckedSendable(x.baseAddress!)
        let target = UncheckedSendable(col)
        let (kernel, step, pad) = (self.kernel, self.step, self.pad)
        concurrentChunks(count: rows, minimumChunk: 4) { range in
            for row in range {
                let c = row / kernelVolume
                var rest = row % kernelVolume
                let kz = rest / (kernel.1 * kernel.2)
                rest %= kernel.1 * kernel.2
                let ky = rest / kernel.2
                let kx = rest % kernel.2
                let channel = source.value + c * inD * inH * inW
                var destination = target.value + row * columns
                for oz in z0..<(z0 + planes) {
                    let iz = oz * step.0 - pad.0 + kz
                    for oy in 0..<outH {
                        let iy = oy * step.1 - pad.1 + ky
                        if iz < 0 || iz >= inD || iy < 0 || iy >= inH {
                            destination.update(repeating: 0, count: outW)
                        } else {
                            let line = channel + (iz * inH + iy) * inW
                            copyLine(line, inW, into: destination, outW, step.2, kx - pad.2)
                        }
                        destination += outW
                    }
                }
            }
        }
    }
}

/// A scratch buffer whose every element the caller writes before reading (im2col, GEMM with beta 0): it is
/// not zero-filled, which saves a pass over up to 64 MiB per layer.
func scratch(count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// destination[ox] = line[ox·s + offset] where that index is inside 0..<width, else 0.
@inline(__always)
func copyLine(
    _ line: UnsafePointer<Float>, _ width: Int, into destination: UnsafeMutablePointer<Float>, _ count: Int,
    _ s: Int, _ offset: Int
) {
    if s == 1 {
        // Valid ox: 0 ≤ ox + offset < width.
        let first = min(count, max(0, -offset))
        let last = max(first, min(count, width - offset))
        if first > 0 { destination.update(repeating: 0, count: first) }
        if last > first { destination.advanced(by: first).update(from: line + (first + offset), count: last - first) }
        if last < count { destination.advanced(by: last).update(repeating: 0, count: count - last) }
    } else {
        for ox in 0..<count {
            let ix = ox * s + offset
            destination[ox] = ix >= 0 && ix < width ? line[ix] : 0
        }
    }
}
