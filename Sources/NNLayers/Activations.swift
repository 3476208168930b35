// Design: element-wise activations and the channel softmax, in place where possible.
// LeakyReLU: y = x for x ≥ 0, slope·x otherwise (PyTorch default slope 0.01).
// Softmax over the channel axis per voxel, with the per-voxel maximum subtracted first (exp never overflows).
import ArrayCore
import Foundation

/// Applies LeakyReLU in place.
public func leakyReLU(_ map: inout NDArray<Float>, negativeSlope: Float = 0.01) {
    map.elements.withUnsafeMutableBufferPointer { buffer in
        let base = UncheckedSendable(buffer.baseAddress!)
        concurrentChunks(count: buffer.count, minimumChunk: 1 << 16) { range in
            for i in range {
                let x = base.value[i]
                base.value[i] = x >= 0 ? x : x * negativeSlope
            }
        }
    }
}

/// Softmax over axis 0 (channels) of a `[C, ...]` map.
public func softmax(_ map: NDArray<Float>) throws(NNLayersError) -> NDArray<Float> {
    guard map.rank >= 2, map.shape[0] > 0 else {
        throw NNLayersError(.invalidInput, "softmax: input shape \(map.shape) has no channel axis")
    }
    let channels = map.shape[0]
    let voxels = map.count / channels
    var output = map
    output.elements.withUnsafeMutableBufferPointer { buffer in
        let base = UncheckedSendable(buffer.baseAddress!)
        concurrentChunks(count: voxels, minimumChunk: 1 << 14) { range in
            for v in range {
                var maximum = -Float.infinity
                for c in 0..<channels { maximum = max(maximum, base.value[c * voxels + v]) }
                var sum: Float = 0
                for c in 0..<channels {
                    let e = expf(base.value[c * voxels + v] - maximum)
                    base.value[c * voxels + v] = e
                    sum += e
                }
                for c in 0..<channels { base.value[c * voxels + v] /= sum }
            }
        }
    }
    return output
}

/// Adds `other` to `map` element-wise (residual connections). Shapes must match.
public func addInPlace(_ map: inout NDArray<Float>, _ other: NDArray<Float>) throws(NNLayersError) {
    guard map.shape == other.shape else {
        throw NNLayersError(.invalidInput, "add: shapes \(map.shape) and \(other.shape) differ")
    }
    other.elements.withUnsafeBufferPointer { source in
        map.elements.withUnsafeMutableBufferPointer { target in
            for i in 0..<target.count { target[i] += source[i] }
        }
    }
}

/// Concatenates maps along the channel axis (spatial sizes must match), e.g. nnU-Net's (upsampled, skip).
public func concatenateChannels(_ maps: [NDArray<Float>]) throws(NNLayersError) -> NDArray<Float> {
    guard let first = maps.first else { throw NNLayersError(.invalidInput, "concatenate: no inputs") }
    let spatial = Array(first.shape.dropFirst())
    guard maps.allSatisfy({ Array($0.shape.dropFirst()) == spatial && $0.rank == first.rank }) else {
        throw NNLayersError(.invalidInput, "concatenate: spatial shapes \(maps.map(\.shape)) differ")
    }
    var elements: [Float] = []
    elements.reserveCapacity(maps.reduce(0) { $0 + $1.count })
    for map in maps { elements.append(contentsOf: map.elements) }
    let shape = [maps.reduce(0) { $0 + $1.shape[0] }] + spatial
    return NDArray(uncheckedShape: shape, elements: elements)  // element count equals the shape's by construction
}
