// Nearest-neighbour resampling as a gather with one index table per axis (`AxisTaps` with one tap).
//
// Index rule: scipy `map_coordinates(order=0, mode='nearest')` at x = (o + 0.5)·(n/m) − 0.5, i.e.
// `floor(x + 0.5)` clamped to [0, n − 1]; this is nnU-Net's rule along the separate (low-resolution) axis
// (`resample_data_or_seg`, order_z = 0). Used for label maps and for the last step of separate-z resampling.

import ArrayCore

enum NearestGather {
    /// `target[k][j][i] = convert(source[kz[k]][jy[j]][ix[i]], sourceIndex)` for arrays `[z][y][x]`;
    /// `convert` also receives the source index along `sliceAxis` (array axis 0, 1 or 2).
    static func run<Source, Target>(
        source: UnsafeBufferPointer<Source>, sourceShape: [Int], tables: [[Int]],
        target: UnsafeMutableBufferPointer<Target>, sliceAxis: Int = 0,
        convert: (Source, Int) -> Target
    ) {
        let (kz, jy, ix) = (tables[0], tables[1], tables[2])
        let (sy, sx) = (sourceShape[1], sourceShape[2])
        let (outY, outX) = (jy.count, ix.count)
        let sharedSource = UncheckedSendable(source)
        let sharedTarget = UncheckedSendable(target)
        concurrentChunks(count: kz.count * outY, minimumChunk: max(1, 32_768 / max(1, outX))) { rows in
            let src = sharedSource.value, dst = sharedTarget.value
            for row in rows {
                let k = row / outY, j = row % outY
                let from = (kz[k] * sy + jy[j]) * sx
                let sliceIndex = sliceAxis == 0 ? kz[k] : jy[j]
                var to = row * outX
                for i in 0..<outX {
                    dst[to] = convert(src[from + ix[i]], sliceAxis == 2 ? ix[i] : sliceIndex)
                    to += 1
                }
            }
        }
    }
}
