public import LabelOps

/// Options of `correctLabelMap`: which corrections run, per structure, with the literature defaults (sources
/// in each comment; the synthesis is `shared/research/postprocess-and-orchestration.md` §4.1 and §8).
///
/// Every correction reports what it changed (`CorrectionChange`); none runs silently.
public struct CorrectionOptions: Sendable, Hashable, Codable {
    /// Keep only the largest component of kidney ∪ tumour on each body side; kidney voxels of the other
    /// components are removed. Default `true` (nnU-Net's `remove_all_but_largest_component`, applied per
    /// side because kidneys are paired; research note §8 item 8).
    public var keepLargestKidneyPerSide: Bool
    /// Where left and right separate for `keepLargestKidneyPerSide`. Default: the grid's centre plane.
    public var sideSplit: SideSplit
    /// How holes in the kidney are filled. Default `.threeD`: only background fully enclosed by kidney ∪
    /// tumour becomes kidney, so the renal sinus, which opens at the hilum, is left alone (research note
    /// §4.1: no slice-wise fill for kidney when the sinus is not labelled as kidney).
    public var kidneyHoleFill: HoleFill
    /// Tumour components farther than this from the kidney (mm, nearest voxel centres) are removed. Default
    /// 10 mm: keep tumour touching or within ~5–10 mm of the kidney, never force it inside, because exophytic
    /// masses extend beyond the parenchyma (research note §4.1 "Nesting"). `nil` = off.
    public var tumorMaximumDistanceMM: Double?
    /// Vessel and ureter fragments: components below `minimumVolumeMM3` are removed unless they lie within
    /// `trunkGapMM` of a component at least that large (the trunk). Defaults: artery and vein 200 mm³
    /// (TotalSegmentator's `remove_small_blobs`), ureter 50 mm³ (research note §8 item 8: ureters fragment),
    /// gap 5 mm.
    public var fragmentRules: [FragmentRule]
    /// Label values of the structures.
    public var labels: StructureLabels

    public init(
        keepLargestKidneyPerSide: Bool = true, sideSplit: SideSplit = .gridCentre, kidneyHoleFill: HoleFill = .threeD,
        tumorMaximumDistanceMM: Double? = 10, fragmentRules: [FragmentRule]? = nil,
        labels: StructureLabels = StructureLabels()
    ) {
        self.keepLargestKidneyPerSide = keepLargestKidneyPerSide
        self.sideSplit = sideSplit
        self.kidneyHoleFill = kidneyHoleFill
        self.tumorMaximumDistanceMM = tumorMaximumDistanceMM
        self.fragmentRules =
            fragmentRules ?? [
                FragmentRule(label: labels.artery, minimumVolumeMM3: 200, trunkGapMM: 5),
                FragmentRule(label: labels.vein, minimumVolumeMM3: 200, trunkGapMM: 5),
                FragmentRule(label: labels.ureter, minimumVolumeMM3: 50, trunkGapMM: 5),
            ]
        self.labels = labels
    }

    /// Checks every option, listing all problems.
    /// - Throws: `PostProcessingError.invalidOption`.
    public func validate() throws(PostProcessingError) {
        var problems: [String] = []
        if let d = tumorMaximumDistanceMM, !(d.isFinite && d >= 0) {
            problems.append("tumorMaximumDistanceMM = \(d) must be ≥ 0")
        }
        for rule in fragmentRules {
            if rule.label == 0 { problems.append("a fragment rule names label 0 (background)") }
            if !(rule.minimumVolumeMM3.isFinite && rule.minimumVolumeMM3 >= 0) {
                problems.append("fragment rule for label \(rule.label): minimumVolumeMM3 must be ≥ 0")
            }
            if !(rule.trunkGapMM.isFinite && rule.trunkGapMM >= 0) {
                problems.append("fragment rule for label \(rule.label): trunkGapMM must be ≥ 0")
            }
        }
        if Set(fragmentRules.map(\.label)).count != fragmentRules.count {
            problems.append("fragment rules name a label twice")
        }
        guard problems.isEmpty else { throw PostProcessingError(.invalidOption, problems.joined(separator: "; ")) }
    }
}

/// How holes in a structure are filled.
public enum HoleFill: String, Sendable, Hashable, Codable {
    /// No filling.
    case none
    /// Background enclosed in 3-D (scipy `binary_fill_holes`).
    case threeD
    /// Background enclosed within each axial slice (only for convex organs; fills the renal sinus).
    case sliceWise
}

/// The fragment rule of one tubular structure (vessel, ureter).
public struct FragmentRule: Sendable, Hashable, Codable {
    public var label: UInt8
    /// Components below this volume (mm³) are fragments.
    public var minimumVolumeMM3: Double
    /// A fragment within this distance (mm, nearest voxel centres) of a trunk component is kept.
    public var trunkGapMM: Double

    public init(label: UInt8, minimumVolumeMM3: Double, trunkGapMM: Double) {
        self.label = label
        self.minimumVolumeMM3 = minimumVolumeMM3
        self.trunkGapMM = trunkGapMM
    }
}
