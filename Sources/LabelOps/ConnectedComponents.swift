// Connected-component labelling of a label map.
//
// Algorithm: two-pass union-find (Rosenfeld–Pfaltz; Wu, Otoo & Suzuki, "Optimizing two-pass
// connected-component labeling algorithms", Pattern Anal. Appl. 2009), run on z-slabs in parallel:
// each slab scans its voxels in raster order, looks only at the backward half of the neighbourhood and
// records label equivalences in its own union-find; the slabs' tables are then concatenated, voxels on slab
// seams are united with the slice before them, and a last parallel pass writes final ids.
// Conventions: multi-label like cc3d — two neighbouring voxels join only when their values are equal and
// non-zero. Unions always hang the larger root under the smaller, so a root is its component's smallest
// provisional label, i.e. the label of its first voxel in raster order (z slowest, x fastest); final ids
// are therefore 1...count in order of first appearance, the same numbering as cc3d on a C-order array and
// scipy.ndimage.label.
// Limits: fewer than 2³² voxels; provisional tables use 4 bytes per provisional label (at most one per
// foreground voxel, in practice far fewer).
public import ArrayCore
public import VolumeCore

/// The result of `connectedComponents`: an id per voxel and the input value of each component.
public struct ComponentLabeling: Sendable {
    /// Component ids `1...count` (0 = background), numbered by first appearance in raster order; same grid
    /// and geometry as the input.
    public var labels: Volume<UInt32>
    /// Number of components.
    public var count: Int
    /// The input value of each component: `values[id - 1]`.
    public var values: [UInt8]
}

/// Labels the connected components of every non-zero value of `labelMap` (cc3d's multi-label semantics:
/// voxels join only when they hold the same value).
/// - Throws: `LabelOpsError.tooManyComponents` when the grid has 2³² voxels or more.
public func connectedComponents(
    _ labelMap: Volume<UInt8>, connectivity: Connectivity = .twentySix
) throws(LabelOpsError) -> ComponentLabeling {
    try connectedComponents(labelMap, connectivity: connectivity, slabCount: nil)
}

/// `connectedComponents` with a forced number of z-slabs (tests check that seams join correctly).
func connectedComponents(
    _ labelMap: Volume<UInt8>, connectivity: Connectivity, slabCount: Int?
) throws(LabelOpsError) -> ComponentLabeling {
    guard labelMap.voxelCount < Int(UInt32.max) else {
        throw LabelOpsError(
            .tooManyComponents, "a grid of \(labelMap.size) has too many voxels for 32-bit component ids")
    }
    var labeler = SlabLabeler(size: labelMap.size, connectivity: connectivity, slabCount: slabCount)
    return labeler.run(labelMap)
}

/// The per-slab union-find labeller behind `connectedComponents`.
private struct SlabLabeler {
    let size: SIMD3<Int>
    let connectivity: Connectivity
    let slabCount: Int?

    init(size: SIMD3<Int>, connectivity: Connectivity, slabCount: Int?) {
        self.size = size
        self.connectivity = connectivity
        self.slabCount = slabCount
    }

    /// One slab's provisional labels: union-find parents (local, 0-based) and the value of each label.
    struct Table {
        var parent: [UInt32] = []
        var value: [UInt8] = []
    }

    mutating func run(_ labelMap: Volume<UInt8>) -> ComponentLabeling {
        let slabs = slabRanges()
        let sliceCount = size.x * size.y
        // Pass 1: provisional local labels (1-based within the slab) per voxel, one table per slab.
        var provisional = [UInt32](repeating: 0, count: labelMap.voxelCount)
        var tables = [Table](repeating: Table(), count: slabs.count)
        labelMap.voxels.elements.withUnsafeBufferPointer { values in
            provisional.withUnsafeMutableBufferPointer { labels in
                tables.withUnsafeMutableBufferPointer { tableBuffer in
                    let shared = UncheckedSendable((values, labels, tableBuffer))
                    concurrentChunks(count: slabs.count) { range in
                        for slab in range {
                            let (v, l, t) = shared.value
                            t[slab] = scanSlab(slabs[slab], values: v, labels: l)
                        }
                    }
                }
            }
        }
        // Concatenate the tables with global bases, then join labels across slab seams.
        var bases = [Int](repeating: 0, count: slabs.count)
        var parent: [UInt32] = []
        var valueOf: [UInt8] = []
        for (slab, table) in tables.enumerated() {
            bases[slab] = parent.count
            let base = UInt32(parent.count)
            parent.append(contentsOf: table.parent.map { $0 + base })
            valueOf.append(contentsOf: table.value)
        }
        tables = []
        parent.withUnsafeMutableBufferPointer { parentBuffer in
            labelMap.voxels.elements.withUnsafeBufferPointer { values in
                provisional.withUnsafeBufferPointer { labels in
                    for slab in slabs.indices.dropFirst() {
                        joinSeam(
                            at: slabs[slab].lowerBound, base: bases[slab], previousBase: bases[slab - 1],
                            values: values, labels: labels, parent: parentBuffer)
                    }
                }
            }
        }
        // Resolve: roots are the smallest label of their set, so increasing order is first-appearance order.
        var final = [UInt32](repeating: 0, count: parent.count)
        var values: [UInt8] = []
        parent.withUnsafeMutableBufferPointer { p in
            for g in 0..<p.count {
                let root = Int(find(UInt32(g), p))
                if root == g {
                    values.append(valueOf[g])
                    final[g] = UInt32(values.count)
                } else {
                    final[g] = final[root]
                }
            }
        }
        // Pass 2: final ids.
        provisional.withUnsafeMutableBufferPointer { labels in
            final.withUnsafeBufferPointer { finalBuffer in
                let shared = UncheckedSendable((labels, finalBuffer))
                concurrentChunks(count: slabs.count) { range in
                    let (l, f) = shared.value
                    for slab in range {
                        let base = bases[slab] - 1
                        for index in (slabs[slab].lowerBound * sliceCount)..<(slabs[slab].upperBound * sliceCount)
                        where l[index] != 0 {
                            l[index] = f[base + Int(l[index])]
                        }
                    }
                }
            }
        }
        let volume = Volume(
            unchecked: NDArray(uncheckedShape: labelMap.voxels.shape, elements: provisional), labelMap.geometry)
        return ComponentLabeling(labels: volume, count: values.count, values: values)
    }

    /// z-ranges of the slabs: one per worker, at least 4 slices each (or `slabCount`).
    func slabRanges() -> [Range<Int>] {
        let workers = max(1, min(slabCount ?? min(ParallelSettings.workerCount, size.z / 4), size.z))
        let per = (size.z + workers - 1) / max(1, workers)
        return stride(from: 0, to: size.z, by: max(1, per)).map { $0..<min(size.z, $0 + per) }
    }

    /// Scans one slab in raster order; neighbours in the slice before the slab are left to `joinSeam`.
    func scanSlab(
        _ zRange: Range<Int>, values: UnsafeBufferPointer<UInt8>, labels: UnsafeMutableBufferPointer<UInt32>
    ) -> Table {
        var table = Table()
        let offsets = connectivity.backwardOffsets
        let (nx, ny) = (size.x, size.y)
        let deltas = offsets.map { ($0.z * ny + $0.y) * nx + $0.x }
        table.parent.reserveCapacity(1024)
        for z in zRange {
            for y in 0..<ny {
                var index = (z * ny + y) * nx
                for x in 0..<nx {
                    defer { index += 1 }
                    let value = values[index]
                    if value == 0 { continue }
                    var label: UInt32 = 0
                    for (n, offset) in offsets.enumerated() {
                        if offset.z < 0 && z == zRange.lowerBound { continue }
                        let ny2 = y + offset.y
                        let nx2 = x + offset.x
                        if ny2 < 0 || ny2 >= ny || nx2 < 0 || nx2 >= nx { continue }
                        let neighbour = index + deltas[n]
                        guard values[neighbour] == value else { continue }
                        let other = labels[neighbour]
                        if label == 0 {
                            label = other
                        } else if label != other {
                            table.union(label - 1, other - 1)
                        }
                    }
                    if label == 0 {
                        table.parent.append(UInt32(table.parent.count))
                        table.value.append(value)
                        label = UInt32(table.parent.count)
                    }
                    labels[index] = label
                }
            }
        }
        return table
    }

    /// Unites the labels of slice `z` (first of a slab) with their backward neighbours in slice `z - 1`.
    func joinSeam(
        at z: Int, base: Int, previousBase: Int, values: UnsafeBufferPointer<UInt8>,
        labels: UnsafeBufferPointer<UInt32>, parent: UnsafeMutableBufferPointer<UInt32>
    ) {
        let (nx, ny) = (size.x, size.y)
        let offsets = connectivity.backwardOffsets.filter { $0.z < 0 }
        for y in 0..<ny {
            for x in 0..<nx {
                let index = (z * ny + y) * nx + x
                let value = values[index]
                if value == 0 { continue }
                let mine = UInt32(base) + labels[index] - 1
                for offset in offsets {
                    let (x2, y2) = (x + offset.x, y + offset.y)
                    if x2 < 0 || x2 >= nx || y2 < 0 || y2 >= ny { continue }
                    let neighbour = index + (offset.z * ny + offset.y) * nx + offset.x
                    guard values[neighbour] == value else { continue }
                    unite(mine, UInt32(previousBase) + labels[neighbour] - 1, parent)
                }
            }
        }
    }
}

extension SlabLabeler.Table {
    /// Joins the sets of local labels `a` and `b` (0-based), the smaller root becoming the root.
    mutating func union(_ a: UInt32, _ b: UInt32) {
        parent.withUnsafeMutableBufferPointer { unite(a, b, $0) }
    }
}

/// Root of `label` with path halving.
@inline(__always)
private func find(_ label: UInt32, _ parent: UnsafeMutableBufferPointer<UInt32>) -> UInt32 {
    var x = label
    while parent[Int(x)] != x {
        let grand = parent[Int(parent[Int(x)])]
        parent[Int(x)] = grand
        x = grand
    }
    return x
}

/// Joins two sets; the smaller root wins so that roots stay first in raster order.
@inline(__always)
private func unite(_ a: UInt32, _ b: UInt32, _ parent: UnsafeMutableBufferPointer<UInt32>) {
    let ra = find(a, parent)
    let rb = find(b, parent)
    if ra < rb {
        parent[Int(rb)] = ra
    } else if rb < ra {
        parent[Int(ra)] = rb
    }
}
