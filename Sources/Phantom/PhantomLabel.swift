/// The ground-truth structures of a phantom label map, with Organa's canonical names.
///
/// | value | name            | what is labelled |
/// |------:|-----------------|------------------|
/// | 0     | `background`    | everything else, including renal sinus fat, bowel, liver, spleen, muscle, bone |
/// | 1     | `kidney`        | renal parenchyma (cortex and medulla) of both kidneys, minus the tumour |
/// | 2     | `tumor`         | the renal tumour (endophytic or exophytic), necrotic core included |
/// | 3     | `artery`        | aorta, renal arteries with their first branches, common/external iliac arteries |
/// | 4     | `vein`          | inferior vena cava, renal veins with their first branches, iliac veins |
/// | 5     | `ureter`        | ureters and the renal pelves (the collecting system outside the parenchyma) |
/// | 6     | `perirenal_fat` | fat inside the perirenal (Gerota's) fascia, outside the kidney envelope and every labelled structure |
///
/// Each voxel has exactly one label. Where structures touch, the phantom's painting order decides:
/// tumour over kidney over artery over vein over ureter over perirenal fat.
public enum PhantomLabel: UInt8, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case background = 0
    case kidney = 1
    case tumor = 2
    case artery = 3
    case vein = 4
    case ureter = 5
    case perirenalFat = 6

    /// The canonical name used across Organa (catalogs, `dataset.json`, mask file names).
    public var name: String {
        switch self {
        case .background: "background"
        case .kidney: "kidney"
        case .tumor: "tumor"
        case .artery: "artery"
        case .vein: "vein"
        case .ureter: "ureter"
        case .perirenalFat: "perirenal_fat"
        }
    }

    public var description: String { name }

    /// The labelled structures (every case except `background`), in label-value order.
    public static var structures: [PhantomLabel] { allCases.filter { $0 != .background } }

    /// The label with canonical `name` (`"perirenal_fat"`; `"fat"` and `"tumour"` are accepted as aliases).
    /// - Throws: `PhantomError.unknownLabel` naming the bad name and the accepted ones.
    public static func named(_ name: String) throws(PhantomError) -> PhantomLabel {
        let key = name.trimmingWhitespace().lowercased()
        if let label = allCases.first(where: { $0.name == key }) { return label }
        switch key {
        case "fat", "prf", "perirenal-fat": return .perirenalFat
        case "tumour": return .tumor
        default:
            let known = allCases.map(\.name).joined(separator: ", ")
            throw PhantomError(.unknownLabel, "unknown label '\(name)'; known labels: \(known)")
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
