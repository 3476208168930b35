import ArrayCore
public import VolumeCore

/// Size and place of one connected component.
public struct ComponentStatistics: Sendable, Hashable, Codable {
    /// Component id in the labelling (1-based).
    public var id: Int
    /// The label-map value the component carries.
    public var value: UInt8
    /// Number of voxels.
    public var voxelCount: Int
    /// Volume in mm³ (`voxelCount` × the voxel volume).
    public var volumeMM3: Double
    /// Smallest index box holding the component.
    public var boundingBox: IndexBox
    /// Mean voxel index (i, j, k) of the component.
    public var centroidIndex: SIMD3<Double>
    /// The centroid in world mm (LPS).
    public var centroidWorld: SIMD3<Double>
}

extension ComponentLabeling {
    /// Statistics of every component, ordered by id.
    public func statistics() -> [ComponentStatistics] {
        let s = labels.size
        var counts = [Int](repeating: 0, count: count)
        var sums = [SIMD3<Double>](repeating: .zero, count: count)
        var lower = [SIMD3<Int>](repeating: SIMD3(repeating: .max), count: count)
        var upper = [SIMD3<Int>](repeating: SIMD3(repeating: -1), count: count)
        labels.voxels.elements.withUnsafeBufferPointer { ids in
            var index = 0
            for k in 0..<s.z {
                for j in 0..<s.y {
                    for i in 0..<s.x {
                        let id = Int(ids[index])
                        index += 1
                        if id == 0 { continue }
                        let c = id - 1
                        counts[c] += 1
                        let p = SIMD3(i, j, k)
                        sums[c] += SIMD3<Double>(Double(i), Double(j), Double(k))
                        lower[c] = pointwiseMin(lower[c], p)
                        upper[c] = pointwiseMax(upper[c], p)
                    }
                }
            }
        }
        let voxelVolume = labels.geometry.voxelVolumeMM3
        return (0..<count).map { c in
            let centroid = sums[c] / Double(max(1, counts[c]))
            return ComponentStatistics(
                id: c + 1, value: values[c], voxelCount: counts[c], volumeMM3: Double(counts[c]) * voxelVolume,
                boundingBox: IndexBox(lower: lower[c], upper: upper[c] &+ 1), centroidIndex: centroid,
                centroidWorld: labels.geometry.worldPoint(atIndex: centroid))
        }
    }
}

extension VolumeGeometry {
    /// Volume of one voxel in mm³ (product of the spacing).
    public var voxelVolumeMM3: Double { spacing.x * spacing.y * spacing.z }
}
