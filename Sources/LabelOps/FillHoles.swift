// Hole filling in 3-D and slice by slice.
//
// Algorithm: a hole is background that cannot reach the grid's border through background. 3-D: label the
// background's connected components (`connectedComponents` on the inverted mask) and fill every component
// that does not touch a face of the grid, working on the mask's bounding box plus one voxel. 2-D: the same
// per slice along a chosen axis with a 4-connected flood fill from the slice's edges, slices in parallel.
// Conventions: scipy's `binary_fill_holes` — the background is 6-connected in 3-D and 4-connected in 2-D by
// default (scipy's default structure). Masks are non-zero = inside; results are 0/1.
// Limits: a cavity open to the border through a one-voxel channel is not a hole (as in scipy).
public import ArrayCore
public import VolumeCore

/// Fills the holes of `mask` in 3-D (scipy `binary_fill_holes`; background connectivity 6 by default).
/// Works on the mask's bounding box plus one voxel (all the outside is one background region there, as on the
/// full grid), so the cost follows the mask, not the grid.
public func fillHoles(
    _ mask: Volume<UInt8>, backgroundConnectivity: Connectivity = .six
) throws(LabelOpsError) -> Volume<UInt8> {
    guard let box = nonZeroBox(mask) else { return binarised(mask) }
    let region = grown(box, by: SIMD3(repeating: 1), clippedTo: mask.size)
    let local = extract(mask, region)
    let s = region.size
    var inverted = zeroLabelMap(size: s, geometry: mask.geometry)
    inverted.voxels.elements = local.map { $0 == 0 ? 1 : 0 }
    let labeling = try connectedComponents(inverted, connectivity: backgroundConnectivity)
    // A background component is not a hole when it reaches a face of the grid (or of the region, whose
    // margin is background connected to everything outside).
    var open = [Bool](repeating: false, count: labeling.count + 1)
    labeling.labels.voxels.elements.withUnsafeBufferPointer { ids in
        for k in 0..<s.z {
            for j in 0..<s.y {
                let row = (k * s.y + j) * s.x
                if k == 0 || k == s.z - 1 || j == 0 || j == s.y - 1 {
                    for i in 0..<s.x { open[Int(ids[row + i])] = true }
                } else {
                    open[Int(ids[row])] = true
                    open[Int(ids[row + s.x - 1])] = true
                }
            }
        }
    }
    return labeling.labels.voxels.elements.withUnsafeBufferPointer { ids in
        inserted(into: mask, region) { index in local[index] != 0 || !open[Int(ids[index])] }
    }
}

/// Fills the holes of `mask` in each 2-D slice perpendicular to `axis` (0 = x, 1 = y, 2 = z: axial
/// slices), background 4-connected within the slice (scipy `binary_fill_holes` on each slice).
/// - Throws: `LabelOpsError.invalidAxis` for an axis outside 0...2.
public func fillHolesSliceWise(_ mask: Volume<UInt8>, axis: Int = 2) throws(LabelOpsError) -> Volume<UInt8> {
    guard (0...2).contains(axis) else {
        throw LabelOpsError(.invalidAxis, "slice axis \(axis) must be 0 (x), 1 (y) or 2 (z)")
    }
    let plane = SlicePlane(size: mask.size, axis: axis)
    var output = binarised(mask)
    output.voxels.elements.withUnsafeMutableBufferPointer { buffer in
        let shared = UncheckedSendable(buffer)
        concurrentChunks(count: plane.sliceCount) { range in
            var slice = [UInt8](repeating: 0, count: plane.width * plane.height)
            var stack: [Int] = []
            for s in range {
                for v in 0..<plane.height {
                    for u in 0..<plane.width { slice[v * plane.width + u] = shared.value[plane.index(s, u, v)] }
                }
                fillHoles2D(&slice, width: plane.width, height: plane.height, stack: &stack)
                for v in 0..<plane.height {
                    for u in 0..<plane.width where slice[v * plane.width + u] != 0 {
                        shared.value[plane.index(s, u, v)] = 1
                    }
                }
            }
        }
    }
    return output
}

/// Indexing of the 2-D slices of a `[z][y][x]` grid perpendicular to one axis.
struct SlicePlane {
    let size: SIMD3<Int>
    let axis: Int
    /// The two in-plane axes (lower first).
    var uAxis: Int { axis == 0 ? 1 : 0 }
    var vAxis: Int { axis == 2 ? 1 : 2 }
    var width: Int { size[uAxis] }
    var height: Int { size[vAxis] }
    var sliceCount: Int { size[axis] }

    init(size: SIMD3<Int>, axis: Int) {
        self.size = size
        self.axis = axis
    }

    @inline(__always)
    func index(_ s: Int, _ u: Int, _ v: Int) -> Int {
        var p = SIMD3<Int>.zero
        p[axis] = s
        p[uAxis] = u
        p[vAxis] = v
        return (p.z * size.y + p.y) * size.x + p.x
    }
}

/// Fills background pixels (0) of a 2-D slice that the edge cannot reach 4-connectedly; marks the edge-
/// reachable background with 2 while working and restores it to 0.
func fillHoles2D(_ slice: inout [UInt8], width: Int, height: Int, stack: inout [Int]) {
    stack.removeAll(keepingCapacity: true)
    func seed(_ p: Int) {
        if slice[p] == 0 {
            slice[p] = 2
            stack.append(p)
        }
    }
    for u in 0..<width {
        seed(u)
        seed((height - 1) * width + u)
    }
    for v in 0..<height {
        seed(v * width)
        seed(v * width + width - 1)
    }
    while let p = stack.popLast() {
        let u = p % width
        let v = p / width
        if u > 0 { seed(p - 1) }
        if u < width - 1 { seed(p + 1) }
        if v > 0 { seed(p - width) }
        if v < height - 1 { seed(p + width) }
    }
    for p in 0..<slice.count { slice[p] = slice[p] == 2 ? 0 : 1 }
}
