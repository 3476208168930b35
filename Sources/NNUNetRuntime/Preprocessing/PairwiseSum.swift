// Design: numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src `pairwise_sum`), which decides the
// last bits of numpy's `sum`, `mean` and `std` and therefore of nnU-Net's z-score statistics and of scipy's
// Gaussian kernel normalisation. Checked against numpy 2.4 for float32 and float64 (PredictionUnitTests).

/// numpy's pairwise summation (`pairwise_sum` in loops_utils.h): blocks of up to 128 summed with 8 partial
/// sums, larger ranges split in halves (rounded down to a multiple of 8). `T` is the accumulator type, as numpy
/// accumulates float32 arrays in float32.
func pairwiseSum<T: BinaryFloatingPoint>(_ values: ArraySlice<T>) -> T {
    let n = values.count
    let start = values.startIndex
    if n < 8 {
        var result: T = 0
        for value in values { result += value }
        return result
    }
    if n <= 128 {
        var r = Array(values[start..<(start + 8)])
        var i = 8
        while i < n - n % 8 {
            for j in 0..<8 { r[j] += values[start + i + j] }
            i += 8
        }
        var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n {
            result += values[start + i]
            i += 1
        }
        return result
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(values[start..<(start + half)]) + pairwiseSum(values[(start + half)...])
}
