public import LabelOps

/// Options of `perirenalFatMask`, with the literature defaults (sources in each comment; the synthesis is
/// `shared/research/postprocess-and-orchestration.md` §2).
public struct FatMaskOptions: Sendable, Hashable, Codable {
    /// How far from kidney ∪ tumour (mm, centre to centre) fat counts as perirenal. Default 20 mm: MAP's
    /// clinically relevant posterior thickness runs from < 10 mm to ≥ 20 mm (Davidiuk et al., Eur Urol 2014),
    /// and a 20–30 mm shell captures essentially all posterior PRF; Li et al. (Int J Surg 2024) and the
    /// dt10016 PRAT scripts also build PRF as a dilation shell around kidney ∪ tumour intersected with fat.
    public var distanceMM: Double
    /// Keep only fat connected (26-neighbourhood) to the fat touching the organ, i.e. stop at the first
    /// non-fat layer (Gerota's fascia, muscle, bowel wall) instead of crossing it into visceral fat that
    /// happens to lie within `distanceMM`. Default `true`. Gerota's fascia is rarely segmented; this uses the
    /// fascia's own soft-tissue attenuation as the boundary (a thin fascia blurred by partial volume can leak).
    public var requireConnectionToOrgan: Bool
    /// Fat within this distance (mm) of the organ seeds the connectivity rule. Default 3 mm.
    public var seedDistanceMM: Double
    /// How renal sinus fat (inside the kidney's hull) is excluded. Default `.sliceConvexHull`.
    public var sinus: SinusExclusion
    /// Also claim the one-voxel layer between the organ and the mask that is neither a fat candidate nor a
    /// structure: at the renal capsule fat and parenchyma share voxels, whose HU falls between the fat window
    /// and the kidney's, so a window alone leaves a gap there. Default `true` (on the phantoms it lifts the
    /// Dice against the perirenal-fat truth by 0.02–0.03).
    public var partialVolumeRim: Bool
    /// PRF components smaller than this (mm³) are dropped. Default 500 mm³ (research note §2.4 step 7).
    public var minimumComponentMM3: Double
    /// Where left and right separate (for organ components; fat takes the side of the nearer organ).
    public var sideSplit: SideSplit
    /// Label values of the input structures.
    public var labels: StructureLabels

    public init(
        distanceMM: Double = 20, requireConnectionToOrgan: Bool = true, seedDistanceMM: Double = 3,
        sinus: SinusExclusion = .sliceConvexHull, partialVolumeRim: Bool = true, minimumComponentMM3: Double = 500,
        sideSplit: SideSplit = .gridCentre, labels: StructureLabels = StructureLabels()
    ) {
        self.distanceMM = distanceMM
        self.requireConnectionToOrgan = requireConnectionToOrgan
        self.seedDistanceMM = seedDistanceMM
        self.sinus = sinus
        self.partialVolumeRim = partialVolumeRim
        self.minimumComponentMM3 = minimumComponentMM3
        self.sideSplit = sideSplit
        self.labels = labels
    }

    /// Checks every option, listing all problems.
    public func validate() throws(PostProcessingError) {
        var problems: [String] = []
        if !(distanceMM.isFinite && distanceMM > 0) { problems.append("distanceMM = \(distanceMM) must be > 0") }
        if !(seedDistanceMM.isFinite && seedDistanceMM >= 0) {
            problems.append("seedDistanceMM = \(seedDistanceMM) must be ≥ 0")
        }
        if !(minimumComponentMM3.isFinite && minimumComponentMM3 >= 0) {
            problems.append("minimumComponentMM3 = \(minimumComponentMM3) must be ≥ 0")
        }
        guard problems.isEmpty else { throw PostProcessingError(.invalidOption, problems.joined(separator: "; ")) }
    }
}

/// How renal sinus fat is told apart from perirenal fat.
public enum SinusExclusion: String, Sendable, Hashable, Codable {
    /// Everything inside the 2-D convex hull of each kidney on each axial slice is sinus (the slice-wise hull
    /// of the renal-sinus-fat function in the Dixon-MRI renal pipeline, research note §2.3 item 5). A 3-D fill
    /// cannot do it: the sinus opens to the hilum.
    case sliceConvexHull
    /// No sinus exclusion (fat inside the hull counts as perirenal).
    case none
}
