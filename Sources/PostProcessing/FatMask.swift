// Perirenal fat (PRF) mask from masks alone.
//
// Algorithm (research note §2.4, adapted to mask-only inputs): organ = kidney ∪ tumour, split into left and
// right by component centroid; per side, inside the organ's bounding box grown by the distance:
//   PRF = fat candidate ∩ {exact EDT to the organ ≤ distanceMM} − every labelled structure − renal sinus
//         (slice-wise convex hull of that side's kidney),
// each voxel on the side of the nearer organ. Then (option) only fat 26-connected to fat within
// `seedDistanceMM` of the organ is kept, so the mask stops at the first non-fat layer (Gerota's fascia,
// muscle, bowel wall) rather than crossing into visceral fat; components below `minimumComponentMM3` go.
// Papers: Li et al., Int J Surg 2024 (PRAT = VAT around the kidneys by dilation); Davidiuk et al., Eur Urol
// 2014 (MAP score); Favre et al., PLoS One 2017 (renal-vein-level thickness as a PRF proxy).
// Conventions: output label 1 = left (+x, LPS), 2 = right; fat-candidate mask non-zero = fat (the caller
// derives it from the CT, e.g. `fatCandidateMask(ct:window:)` −190…−30 HU). A label equal to
// `labels.fat` in the input is not a "structure" (it may be a previous fat mask).
// Limits: no explicit fascia or abdominal-wall model; sinus by slice-wise hull (axial = k axis).
public import ArrayCore
public import LabelOps
public import VolumeCore

/// Output label values of the fat mask.
public enum FatSideLabel {
    public static let left: UInt8 = 1
    public static let right: UInt8 = 2
    static func value(_ side: BodySide) -> UInt8 { side == .left ? left : right }
}

/// Measurements of one side's perirenal fat.
public struct SideFatMeasurements: Sendable, Hashable, Codable {
    public var side: BodySide
    public var voxelCount: Int
    /// Volume in mL (cm³).
    public var volumeML: Double
    /// Mean HU over the side's fat, when HU values were supplied.
    public var meanHU: Double?
    /// Posterior thickness at the renal-vein level, when it could be measured.
    public var posteriorThickness: PosteriorThickness?
    /// Whether the fat touches a face of the grid (the measurement may be truncated; TotalSegmentator flags
    /// such structures the same way).
    public var touchesBorder: Bool
}

/// The fat mask and its measurements.
public struct FatMaskResult: Sendable {
    /// 0 = not PRF, `FatSideLabel.left` (1), `FatSideLabel.right` (2); the input grid and geometry.
    public var mask: Volume<UInt8>
    /// One entry per side that has an organ, left first.
    public var sides: [SideFatMeasurements]
    /// Things a reviewer should know (no kidney found, thickness not measurable, …).
    public var warnings: [String]
}

/// The fat-candidate mask of a CT: 1 where HU lies in `window` (default −190…−30 HU, the de-facto
/// standard for adipose tissue: Yoshizumi et al., Radiology 1999; research note §2.2). For the image job,
/// which holds the CT in memory.
public func fatCandidateMask(ct: Volume<Int16>, window: ClosedRange<Int16> = -190...(-30)) -> Volume<UInt8> {
    windowMask(ct, window: window)
}

/// Derives the perirenal fat mask of both sides from a label map and a fat-candidate mask.
/// An input without kidney or tumour voxels gives an empty mask, no sides and a warning (documented result,
/// not an error).
/// - Throws: `PostProcessingError.geometryMismatch` when the inputs' grids differ (naming them);
///   `.invalidOption` for bad options.
public func perirenalFatMask(
    labels: Volume<UInt8>, fatCandidate: Volume<UInt8>, hu: Volume<Int16>? = nil,
    options: FatMaskOptions = FatMaskOptions()
) throws(PostProcessingError) -> FatMaskResult {
    try options.validate()
    try labelOp("fat-candidate mask vs label map") { () throws(LabelOpsError) in
        try requireSameGrid(fatCandidate, labels, names: ("fat candidate", "labels"))
    }
    if let hu {
        try labelOp("CT vs label map") { () throws(LabelOpsError) in
            try requireSameGrid(hu, labels, names: ("CT", "labels"))
        }
    }
    let builder = FatMaskBuilder(labels: labels, fatCandidate: fatCandidate, options: options)
    let organSides = try builder.organBySide()
    guard !organSides.isEmpty else {
        return FatMaskResult(
            mask: zeroLabelMap(size: labels.size, geometry: labels.geometry), sides: [],
            warnings: [
                "no kidney or tumour voxels (labels \(options.labels.kidney), \(options.labels.tumor)): "
                    + "the fat mask is empty"
            ])
    }
    let regions = organSides.map { builder.sideRegion($0) }
    var mask = builder.assemble(regions)
    mask = try builder.cleaned(mask, regions: regions)
    if options.partialVolumeRim { builder.addRim(to: &mask, regions: regions) }
    var warnings: [String] = []
    let sides = regions.map { region in
        builder.measure(region, mask: mask, hu: hu, warnings: &warnings)
    }
    return FatMaskResult(mask: mask, sides: sides, warnings: warnings)
}
