// Exact Euclidean distance transform in millimetres on an anisotropic grid.
//
// Algorithm: Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", Theory of Computing
// 8 (2012): the squared distance is separable, so three 1-D lower-envelope-of-parabolas passes (x, then y,
// then z) give the exact squared Euclidean distance; sample positions are index × spacing, so the result is
// in mm² directly (as Maurer et al. 2003 and scipy's `distance_transform_edt(sampling=)`).
// Conventions: `distanceTransform` follows scipy: every non-zero voxel gets the distance (mm) between its
// centre and the centre of the nearest zero voxel; zero voxels get 0. Squared distances are built as
// (Δi·sx)² + (Δj·sy)² + (Δk·sz)², the same expression the mm structuring elements use, so thresholds at
// r² are exact.
// Limits: with no zero voxel at all every distance is +∞ (scipy returns unspecified values there).
// y and z passes work on transposed slices for cache locality; every pass runs on `concurrentChunks`.
public import ArrayCore
public import VolumeCore

/// Euclidean distance in mm from each non-zero voxel of `mask` to the nearest zero voxel (0 on zero voxels);
/// scipy's `distance_transform_edt(mask, sampling=spacing_zyx)`.
public func distanceTransform(_ mask: Volume<UInt8>) -> Volume<Double> {
    var squared = squaredDistanceField(size: mask.size, spacing: mask.geometry.spacing) { index in
        mask.voxels.elements[index] == 0
    }
    squared.withUnsafeMutableBufferPointer { buffer in
        let shared = UncheckedSendable(buffer)
        concurrentChunks(count: buffer.count, minimumChunk: 1 << 16) { range in
            for index in range { shared.value[index] = shared.value[index].squareRoot() }
        }
    }
    return Volume(unchecked: NDArray(uncheckedShape: mask.voxels.shape, elements: squared), mask.geometry)
}

/// Squared distance (mm²) from every voxel of a grid to the nearest voxel for which `isSeed` is true
/// (linear index in `[z][y][x]` order); +∞ everywhere when there is no seed.
public func squaredDistanceField(
    size: SIMD3<Int>, spacing: SIMD3<Double>, isSeed: (Int) -> Bool
) -> [Double] {
    let count = size.x * size.y * size.z
    var field = [Double](repeating: .infinity, count: count)
    field.withUnsafeMutableBufferPointer { buffer in
        let shared = UncheckedSendable(buffer)
        withoutActuallyEscaping(isSeed) { seed in
            let seedShared = UncheckedSendable(seed)
            concurrentChunks(count: count, minimumChunk: 1 << 16) { range in
                for index in range where seedShared.value(index) { shared.value[index] = 0 }
            }
        }
        let grid = DistanceGrid(size: size, spacing: spacing)
        grid.passX(buffer)
        grid.passY(buffer)
        grid.passZ(buffer)
    }
    return field
}

/// The three separable passes over one `[z][y][x]` buffer.
private struct DistanceGrid {
    let size: SIMD3<Int>
    let spacing: SIMD3<Double>

    func passX(_ field: UnsafeMutableBufferPointer<Double>) {
        let (nx, rows) = (size.x, size.y * size.z)
        let shared = UncheckedSendable(field)
        concurrentChunks(count: rows, minimumChunk: 64) { range in
            var scratch = LowerEnvelope(capacity: nx)
            var line = [Double](repeating: 0, count: nx)
            for row in range {
                let start = row * nx
                for i in 0..<nx { line[i] = shared.value[start + i] }
                scratch.transform(&line, spacing: spacing.x)
                for i in 0..<nx { shared.value[start + i] = line[i] }
            }
        }
    }

    /// Along y, slice by slice: each slice is transposed so that columns become contiguous lines.
    func passY(_ field: UnsafeMutableBufferPointer<Double>) {
        let (nx, ny, nz) = (size.x, size.y, size.z)
        guard ny > 1 else { return }
        let shared = UncheckedSendable(field)
        concurrentChunks(count: nz) { range in
            var scratch = LowerEnvelope(capacity: ny)
            var plane = [Double](repeating: 0, count: nx * ny)
            var line = [Double](repeating: 0, count: ny)
            for k in range {
                let base = k * nx * ny
                transposed(from: shared.value, base: base, rows: ny, columns: nx, rowStride: nx, into: &plane)
                for i in 0..<nx {
                    for j in 0..<ny { line[j] = plane[i * ny + j] }
                    if scratch.transform(&line, spacing: spacing.y) {
                        for j in 0..<ny { plane[i * ny + j] = line[j] }
                    }
                }
                for j in 0..<ny {
                    for i in 0..<nx { shared.value[base + j * nx + i] = plane[i * ny + j] }
                }
            }
        }
    }

    /// Along z, one y-row at a time: the (z, x) plane of that row is transposed into x-major lines.
    func passZ(_ field: UnsafeMutableBufferPointer<Double>) {
        let (nx, ny, nz) = (size.x, size.y, size.z)
        guard nz > 1 else { return }
        let shared = UncheckedSendable(field)
        concurrentChunks(count: ny) { range in
            var scratch = LowerEnvelope(capacity: nz)
            var plane = [Double](repeating: 0, count: nx * nz)
            var line = [Double](repeating: 0, count: nz)
            for j in range {
                transposed(from: shared.value, base: j * nx, rows: nz, columns: nx, rowStride: nx * ny, into: &plane)
                for i in 0..<nx {
                    for k in 0..<nz { line[k] = plane[i * nz + k] }
                    if scratch.transform(&line, spacing: spacing.z) {
                        for k in 0..<nz { plane[i * nz + k] = line[k] }
                    }
                }
                for k in 0..<nz {
                    let rowBase = (k * ny + j) * nx
                    for i in 0..<nx { shared.value[rowBase + i] = plane[i * nz + k] }
                }
            }
        }
    }

    /// Copies a `rows × columns` block (row `r` at `base + r·rowStride`) into `plane` column-major.
    private func transposed(
        from field: UnsafeMutableBufferPointer<Double>, base: Int, rows: Int, columns: Int, rowStride: Int,
        into plane: inout [Double]
    ) {
        for r in 0..<rows {
            let start = base + r * rowStride
            for c in 0..<columns { plane[c * rows + r] = field[start + c] }
        }
    }
}

/// Felzenszwalb–Huttenlocher's 1-D squared distance transform with reusable scratch arrays.
struct LowerEnvelope {
    private var vertices: [Int]
    private var boundaries: [Double]
    private var output: [Double]

    init(capacity: Int) {
        vertices = [Int](repeating: 0, count: max(1, capacity))
        boundaries = [Double](repeating: 0, count: max(1, capacity) + 1)
        output = [Double](repeating: 0, count: max(1, capacity))
    }

    /// Replaces `f` by `min_q ((p − q)·spacing)² + f[q]`; returns false (and leaves `f` alone) when every
    /// sample is +∞ or every sample is 0, where the transform changes nothing.
    @discardableResult
    mutating func transform(_ f: inout [Double], spacing: Double) -> Bool {
        let n = f.count
        var k = -1
        var allZero = true
        for q in 0..<n where f[q] < .infinity {
            if f[q] != 0 { allZero = false }
            let position = Double(q) * spacing
            var crossing = -Double.infinity
            while k >= 0 {
                let v = vertices[k]
                let vPosition = Double(v) * spacing
                crossing =
                    ((f[q] + position * position) - (f[v] + vPosition * vPosition)) / (2 * (position - vPosition))
                if crossing <= boundaries[k] {
                    k -= 1
                    crossing = -Double.infinity
                } else {
                    break
                }
            }
            k += 1
            vertices[k] = q
            boundaries[k] = crossing
            boundaries[k + 1] = .infinity
        }
        if k < 0 || (allZero && k == n - 1) { return false }
        var j = 0
        for q in 0..<n {
            let position = Double(q) * spacing
            while boundaries[j + 1] < position { j += 1 }
            let offset = Double(q - vertices[j]) * spacing
            output[q] = offset * offset + f[vertices[j]]
        }
        for q in 0..<n { f[q] = output[q] }
        return true
    }
}
