// Several models' label maps: merged by one priority list, and old-versus-new disagreement flagged.
//
// Merge: LabelOps' `mergeLabelMaps` with the research note's order (§4.2, §8 item 7): tumour > artery > vein >
// ureter > kidney > fat: thin tubular structures keep their connectivity, while parenchyma volume hardly
// changes. Every contested voxel count is reported per (winner, loser) pair.
// Agreement: per structure, the Dice of an old and a new model's masks; below a threshold the case is
// flagged for review, never silently "fixed" (the new model's output is the one used). Default thresholds:
// kidney 0.90, tumour 0.70 (research note §4.2 recommendation; realistic Dice targets in §3.2).
public import ArrayCore
public import LabelOps
public import VolumeCore

extension StructureLabels {
    /// The default overlap priority, highest first: tumour, artery, vein, ureter, kidney, fat.
    public var defaultPriority: [UInt8] { [tumor, artery, vein, ureter, kidney, fat].filter { $0 != 0 } }
}

/// A merged label map and the overlaps the priority resolved, with structure names.
public struct ModelMerge: Sendable {
    public var labelMap: Volume<UInt8>
    /// Contested voxels per (winner, loser) pair.
    public var overlaps: [ResolvedOverlap]
}

/// Voxels two structures both claimed, and which one won.
public struct ResolvedOverlap: Sendable, Hashable, Codable {
    public var winner: String
    public var loser: String
    public var voxels: Int
    public var volumeMM3: Double
}

/// Merges model outputs (each mapped to Organa's labels) by `priority`, highest first.
/// - Throws: `PostProcessingError.geometryMismatch` naming the model whose grid differs;
///   `.invalidOption` when there are no outputs or the priority misses a label.
public func mergeModelOutputs(
    _ outputs: [LabelMergeSource], priority: [UInt8]? = nil, labels: StructureLabels = StructureLabels()
) throws(PostProcessingError) -> ModelMerge {
    let order = priority ?? labels.defaultPriority
    let merged = try labelOp("merging model outputs") { () throws(LabelOpsError) in
        try mergeLabelMaps(outputs, priority: order)
    }
    guard let merged else { throw PostProcessingError(.invalidOption, "no model outputs to merge") }
    let voxelVolume = merged.labelMap.geometry.voxelVolumeMM3
    return ModelMerge(
        labelMap: merged.labelMap,
        overlaps: merged.overlaps.map {
            ResolvedOverlap(
                winner: labels.name(of: $0.winner), loser: labels.name(of: $0.loser), voxels: $0.voxels,
                volumeMM3: Double($0.voxels) * voxelVolume)
        })
}

/// How far an old and a new model agree on one structure.
public struct ModelAgreement: Sendable, Hashable, Codable {
    public var structure: String
    /// Dice of the two masks (1 when both are empty).
    public var dice: Double
    public var threshold: Double
    /// `dice < threshold`: a reviewer should look at this case.
    public var flagged: Bool
    public var oldVoxels: Int
    public var newVoxels: Int
}

/// Compares an old and a new model's label maps structure by structure (`thresholds`: label → minimum Dice;
/// default kidney 0.90, tumour 0.70). Nothing is changed; disagreements are only reported.
/// - Throws: `PostProcessingError.geometryMismatch` when the grids differ; `.invalidOption` for a threshold
///   outside 0...1.
public func compareModels(
    old: Volume<UInt8>, new: Volume<UInt8>, thresholds: [UInt8: Double]? = nil,
    labels: StructureLabels = StructureLabels()
) throws(PostProcessingError) -> [ModelAgreement] {
    try labelOp("old vs new model") { () throws(LabelOpsError) in
        try requireSameGrid(old, new, names: ("old model", "new model"))
    }
    let limits = thresholds ?? [labels.kidney: 0.90, labels.tumor: 0.70]
    if let bad = limits.first(where: { !(0...1).contains($0.value) }) {
        throw PostProcessingError(
            .invalidOption, "Dice threshold \(bad.value) for \(labels.name(of: bad.key)) must be in 0...1")
    }
    var both = [Int](repeating: 0, count: 256)
    var inOld = [Int](repeating: 0, count: 256)
    var inNew = [Int](repeating: 0, count: 256)
    old.voxels.elements.withUnsafeBufferPointer { a in
        new.voxels.elements.withUnsafeBufferPointer { b in
            for index in 0..<a.count {
                inOld[Int(a[index])] += 1
                inNew[Int(b[index])] += 1
                if a[index] == b[index] { both[Int(a[index])] += 1 }
            }
        }
    }
    return limits.keys.sorted().map { label in
        let l = Int(label)
        let total = inOld[l] + inNew[l]
        let dice = total == 0 ? 1 : 2 * Double(both[l]) / Double(total)
        let threshold = limits[label] ?? 0
        return ModelAgreement(
            structure: labels.name(of: label), dice: dice, threshold: threshold, flagged: dice < threshold,
            oldVoxels: inOld[l], newVoxels: inNew[l])
    }
}
