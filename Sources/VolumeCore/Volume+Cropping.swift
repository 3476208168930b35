import ArrayCore

extension Volume {
    /// The sub-volume inside `box`, with the origin moved so every voxel keeps its world position.
    /// - Throws: `VolumeError.invalidRegion` when the box is empty or reaches outside the volume.
    public func cropped(to box: IndexBox) throws(VolumeError) -> Volume {
        let s = size
        let fits = (0..<3).allSatisfy { box.lower[$0] >= 0 && box.upper[$0] <= s[$0] && box.lower[$0] < box.upper[$0] }
        guard fits else {
            throw VolumeError(
                .invalidRegion, "crop box \(box.lower)..<\(box.upper) is empty or outside a volume of size \(s)")
        }
        let out = box.size
        var elements = [Voxel]()
        elements.reserveCapacity(out.x * out.y * out.z)
        voxels.elements.withUnsafeBufferPointer { source in
            for k in box.lower.z..<box.upper.z {
                for j in box.lower.y..<box.upper.y {
                    let row = linearIndex(box.lower.x, j, k)
                    elements.append(contentsOf: source[row..<(row + out.x)])
                }
            }
        }
        let array = NDArray(uncheckedShape: [out.z, out.y, out.x], elements: elements)
        return Volume(unchecked: array, geometry.shifted(byVoxels: box.lower))
    }

    /// The volume padded by `lower` voxels before and `upper` voxels after on each axis, new voxels set to
    /// `value`; the origin moves so every original voxel keeps its world position.
    /// - Throws: `VolumeError.invalidRegion` for negative padding, or a padded size that overflows or holds more
    ///   than `maximumVoxelCount` voxels (checked before anything is allocated).
    public func padded(
        lower: SIMD3<Int>, upper: SIMD3<Int>, value: Voxel, maximumVoxelCount: Int = 1 << 32
    ) throws(VolumeError) -> Volume {
        guard (0..<3).allSatisfy({ lower[$0] >= 0 && upper[$0] >= 0 }) else {
            throw VolumeError(.invalidRegion, "padding \(lower) / \(upper) must not be negative")
        }
        let s = size
        var out = SIMD3<Int>.zero
        for axis in 0..<3 {
            let (grown, first) = s[axis].addingReportingOverflow(lower[axis])
            let (total, second) = grown.addingReportingOverflow(upper[axis])
            guard !first, !second else {
                throw VolumeError(.invalidRegion, "padding \(lower) / \(upper) of size \(s) overflows")
            }
            out[axis] = total
        }
        let count: Int
        do {
            count = try Shape.elementCount([out.z, out.y, out.x])
        } catch {
            throw VolumeError(.invalidRegion, "padded size \(out) is too large: \(error.message)")
        }
        guard count <= maximumVoxelCount else {
            throw VolumeError(
                .invalidRegion, "padded size \(out) has \(count) voxels, over the limit of \(maximumVoxelCount)")
        }
        var elements = [Voxel](repeating: value, count: out.x * out.y * out.z)
        elements.withUnsafeMutableBufferPointer { target in
            voxels.elements.withUnsafeBufferPointer { source in
                for k in 0..<s.z {
                    for j in 0..<s.y {
                        let from = linearIndex(0, j, k)
                        let to = ((k + lower.z) * out.y + j + lower.y) * out.x + lower.x
                        for i in 0..<s.x { target[to + i] = source[from + i] }
                    }
                }
            }
        }
        let array = NDArray(uncheckedShape: [out.z, out.y, out.x], elements: elements)
        return Volume(unchecked: array, geometry.shifted(byVoxels: 0 &- lower))
    }

    /// Smallest box holding every voxel for which `isInside` is true, or `nil` when there is none.
    public func boundingBox(where isInside: (Voxel) -> Bool) -> IndexBox? {
        let s = size
        var low = SIMD3(Int.max, Int.max, Int.max)
        var high = SIMD3(-1, -1, -1)
        voxels.elements.withUnsafeBufferPointer { buffer in
            var position = 0
            for k in 0..<s.z {
                for j in 0..<s.y {
                    for i in 0..<s.x {
                        if isInside(buffer[position]) {
                            low = pointwiseMin(low, SIMD3(i, j, k))
                            high = pointwiseMax(high, SIMD3(i, j, k))
                        }
                        position += 1
                    }
                }
            }
        }
        guard high.x >= 0 else { return nil }
        return IndexBox(lower: low, upper: high &+ 1)
    }
}
