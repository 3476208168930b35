// Masks and relabelling of uint8 label maps through a 256-entry lookup table.
//
// Algorithm: one pass over the voxels with a table lookup, written with unsafe buffers so that it compiles to
// a tight loop (a generic `Volume.map` from another module runs unspecialised, about 10× slower on a
// 512×512×300 grid).
// Conventions: results share the input's grid and geometry.
public import ArrayCore
public import VolumeCore

/// Every voxel of `labelMap` replaced by `table[value]` (`table` has 256 entries).
public func relabeled(_ labelMap: Volume<UInt8>, table: [UInt8]) -> Volume<UInt8> {
    precondition(table.count == 256, "a relabelling table has 256 entries")
    let count = labelMap.voxelCount
    let elements = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
        labelMap.voxels.elements.withUnsafeBufferPointer { values in
            table.withUnsafeBufferPointer { lookup in
                for index in 0..<count { out[index] = lookup[Int(values[index])] }
            }
        }
        initialized = count
    }
    return Volume(unchecked: NDArray(uncheckedShape: labelMap.voxels.shape, elements: elements), labelMap.geometry)
}

/// A 0/1 mask of the voxels whose value is in `values`.
public func binaryMask(of labelMap: Volume<UInt8>, values: Set<UInt8>) -> Volume<UInt8> {
    var table = [UInt8](repeating: 0, count: 256)
    for value in values { table[Int(value)] = 1 }
    return relabeled(labelMap, table: table)
}

/// A 0/1 mask of the voxels whose value is not in `values`.
public func binaryMask(of labelMap: Volume<UInt8>, excluding values: Set<UInt8>) -> Volume<UInt8> {
    var table = [UInt8](repeating: 1, count: 256)
    for value in values { table[Int(value)] = 0 }
    return relabeled(labelMap, table: table)
}

/// A zero-filled uint8 volume on `geometry` (one specialised allocation instead of a generic fill).
public func zeroLabelMap(size: SIMD3<Int>, geometry: VolumeGeometry) -> Volume<UInt8> {
    let elements = [UInt8](repeating: 0, count: size.x * size.y * size.z)
    return Volume(unchecked: NDArray(uncheckedShape: [size.z, size.y, size.x], elements: elements), geometry)
}

/// The smallest index box holding every voxel whose value is in `values`, or nil when there is none.
public func boundingBox(of labelMap: Volume<UInt8>, values: Set<UInt8>) -> IndexBox? {
    var table = [Bool](repeating: false, count: 256)
    for value in values { table[Int(value)] = true }
    let s = labelMap.size
    var lower = SIMD3<Int>(s.x, s.y, s.z)
    var upper = SIMD3<Int>(-1, -1, -1)
    labelMap.voxels.elements.withUnsafeBufferPointer { voxels in
        table.withUnsafeBufferPointer { inside in
            for k in 0..<s.z {
                for j in 0..<s.y {
                    let row = (k * s.y + j) * s.x
                    var first = -1
                    var last = -1
                    for i in 0..<s.x where inside[Int(voxels[row + i])] {
                        if first < 0 { first = i }
                        last = i
                    }
                    guard first >= 0 else { continue }
                    lower = pointwiseMin(lower, SIMD3(first, j, k))
                    upper = pointwiseMax(upper, SIMD3(last, j, k))
                }
            }
        }
    }
    return upper.x < 0 ? nil : IndexBox(lower: lower, upper: upper &+ 1)
}

/// A 0/1 mask of the voxels of `volume` whose value lies in `window` (e.g. the fat window of a CT in HU).
public func windowMask(_ volume: Volume<Int16>, window: ClosedRange<Int16>) -> Volume<UInt8> {
    let count = volume.voxelCount
    let (low, high) = (window.lowerBound, window.upperBound)
    let elements = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
        volume.voxels.elements.withUnsafeBufferPointer { values in
            for index in 0..<count { out[index] = values[index] >= low && values[index] <= high ? 1 : 0 }
        }
        initialized = count
    }
    return Volume(unchecked: NDArray(uncheckedShape: volume.voxels.shape, elements: elements), volume.geometry)
}
