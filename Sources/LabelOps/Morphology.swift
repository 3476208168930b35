// Binary morphology with a radius in millimetres on anisotropic grids.
//
// Algorithm: through the exact distance transform (`squaredDistanceField`): dilation by radius r keeps every
// voxel whose centre lies within r mm of a mask voxel's centre; erosion keeps every mask voxel farther than
// r mm from every background voxel. That is exactly dilation/erosion by the ellipsoidal structuring element
// { offset o : (oi·sx)² + (oj·sy)² + (ok·sz)² ≤ r² } (TotalSegmentator's `get_ellipsoid_structuring_element`
// idea, made exact), at O(N) cost whatever the radius. Work is confined to the mask's bounding box plus the
// reach of the radius.
// Conventions: masks are non-zero = inside; results are 0/1 on the input grid and geometry. Erosion treats
// voxels outside the grid as background by default, as scipy's `binary_erosion(border_value=0)`;
// closing = erosion(dilation), opening = dilation(erosion), as scipy's `binary_closing`/`binary_opening`.
// Limits: radius 0 returns the mask binarised.
public import ArrayCore
public import VolumeCore

/// Dilates `mask` by a ball of `radiusMM` (ellipsoid in voxels on anisotropic spacing).
/// - Throws: `LabelOpsError.invalidParameter` for a negative or non-finite radius.
public func dilate(_ mask: Volume<UInt8>, radiusMM: Double) throws(LabelOpsError) -> Volume<UInt8> {
    try validateRadius(radiusMM)
    guard let box = nonZeroBox(mask) else { return binarised(mask) }
    let reach = reachInVoxels(radiusMM, spacing: mask.geometry.spacing)
    let region = grown(box, by: reach, clippedTo: mask.size)
    let local = extract(mask, region)
    let squared = squaredDistanceField(size: region.size, spacing: mask.geometry.spacing) { local[$0] != 0 }
    let limit = radiusMM * radiusMM
    return inserted(into: mask, region) { squared[$0] <= limit }
}

/// Erodes `mask` by a ball of `radiusMM`. With `outsideIsBackground` (the default, like scipy's
/// `border_value=0`) voxels within `radiusMM` of the grid's edge are removed too.
/// - Throws: `LabelOpsError.invalidParameter` for a negative or non-finite radius.
public func erode(
    _ mask: Volume<UInt8>, radiusMM: Double, outsideIsBackground: Bool = true
) throws(LabelOpsError) -> Volume<UInt8> {
    try validateRadius(radiusMM)
    guard let box = nonZeroBox(mask) else { return binarised(mask) }
    let region = grown(box, by: SIMD3(repeating: 1), clippedTo: mask.size)
    let local = extract(mask, region)
    let spacing = mask.geometry.spacing
    let squared = squaredDistanceField(size: region.size, spacing: spacing) { local[$0] == 0 }
    let limit = radiusMM * radiusMM
    let size = mask.size
    let rs = region.size
    return inserted(into: mask, region) { index in
        guard local[index] != 0, squared[index] > limit else { return false }
        guard outsideIsBackground else { return true }
        let i = index % rs.x + region.lower.x
        let j = (index / rs.x) % rs.y + region.lower.y
        let k = index / (rs.x * rs.y) + region.lower.z
        let edge = SIMD3<Double>(
            Double(min(i + 1, size.x - i)), Double(min(j + 1, size.y - j)), Double(min(k + 1, size.z - k)))
        let step = edge * spacing
        return (0..<3).allSatisfy { step[$0] * step[$0] > limit }
    }
}

/// Morphological closing (dilation, then erosion) with a ball of `radiusMM`.
public func close(
    _ mask: Volume<UInt8>, radiusMM: Double, outsideIsBackground: Bool = true
) throws(LabelOpsError) -> Volume<UInt8> {
    try erode(dilate(mask, radiusMM: radiusMM), radiusMM: radiusMM, outsideIsBackground: outsideIsBackground)
}

/// Morphological opening (erosion, then dilation) with a ball of `radiusMM`.
public func open(
    _ mask: Volume<UInt8>, radiusMM: Double, outsideIsBackground: Bool = true
) throws(LabelOpsError) -> Volume<UInt8> {
    try dilate(erode(mask, radiusMM: radiusMM, outsideIsBackground: outsideIsBackground), radiusMM: radiusMM)
}

/// The structuring element offsets (Δi, Δj, Δk) of a ball of `radiusMM` on `spacing` (for tests and docs).
public func ballOffsets(radiusMM: Double, spacing: SIMD3<Double>) -> [SIMD3<Int>] {
    let reach = reachInVoxels(radiusMM, spacing: spacing)
    var offsets: [SIMD3<Int>] = []
    for k in -reach.z...reach.z {
        for j in -reach.y...reach.y {
            for i in -reach.x...reach.x {
                let a = Double(i) * spacing.x
                let b = Double(j) * spacing.y
                let c = Double(k) * spacing.z
                if a * a + b * b + c * c <= radiusMM * radiusMM { offsets.append(SIMD3(i, j, k)) }
            }
        }
    }
    return offsets
}

// MARK: - Helpers shared with the other mask operations

func validateRadius(_ radius: Double) throws(LabelOpsError) {
    guard radius.isFinite, radius >= 0 else {
        throw LabelOpsError(.invalidParameter, "radius \(radius) mm must be finite and ≥ 0")
    }
}

/// Voxels a radius can reach along each axis.
func reachInVoxels(_ radius: Double, spacing: SIMD3<Double>) -> SIMD3<Int> {
    SIMD3(
        Int((radius / spacing.x).rounded(.down)), Int((radius / spacing.y).rounded(.down)),
        Int((radius / spacing.z).rounded(.down)))
}

func grown(_ box: IndexBox, by margin: SIMD3<Int>, clippedTo size: SIMD3<Int>) -> IndexBox {
    IndexBox(
        lower: pointwiseMax(box.lower &- margin, .zero), upper: pointwiseMin(box.upper &+ margin, size))
}

/// The voxels of `region` as a contiguous `[z][y][x]` array.
func extract(_ volume: Volume<UInt8>, _ region: IndexBox) -> [UInt8] {
    let rs = region.size
    var out = [UInt8](repeating: 0, count: rs.x * rs.y * rs.z)
    volume.voxels.elements.withUnsafeBufferPointer { source in
        var position = 0
        for k in region.lower.z..<region.upper.z {
            for j in region.lower.y..<region.upper.y {
                let row = volume.linearIndex(region.lower.x, j, k)
                for i in 0..<rs.x { out[position + i] = source[row + i] }
                position += rs.x
            }
        }
    }
    return out
}

/// A 0/1 volume on `template`'s grid: 1 where `isInside(local index)` holds inside `region`, 0 elsewhere.
func inserted(into template: Volume<UInt8>, _ region: IndexBox, isInside: (Int) -> Bool) -> Volume<UInt8> {
    var out = zeroLabelMap(size: template.size, geometry: template.geometry)
    let rs = region.size
    out.voxels.elements.withUnsafeMutableBufferPointer { target in
        var position = 0
        for k in region.lower.z..<region.upper.z {
            for j in region.lower.y..<region.upper.y {
                let row = template.linearIndex(region.lower.x, j, k)
                for i in 0..<rs.x where isInside(position + i) { target[row + i] = 1 }
                position += rs.x
            }
        }
    }
    return out
}

/// The box of the non-zero voxels.
func nonZeroBox(_ mask: Volume<UInt8>) -> IndexBox? {
    boundingBox(of: mask, values: Set(1...255))
}

func binarised(_ mask: Volume<UInt8>) -> Volume<UInt8> {
    binaryMask(of: mask, excluding: [0])
}
