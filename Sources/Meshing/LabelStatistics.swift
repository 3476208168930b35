public import ArrayCore
public import VolumeCore

/// Voxel count and bounding box of every non-zero label of a label map, found in one pass.
public struct LabelStatistics: Sendable, Equatable {
    /// One structure's extent in the label map.
    public struct Entry: Sendable, Equatable {
        /// The label value.
        public var label: Int
        /// Number of voxels holding the label.
        public var voxelCount: Int
        /// Smallest box (voxel indices) that holds every voxel of the label.
        public var box: IndexBox
    }

    /// Labels present, in increasing label order (background 0 is never listed).
    public var entries: [Entry]

    /// Largest label value this pass accepts; label maps hold small non-negative integers.
    public static let maximumLabel = 65_535

    /// Counts and boxes every label of `labelMap` other than 0.
    /// - Throws: `MeshingError.invalidLabel` for a negative label or one above `maximumLabel`.
    public init<V: Scalar & FixedWidthInteger>(labelMap: Volume<V>) throws(MeshingError) {
        let size = labelMap.size
        let slices = size.z
        let rowLength = size.x
        // Per z-slab partial results, merged at the end.
        let partial = PartialStatistics.collect(
            elements: labelMap.voxels.elements, size: size, slices: slices, rowLength: rowLength)
        if let bad = partial.badLabel {
            throw MeshingError(
                .invalidLabel,
                "label \(bad) is outside 0...\(Self.maximumLabel): a label map holds small non-negative integers")
        }
        entries = partial.entries()
    }
}

/// Accumulates counts and boxes for a range of z slices.
private struct PartialStatistics {
    var count: [Int]
    var lower: [SIMD3<Int>]
    var upper: [SIMD3<Int>]
    var badLabel: Int?

    init() {
        count = []
        lower = []
        upper = []
    }

    mutating func grow(to label: Int) {
        if label >= count.count {
            let n = label + 1 - count.count
            count += Array(repeating: 0, count: n)
            lower += Array(repeating: SIMD3(repeating: Int.max), count: n)
            upper += Array(repeating: SIMD3(repeating: Int.min), count: n)
        }
    }

    mutating func merge(_ other: PartialStatistics) {
        if let bad = other.badLabel { badLabel = bad }
        grow(to: other.count.count - 1)
        for label in 0..<other.count.count where other.count[label] > 0 {
            count[label] += other.count[label]
            lower[label] = pointwiseMin(lower[label], other.lower[label])
            upper[label] = pointwiseMax(upper[label], other.upper[label])
        }
    }

    func entries() -> [LabelStatistics.Entry] {
        (1..<max(1, count.count)).compactMap { label in
            count[label] > 0
                ? LabelStatistics.Entry(
                    label: label, voxelCount: count[label],
                    box: IndexBox(lower: lower[label], upper: upper[label] &+ 1)) : nil
        }
    }

    @_specialize(where V == UInt8)
    @_specialize(where V == UInt16)
    @_specialize(where V == Int16)
    @_specialize(where V == Int32)
    static func collect<V: Scalar & FixedWidthInteger>(
        elements: [V], size: SIMD3<Int>, slices: Int, rowLength: Int
    ) -> PartialStatistics {
        let workers = max(1, min(ParallelSettings.workerCount, slices))
        var parts = Array(repeating: PartialStatistics(), count: workers)
        let chunk = (slices + workers - 1) / workers
        elements.withUnsafeBufferPointer { voxels in
            parts.withUnsafeMutableBufferPointer { out in
                concurrentChunks(count: workers) { range in
                    for worker in range {
                        let k0 = worker * chunk
                        let k1 = min(slices, k0 + chunk)
                        out[worker] = scan(voxels, size: size, slices: k0..<k1)
                    }
                }
            }
        }
        var total = PartialStatistics()
        for part in parts { total.merge(part) }
        return total
    }

    @_specialize(where V == UInt8)
    @_specialize(where V == UInt16)
    @_specialize(where V == Int16)
    @_specialize(where V == Int32)
    private static func scan<V: Scalar & FixedWidthInteger>(
        _ voxels: UnsafeBufferPointer<V>, size: SIMD3<Int>, slices: Range<Int>
    ) -> PartialStatistics {
        var result = PartialStatistics()
        result.grow(to: 255)
        for k in slices {
            for j in 0..<size.y {
                let row = (k * size.y + j) * size.x
                var i = 0
                while i < size.x {
                    let value = voxels[row + i]
                    if value == 0 {
                        i += 1
                        continue
                    }
                    // A run of one label: update its box once per run.
                    var end = i + 1
                    while end < size.x && voxels[row + end] == value { end += 1 }
                    guard value > 0, value <= LabelStatistics.maximumLabel else {
                        result.badLabel = Int(clamping: value)
                        return result
                    }
                    let label = Int(value)
                    result.grow(to: label)
                    result.count[label] += end - i
                    result.lower[label] = pointwiseMin(result.lower[label], SIMD3(i, j, k))
                    result.upper[label] = pointwiseMax(result.upper[label], SIMD3(end - 1, j, k))
                    i = end
                }
            }
        }
        return result
    }
}
