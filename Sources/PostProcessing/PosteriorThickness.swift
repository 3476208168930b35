// Posterior perirenal fat thickness at the renal-vein level (the MAP score's fat component).
//
// Definition (Davidiuk et al., Eur Urol 2014: posterior perinephric fat thickness "at the level of the renal
// vein", capsule to posterior abdominal wall; Favre et al., PLoS One 2017):
//   level — the axial slice (constant k) with the most vein voxels within 3 mm of that side's kidney ∪
//           tumour (where the renal vein meets the kidney); when no vein is labelled there, the slice with
//           the largest kidney hull section (reported as `largestKidneySection`);
//   ray   — for every column i of the kidney's slice-wise hull on that slice, start at the hull's most
//           posterior voxel (+y in LPS) and walk posteriorly through this side's PRF mask, bridging gaps of
//           at most 2 mm (a partial-volume voxel, a small vessel); the ray's thickness is the distance in mm
//           from that hull voxel's centre to the last PRF voxel's centre (0 when the first voxels are not fat);
//   value — `maximumMM` is the largest ray (what a reader measuring "the thickest posterior fat" reports);
//           `medianMM` is the median over the central third of the hull's columns (directly behind the
//           kidney, like the ±20° ray fan of the dt10016 scripts). MAP points use `maximumMM`:
//           < 10 mm → 0, 10–19.9 mm → 1, ≥ 20 mm → 2.
// Limits: needs the grid's j axis within 45° of world y (axial acquisitions); otherwise nothing is measured
// and a warning says why.
import LabelOps
import VolumeCore

/// Posterior PRF thickness on one slice, with how that slice was chosen.
public struct PosteriorThickness: Sendable, Hashable, Codable {
    public enum Level: String, Sendable, Hashable, Codable {
        /// The slice where the renal vein meets the kidney.
        case renalVein
        /// No vein near this kidney: the slice with the largest kidney section.
        case largestKidneySection
    }

    /// Slice index k of the measurement.
    public var sliceIndex: Int
    public var level: Level
    /// Largest posterior thickness over the kidney's columns, mm.
    public var maximumMM: Double
    /// Median over the central third of the kidney's columns, mm.
    public var medianMM: Double
    /// MAP score points for posterior fat thickness (0, 1 or 2) from `maximumMM`.
    public var mapPoints: Int
}

/// Measures one side's posterior thickness inside its region (see the file header for the definition).
func measurePosteriorThickness(
    region: SideRegion, fat: [UInt8], geometry: VolumeGeometry, veinLabel: UInt8, warnings: inout [String]
) -> PosteriorThickness? {
    let jAxisY = geometry.direction.rowMajor[1 * 3 + 1]
    guard abs(jAxisY) >= 0.7 else {
        warnings.append("\(region.side) posterior thickness not measured: the j axis is not along world y")
        return nil
    }
    let step = jAxisY > 0 ? 1 : -1
    let s = region.box.size
    let near = 3.0 * 3.0
    var veinCount = [Int](repeating: 0, count: s.z)
    var hullCount = [Int](repeating: 0, count: s.z)
    for k in 0..<s.z {
        for p in (k * s.x * s.y)..<((k + 1) * s.x * s.y) {
            if region.hull[p] != 0 { hullCount[k] += 1 }
            if veinLabel != 0, region.labels[p] == veinLabel, region.squaredDistance[p] <= near { veinCount[k] += 1 }
        }
    }
    let level: PosteriorThickness.Level
    let k: Int
    if let best = veinCount.indices.max(by: { (veinCount[$0], -$0) < (veinCount[$1], -$1) }), veinCount[best] > 0 {
        (level, k) = (.renalVein, best)
    } else if let best = hullCount.indices.max(by: { (hullCount[$0], -$0) < (hullCount[$1], -$1) }),
        hullCount[best] > 0
    {
        (level, k) = (.largestKidneySection, best)
    } else {
        warnings.append("\(region.side) posterior thickness not measured: no kidney hull on any slice")
        return nil
    }
    let spacingY = geometry.spacing.y
    let gap = max(1, Int((2.0 / spacingY).rounded(.down)))
    var rays: [(column: Int, mm: Double)] = []
    for i in 0..<s.x {
        let column = { (j: Int) in (k * s.y + j) * s.x + i }
        let hullRows = (0..<s.y).filter { region.hull[column($0)] != 0 }
        guard let edge = step > 0 ? hullRows.last : hullRows.first else { continue }
        var lastFat = edge
        var j = edge + step
        var missed = 0
        while j >= 0 && j < s.y && missed <= gap {
            if fat[column(j)] != 0 {
                lastFat = j
                missed = 0
            } else {
                missed += 1
            }
            j += step
        }
        rays.append((i, Double(abs(lastFat - edge)) * spacingY))
    }
    guard let first = rays.first?.column, let last = rays.last?.column else { return nil }
    let third = Double(last - first + 1) / 3
    let central = rays.filter { Double($0.column - first) >= third && Double($0.column - first) < 2 * third }
        .map(\.mm).sorted()
    let maximum = rays.map(\.mm).max() ?? 0
    let median = central.isEmpty ? maximum : central[central.count / 2]
    return PosteriorThickness(
        sliceIndex: k + region.box.lower.z, level: level, maximumMM: maximum, medianMM: median,
        mapPoints: maximum < 10 ? 0 : (maximum < 20 ? 1 : 2))
}
