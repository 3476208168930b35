import ArrayCore
import LabelOps
import VolumeCore

/// One side's working region: the organ's bounding box grown by the fat distance, with per-voxel data.
struct SideRegion {
    var side: BodySide
    /// The region in the full grid.
    var box: IndexBox
    /// Squared distance (mm²) to this side's organ (kidney ∪ tumour), `[z][y][x]` within `box`.
    var squaredDistance: [Double]
    /// The slice-wise convex hull of this side's kidney (parenchyma + sinus) within `box`.
    var hull: [UInt8]
    /// Input labels within `box`.
    var labels: [UInt8]
    /// Fat candidates that qualify as PRF of this side before the two sides compete.
    var candidate: [UInt8]
}

/// One side's organ components in the organ labelling.
struct OrganSide {
    var side: BodySide
    /// Box of the side's components.
    var box: IndexBox
    /// `onSide[id]`: component `id` belongs to this side.
    var onSide: [Bool]
    var labeling: ComponentLabeling
}

/// The steps of `perirenalFatMask`.
struct FatMaskBuilder {
    let labels: Volume<UInt8>
    let fatCandidate: Volume<UInt8>
    let options: FatMaskOptions

    /// The organ (kidney ∪ tumour) components of each side: their ids and box; sides without organ left out.
    func organBySide() throws(PostProcessingError) -> [OrganSide] {
        let (kidney, tumor) = (options.labels.kidney, options.labels.tumor)
        let organ = binaryMask(of: labels, values: [kidney, tumor])
        let labeling = try labelOp("organ components") { () throws(LabelOpsError) in
            try connectedComponents(organ, connectivity: .twentySix)
        }
        guard labeling.count > 0 else { return [] }
        let plane = options.sideSplit.planeX(geometry: labels.geometry, size: labels.size)
        let statistics = labeling.statistics()
        return BodySide.allCases.compactMap { side in
            let components = statistics.filter { options.sideSplit.side(of: $0.centroidWorld, planeX: plane) == side }
            guard var box = components.first?.boundingBox else { return nil }
            var onSide = [Bool](repeating: false, count: labeling.count + 1)
            for component in components {
                onSide[component.id] = true
                box = IndexBox(
                    lower: pointwiseMin(box.lower, component.boundingBox.lower),
                    upper: pointwiseMax(box.upper, component.boundingBox.upper))
            }
            return OrganSide(side: side, box: box, onSide: onSide, labeling: labeling)
        }
    }

    /// The working region and PRF candidates of one side.
    func sideRegion(_ organ: OrganSide) -> SideRegion {
        let side = organ.side
        let spacing = labels.geometry.spacing
        let reach = SIMD3(
            Int(options.distanceMM / spacing.x) + 1, Int(options.distanceMM / spacing.y) + 1,
            Int(options.distanceMM / spacing.z) + 1)
        let box = IndexBox(
            lower: pointwiseMax(organ.box.lower &- reach, .zero),
            upper: pointwiseMin(organ.box.upper &+ reach, labels.size))
        let ids = cropped(organ.labeling.labels, box).voxels.elements
        let labelCrop = elements(labels, box)
        let organCrop = ids.map { organ.onSide[Int($0)] }
        var kidneyCrop = zeroLabelMap(size: box.size, geometry: labels.geometry)
        for p in 0..<ids.count where organCrop[p] && labelCrop[p] == options.labels.kidney {
            kidneyCrop.voxels.elements[p] = 1
        }
        let squared = squaredDistanceField(size: box.size, spacing: spacing) { organCrop[$0] }
        let hull = sliceConvexHull(kidneyCrop).voxels.elements
        let fatCrop = elements(fatCandidate, box)
        let limit = options.distanceMM * options.distanceMM
        let excludeHull = options.sinus == .sliceConvexHull
        let fatLabel = options.labels.fat
        var candidate = [UInt8](repeating: 0, count: squared.count)
        for p in 0..<candidate.count
        where fatCrop[p] != 0 && (labelCrop[p] == 0 || (fatLabel != 0 && labelCrop[p] == fatLabel))
            && squared[p] <= limit && !(excludeHull && hull[p] != 0)
        {
            candidate[p] = 1
        }
        return SideRegion(
            side: side, box: box, squaredDistance: squared, hull: hull, labels: labelCrop, candidate: candidate)
    }

    /// Paints each side's candidates, a voxel claimed by both going to the nearer organ (left on a tie).
    func assemble(_ regions: [SideRegion]) -> Volume<UInt8> {
        var mask = zeroLabelMap(size: labels.size, geometry: labels.geometry)
        for (r, region) in regions.enumerated() {
            forEachVoxel(in: region.box) { local, i, j, k in
                guard region.candidate[local] != 0 else { return }
                for (o, other) in regions.enumerated() where o != r {
                    guard let otherLocal = localIndex(i, j, k, in: other.box) else { continue }
                    let mine = region.squaredDistance[local]
                    let theirs = other.squaredDistance[otherLocal]
                    if theirs < mine || (theirs == mine && other.side == .left) { return }
                }
                mask[i, j, k] = FatSideLabel.value(region.side)
            }
        }
        return mask
    }

    /// Applies the connectivity rule and the minimum component volume inside the union of the regions.
    func cleaned(_ mask: Volume<UInt8>, regions: [SideRegion]) throws(PostProcessingError) -> Volume<UInt8> {
        var union = regions[0].box
        for region in regions.dropFirst() {
            union = IndexBox(
                lower: pointwiseMin(union.lower, region.box.lower), upper: pointwiseMax(union.upper, region.box.upper))
        }
        var crop: Volume<UInt8>
        do {
            crop = try mask.cropped(to: union)
        } catch {
            return mask
        }
        if options.requireConnectionToOrgan {
            let labeling = try labelOp("fat components") { () throws(LabelOpsError) in
                try connectedComponents(crop, connectivity: .twentySix)
            }
            var seeded = [Bool](repeating: false, count: labeling.count + 1)
            let seedLimit = options.seedDistanceMM * options.seedDistanceMM
            for region in regions {
                forEachVoxel(in: region.box) { local, i, j, k in
                    guard region.squaredDistance[local] <= seedLimit else { return }
                    let g = crop.linearIndex(i - union.lower.x, j - union.lower.y, k - union.lower.z)
                    if crop.voxels.elements[g] == FatSideLabel.value(region.side) {
                        seeded[Int(labeling.labels.voxels.elements[g])] = true
                    }
                }
            }
            for g in 0..<crop.voxelCount where !seeded[Int(labeling.labels.voxels.elements[g])] {
                crop.voxels.elements[g] = 0
            }
        }
        if options.minimumComponentMM3 > 0 {
            crop = try labelOp("small fat components") { () throws(LabelOpsError) in
                try removeSmallComponents(crop, minimumVolumeMM3: options.minimumComponentMM3).labelMap
            }
        }
        var out = mask
        forEachVoxel(in: union) { local, i, j, k in out[i, j, k] = crop.voxels.elements[local] }
        return out
    }

    /// Adds each side's capsule rim: voxels with a 26-neighbour in the side's organ and one in the side's
    /// mask that are no structure, not sinus and not yet in the mask.
    func addRim(to mask: inout Volume<UInt8>, regions: [SideRegion]) {
        let excludeHull = options.sinus == .sliceConvexHull
        let fatLabel = options.labels.fat
        var rim: [(Int, Int, Int, UInt8)] = []
        for region in regions {
            let value = FatSideLabel.value(region.side)
            forEachVoxel(in: region.box) { local, i, j, k in
                let label = region.labels[local]
                guard mask[i, j, k] == 0, region.squaredDistance[local] > 0,
                    label == 0 || (fatLabel != 0 && label == fatLabel), !(excludeHull && region.hull[local] != 0)
                else { return }
                let box = region.box
                let nearOrgan = anyNeighbour(i, j, k, in: box) { local, _ in region.squaredDistance[local] == 0 }
                if nearOrgan && anyNeighbour(i, j, k, in: box, { _, p in mask[p.x, p.y, p.z] == value }) {
                    rim.append((i, j, k, value))
                }
            }
        }
        for (i, j, k, value) in rim { mask[i, j, k] = value }
    }

    /// Volume, mean HU, border contact and posterior thickness of one side.
    func measure(
        _ region: SideRegion, mask: Volume<UInt8>, hu: Volume<Int16>?, warnings: inout [String]
    ) -> SideFatMeasurements {
        let value = FatSideLabel.value(region.side)
        var count = 0
        var huSum = 0.0
        var touches = false
        let s = mask.size
        var sideMask = [UInt8](repeating: 0, count: region.candidate.count)
        forEachVoxel(in: region.box) { local, i, j, k in
            guard mask[i, j, k] == value else { return }
            count += 1
            sideMask[local] = 1
            if let hu { huSum += Double(hu[i, j, k]) }
            if i == 0 || j == 0 || k == 0 || i == s.x - 1 || j == s.y - 1 || k == s.z - 1 { touches = true }
        }
        let thickness = measurePosteriorThickness(
            region: region, fat: sideMask, geometry: labels.geometry, veinLabel: options.labels.vein,
            warnings: &warnings)
        return SideFatMeasurements(
            side: region.side, voxelCount: count, volumeML: Double(count) * labels.geometry.voxelVolumeMM3 / 1000,
            meanHU: hu != nil && count > 0 ? huSum / Double(count) : nil, posteriorThickness: thickness,
            touchesBorder: touches)
    }
}

/// The voxels of `box` as a contiguous `[z][y][x]` array.
func elements(_ volume: Volume<UInt8>, _ box: IndexBox) -> [UInt8] {
    do {
        return try volume.cropped(to: box).voxels.elements
    } catch {
        return []
    }
}

/// Calls `body(local, i, j, k)` for every voxel of `box` in raster order.
@inline(__always)
func forEachVoxel(in box: IndexBox, _ body: (Int, Int, Int, Int) -> Void) {
    var local = 0
    for k in box.lower.z..<box.upper.z {
        for j in box.lower.y..<box.upper.y {
            for i in box.lower.x..<box.upper.x {
                body(local, i, j, k)
                local += 1
            }
        }
    }
}

/// Position of (i, j, k) in `box`'s `[z][y][x]` array, or nil outside.
@inline(__always)
func localIndex(_ i: Int, _ j: Int, _ k: Int, in box: IndexBox) -> Int? {
    guard i >= box.lower.x, j >= box.lower.y, k >= box.lower.z, i < box.upper.x, j < box.upper.y, k < box.upper.z
    else { return nil }
    let s = box.size
    return ((k - box.lower.z) * s.y + (j - box.lower.y)) * s.x + (i - box.lower.x)
}

/// Whether a 26-neighbour of (i, j, k) inside `box` satisfies `test(local index in box, grid index)`.
func anyNeighbour(
    _ i: Int, _ j: Int, _ k: Int, in box: IndexBox, _ test: (Int, SIMD3<Int>) -> Bool
) -> Bool {
    for dk in -1...1 {
        for dj in -1...1 {
            for di in -1...1 where di != 0 || dj != 0 || dk != 0 {
                let p = SIMD3(i + di, j + dj, k + dk)
                if let local = localIndex(p.x, p.y, p.z, in: box), test(local, p) { return true }
            }
        }
    }
    return false
}
