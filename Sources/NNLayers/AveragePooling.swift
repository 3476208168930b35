// Design: average pooling with kernel = stride, no padding, floor mode (torch.nn.AvgPool3d(k, k)), as in the
// skip path of ResidualEncoderUNet's strided BasicBlockD. Output size floor(n / s) per axis.
import ArrayCore

/// Averages non-overlapping `stride`-sized blocks of each channel.
public func averagePool(_ map: NDArray<Float>, stride: [Int]) throws(NNLayersError) -> NDArray<Float> {
    let grid = try Grid(map, layer: "average pool")
    guard stride.count == grid.rank, stride.allSatisfy({ $0 > 0 }) else {
        throw NNLayersError(.invalidParameter, "average pool: stride \(stride) does not fit input \(map.shape)")
    }
    let s = triple(stride, rank: grid.rank, pad: 1)
    let outSize = (grid.size.0 / s.0, grid.size.1 / s.1, grid.size.2 / s.2)
    guard outSize.0 > 0, outSize.1 > 0, outSize.2 > 0 else {
        throw NNLayersError(.invalidInput, "average pool: input \(map.shape) is smaller than the stride \(stride)")
    }
    let outGrid = Grid(channels: grid.channels, size: outSize, rank: grid.rank)
    var output = try makeMap(outGrid, layer: "average pool")
    let (inD, inH, inW) = grid.size
    let scale = 1 / Float(s.0 * s.1 * s.2)
    map.elements.withUnsafeBufferPointer { x in
        output.elements.withUnsafeMutableBufferPointer { out in
            let source = UncheckedSendable(x.baseAddress!)
            let target = UncheckedSendable(out.baseAddress!)
            concurrentChunks(count: grid.channels) { range in
                for c in range {
                    let input = source.value + c * inD * inH * inW
                    var o = target.value + c * outGrid.voxels
                    for z in 0..<outSize.0 {
                        for y in 0..<outSize.1 {
                            for xo in 0..<outSize.2 {
                                var sum: Float = 0
                                for dz in 0..<s.0 {
                                    for dy in 0..<s.1 {
                                        let line = input + ((z * s.0 + dz) * inH + y * s.1 + dy) * inW + xo * s.2
                                        for dx in 0..<s.2 { sum += line[dx] }
                                    }
                                }
                                o.pointee = sum * scale
                                o += 1
                            }
                        }
                    }
                }
            }
        }
    }
    return output
}
