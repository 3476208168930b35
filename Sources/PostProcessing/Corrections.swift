// Corrections of a merged label map from segmentation models, each reporting what it changed.
//
// Algorithm, in order (research note §4.1 and §8 item 8):
//   1. kidney: components of kidney ∪ tumour (26-connected); on each body side (component centroid against a
//      sagittal plane) the largest is kept and the kidney voxels of the others are removed (nnU-Net's
//      keep-largest, per side for a paired organ);
//   2. kidney holes: background enclosed by kidney ∪ tumour (3-D by default) becomes kidney;
//   3. tumour: components farther than a distance (mm) from every kidney voxel are removed;
//   4. vessels and ureter: components below a volume (mm³) are removed unless they lie within a gap (mm) of
//      a component of the same label at least that large (the trunk).
// Conventions: removed voxels become background (0); distances are between voxel centres in mm (exact EDT on
// the anisotropic grid, cropped to the component's box grown by the distance); components are 26-connected.
// Limits: thresholds are starting points from the literature, not tuned on validation data (nnU-Net learns
// its keep-largest rules per class from cross-validation; research note §4.1).
public import ArrayCore
import LabelOps
public import VolumeCore

/// What one correction changed for one structure.
public struct CorrectionChange: Sendable, Hashable, Codable {
    /// Which correction: `keepLargestKidneyPerSide`, `fillKidneyHoles`, `tumorNearKidney`, `dropFragments`.
    public var correction: String
    /// The structure's canonical name (`kidney`, `tumor`, `artery`, …) or "label N".
    public var structure: String
    /// Components removed (0 for hole filling).
    public var componentsRemoved: Int
    public var voxelsRemoved: Int
    public var voxelsAdded: Int
    /// Volume removed plus volume added, in mm³.
    public var volumeChangedMM3: Double
}

/// A corrected label map, every change made and things a reviewer should know.
public struct CorrectedLabelMap: Sendable {
    /// Same grid and geometry as the input.
    public var labelMap: Volume<UInt8>
    /// One entry per correction and structure that ran, in order, also when nothing changed.
    public var changes: [CorrectionChange]
    /// Corrections that could not run and why (no kidney to measure tumour distance against, …).
    public var warnings: [String]
}

/// Applies the corrections of `options` to `labelMap` (see the file header for the order).
/// An empty label map, or one without kidney, comes back unchanged with warnings (a documented result, not an
/// error).
/// - Throws: `PostProcessingError.invalidOption` for bad options.
public func correctLabelMap(
    _ labelMap: Volume<UInt8>, options: CorrectionOptions = CorrectionOptions()
) throws(PostProcessingError) -> CorrectedLabelMap {
    try options.validate()
    var corrector = Corrector(map: labelMap, options: options)
    try corrector.keepLargestKidneyPerSide()
    try corrector.fillKidneyHoles()
    // One multi-label labelling serves both: removing tumour components leaves the others' components as they
    // were.
    let labeling = try labelOp("structure components") { () throws(LabelOpsError) in
        try connectedComponents(corrector.map, connectivity: .twentySix)
    }
    let statistics = labeling.statistics()
    corrector.removeDistantTumor(labeling: labeling, statistics: statistics)
    corrector.dropFragments(labeling: labeling, statistics: statistics)
    return CorrectedLabelMap(labelMap: corrector.map, changes: corrector.changes, warnings: corrector.warnings)
}

/// The state of one `correctLabelMap` run.
struct Corrector {
    var map: Volume<UInt8>
    let options: CorrectionOptions
    var changes: [CorrectionChange] = []
    var warnings: [String] = []

    init(map: Volume<UInt8>, options: CorrectionOptions) {
        self.map = map
        self.options = options
    }

    var labels: StructureLabels { options.labels }
    var voxelVolume: Double { map.geometry.voxelVolumeMM3 }

    mutating func record(_ correction: String, _ label: UInt8, components: Int, removed: Int, added: Int) {
        changes.append(
            CorrectionChange(
                correction: correction, structure: labels.name(of: label), componentsRemoved: components,
                voxelsRemoved: removed, voxelsAdded: added, volumeChangedMM3: Double(removed + added) * voxelVolume))
    }

    mutating func keepLargestKidneyPerSide() throws(PostProcessingError) {
        guard options.keepLargestKidneyPerSide else { return }
        let (kidney, tumor) = (labels.kidney, labels.tumor)
        let organ = binaryMask(of: map, values: [kidney, tumor])
        let labeling = try labelOp("kidney components") { () throws(LabelOpsError) in
            try connectedComponents(organ, connectivity: .twentySix)
        }
        let statistics = labeling.statistics()
        let plane = options.sideSplit.planeX(geometry: map.geometry, size: map.size)
        var kept = [Bool](repeating: false, count: labeling.count + 1)
        for side in BodySide.allCases {
            let onSide = statistics.filter { options.sideSplit.side(of: $0.centroidWorld, planeX: plane) == side }
            if let largest = onSide.max(by: { ($0.voxelCount, -$0.id) < ($1.voxelCount, -$1.id) }) {
                kept[largest.id] = true
            }
        }
        var removed = 0
        var dropped = [Bool](repeating: false, count: labeling.count + 1)
        map.voxels.elements.withUnsafeMutableBufferPointer { values in
            labeling.labels.voxels.elements.withUnsafeBufferPointer { ids in
                for index in 0..<values.count where values[index] == kidney && !kept[Int(ids[index])] {
                    values[index] = 0
                    removed += 1
                    dropped[Int(ids[index])] = true
                }
            }
        }
        let droppedComponents = dropped.filter { $0 }
        if labeling.count == 0 { warnings.append("no kidney or tumour voxels: kidney corrections had nothing to do") }
        record("keepLargestKidneyPerSide", kidney, components: droppedComponents.count, removed: removed, added: 0)
    }

    mutating func fillKidneyHoles() throws(PostProcessingError) {
        guard options.kidneyHoleFill != .none else { return }
        let (kidney, tumor) = (labels.kidney, labels.tumor)
        guard let box = boundingBox(of: map, values: [kidney, tumor]) else {
            record("fillKidneyHoles", kidney, components: 0, removed: 0, added: 0)
            return
        }
        // One voxel of margin keeps the outside connected around the organ, as on the full grid.
        let region = IndexBox(
            lower: pointwiseMax(box.lower &- 1, .zero), upper: pointwiseMin(box.upper &+ 1, map.size))
        let crop = cropped(map, region)
        let organ = binaryMask(of: crop, values: [kidney, tumor])
        let fill = options.kidneyHoleFill
        let filled = try labelOp("kidney hole filling") { () throws(LabelOpsError) in
            fill == .threeD ? try fillHoles(organ) : try fillHolesSliceWise(organ, axis: 2)
        }
        var added = 0
        forEachVoxel(in: region) { local, i, j, k in
            if filled.voxels.elements[local] != 0 && crop.voxels.elements[local] == 0 {
                map[i, j, k] = kidney
                added += 1
            }
        }
        record("fillKidneyHoles", kidney, components: 0, removed: 0, added: added)
    }

    mutating func removeDistantTumor(labeling: ComponentLabeling, statistics: [ComponentStatistics]) {
        guard let limit = options.tumorMaximumDistanceMM else { return }
        let (kidney, tumor) = (labels.kidney, labels.tumor)
        let tumours = statistics.filter { $0.value == tumor }
        guard !tumours.isEmpty else {
            record("tumorNearKidney", tumor, components: 0, removed: 0, added: 0)
            return
        }
        guard boundingBox(of: map, values: [kidney]) != nil else {
            warnings.append("no kidney voxels: tumour components were kept without a distance check")
            record("tumorNearKidney", tumor, components: 0, removed: 0, added: 0)
            return
        }
        let far = tumours.filter { component in
            !isWithin(limit, of: { $0 == kidney }, component: component, labeling: labeling)
        }
        let removed = zeroComponents(Set(far.map(\.id)), labeling: labeling)
        record("tumorNearKidney", tumor, components: far.count, removed: removed, added: 0)
    }

    mutating func dropFragments(labeling: ComponentLabeling, statistics: [ComponentStatistics]) {
        for rule in options.fragmentRules {
            let label = rule.label
            let components = statistics.filter { $0.value == label }
            let trunks = Set(components.filter { $0.volumeMM3 >= rule.minimumVolumeMM3 }.map(\.id))
            let fragments = components.filter { !trunks.contains($0.id) }
            let dropped = fragments.filter { fragment in
                trunks.isEmpty
                    || !isWithin(
                        rule.trunkGapMM, of: { _ in true }, component: fragment, labeling: labeling,
                        targetIDs: trunks)
            }
            let removed = zeroComponents(Set(dropped.map(\.id)), labeling: labeling)
            record("dropFragments", label, components: dropped.count, removed: removed, added: 0)
        }
    }

    /// Whether some voxel of `component` lies within `distanceMM` of a target voxel: a voxel whose value
    /// satisfies `isTarget` and, when `targetIDs` is given, whose component id in `labeling` is one of them.
    func isWithin(
        _ distanceMM: Double, of isTarget: (UInt8) -> Bool, component: ComponentStatistics,
        labeling: ComponentLabeling, targetIDs: Set<Int>? = nil
    ) -> Bool {
        let spacing = map.geometry.spacing
        let reach = SIMD3(
            Int(distanceMM / spacing.x) + 1, Int(distanceMM / spacing.y) + 1, Int(distanceMM / spacing.z) + 1)
        let box = IndexBox(
            lower: pointwiseMax(component.boundingBox.lower &- reach, .zero),
            upper: pointwiseMin(component.boundingBox.upper &+ reach, map.size))
        let values = cropped(map, box).voxels.elements
        let ids = cropped(labeling.labels, box).voxels.elements
        let squared = squaredDistanceField(size: box.size, spacing: spacing) { index in
            let id = Int(ids[index])
            if let targetIDs { return targetIDs.contains(id) }
            return id != component.id && isTarget(values[index])
        }
        let limit = distanceMM * distanceMM
        let own = UInt32(component.id)
        return ids.indices.contains { ids[$0] == own && squared[$0] <= limit }
    }

    /// Sets the voxels of the components `ids` to background; returns how many voxels changed.
    mutating func zeroComponents(_ ids: Set<Int>, labeling: ComponentLabeling) -> Int {
        guard !ids.isEmpty else { return 0 }
        var drop = [Bool](repeating: false, count: labeling.count + 1)
        for id in ids { drop[id] = true }
        var removed = 0
        map.voxels.elements.withUnsafeMutableBufferPointer { values in
            labeling.labels.voxels.elements.withUnsafeBufferPointer { componentIDs in
                for index in 0..<values.count where drop[Int(componentIDs[index])] {
                    values[index] = 0
                    removed += 1
                }
            }
        }
        return removed
    }
}

/// The voxels of `box` of `volume` (the box lies inside the grid by construction of every caller).
func cropped<T: Scalar>(_ volume: Volume<T>, _ box: IndexBox) -> Volume<T> {
    do {
        return try volume.cropped(to: box)
    } catch {
        return Volume(size: .zero, geometry: volume.geometry, repeating: T.zero)
    }
}
