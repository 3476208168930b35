/// The canonical structures Organa segments, with their value in merged label maps (the same values the
/// phantom's truth and `PostProcessing`'s defaults use).
public enum Structure: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case kidney, tumor, artery, vein, ureter

    /// Value in a merged label map.
    public var labelValue: UInt8 {
        switch self {
        case .kidney: 1
        case .tumor: 2
        case .artery: 3
        case .vein: 4
        case .ureter: 5
        }
    }

    /// The structure with canonical `name` (`tumour` accepted), or nil.
    public init?(name: String) {
        let lowered = name.lowercased()
        if let structure = Structure(rawValue: lowered) {
            self = structure
        } else if lowered == "tumour" {
            self = .tumor
        } else {
            return nil
        }
    }

    public static func < (lhs: Structure, rhs: Structure) -> Bool { lhs.labelValue < rhs.labelValue }
}
