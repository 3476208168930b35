// Design: Winograd F(2×2×2, 3×3×3) for the stride-1, padding-1, 3³ convolutions that have too many channels
// for the direct kernel (Lavin & Gray 2016; transforms in CNNKernels/winograd.c). The filter transform is done
// once per layer (U: [64][Cout][Cin]). A forward pass walks the output in blocks of tile rows (a tile row: the
// 2×2×2 tiles of one (tz, ty)); per block, the input transform fills V [64][Cin][T], 64 SGEMMs give
// M[e] = U[e] · V[e] ([64][Cout][T]) and the output transform adds Aᵀ M A into the output, which already holds
// the bias. Blocks keep V + M within `winogradBudget` floats (64 MiB), as im2col's blocks do.
// Work split: the transforms over (channel, tile row) items and the 64 GEMMs over worker threads, each GEMM one
// single-threaded OpenBLAS call (`BLAS.multiplyEach`).
// Multiplies: 8 per output voxel and channel pair instead of 27; the transforms are adds over whole tile rows.
// Rounding differs from a direct sum by a few float32 ulps (coefficients 0, ±½, ±1; tested against a Double
// reference and, through the networks, against PyTorch).
import ArrayCore
import CNNKernels
import Synchronization

extension Convolution {
    /// Floats of V plus M per block (64 MiB).
    static let winogradBudget = 16 << 20

    /// Whether a layer takes the Winograd path: 3-D, 3×3×3, stride 1, padding 1, and more channel pairs than
    /// the direct kernel takes.
    static func takesWinograd(
        rank: Int, kernel: (Int, Int, Int), step: (Int, Int, Int), pad: (Int, Int, Int), channelProduct: Int
    ) -> Bool {
        rank == 3 && kernel == (3, 3, 3) && step == (1, 1, 1) && pad == (1, 1, 1)
            && channelProduct > directChannelProduct
    }

    /// U = G g Gᵀ for every (output, input) channel pair, as [64][Cout][Cin].
    static func winogradFilters(_ weight: NDArray<Float>) -> [Float] {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        var u = scratch(count: 64 * cout * cin)
        weight.elements.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer {
                organa_winograd_filter_transform(w.baseAddress!, cout, cin, $0.baseAddress!)
            }
        }
        return u
    }

    /// Adds the convolution of `x` into `out` (which holds the bias) by Winograd; false when a worker could not
    /// allocate its scratch.
    func winograd(
        _ x: UnsafeBufferPointer<Float>, _ grid: Grid, _ u: [Float], into out: UnsafeMutableBufferPointer<Float>,
        budget: Int = winogradBudget
    ) -> Bool {
        let (d, h, w) = grid.size
        let (cin, cout) = (inputChannels, outputChannels)
        let tilesPerRow = (w + 1) / 2
        let tileRows = (d + 1) / 2 * ((h + 1) / 2)
        let rowsPerBlock = max(1, min(tileRows, budget / (64 * (cin + cout) * tilesPerRow)))
        var v = scratch(count: 64 * cin * rowsPerBlock * tilesPerRow)
        var m = scratch(count: 64 * cout * rowsPerBlock * tilesPerRow)
        let failures = Atomic<Int>(0)
        let (source, target) = (UncheckedSendable(x.baseAddress!), UncheckedSendable(out.baseAddress!))
        u.withUnsafeBufferPointer { filters in
            v.withUnsafeMutableBufferPointer { vBuffer in
                m.withUnsafeMutableBufferPointer { mBuffer in
                    let (vs, ms) = (UncheckedSendable(vBuffer.baseAddress!), UncheckedSendable(mBuffer.baseAddress!))
                    var first = 0
                    while first < tileRows {
                        let last = min(tileRows, first + rowsPerBlock)
                        let columns = (last - first) * tilesPerRow
                        concurrentChunks(count: cin * (last - first)) { items in
                            let status = organa_winograd_input_transform(
                                source.value, cin, d, h, w, first, last, items.lowerBound, items.upperBound, vs.value)
                            if status != 0 { failures.add(1, ordering: .relaxed) }
                        }
                        BLAS.multiplyEach(
                            count: 64, m: cout, n: columns, k: cin, a: filters.baseAddress!, strideA: cout * cin,
                            b: vs.value, strideB: cin * columns, c: ms.value, strideC: cout * columns)
                        concurrentChunks(count: cout * (last - first)) { items in
                            let status = organa_winograd_output_transform(
                                ms.value, cout, d, h, w, first, last, items.lowerBound, items.upperBound, target.value)
                            if status != 0 { failures.add(1, ordering: .relaxed) }
                        }
                        first = last
                    }
                }
            }
        }
        return failures.load(ordering: .relaxed) == 0
    }
}
