// Merging several label maps into one by an explicit priority list.
//
// Algorithm: each source label map contributes its voxels under a value mapping (source value → output
// label); where sources claim one voxel with different labels, the label earlier in `priority` wins.
// Conventions: one explicit list decides every overlap (as nnU-Net's `regions_class_order` and KiTS's
// `LABEL_AGGREGATION_ORDER`, but written highest priority first); output 0 = background. The merge
// reports, per pair of labels, how many voxels were contested, so a reviewer sees model overlaps.
// Limits: every source must share the grid and geometry (within 1e-6) of the first.
public import ArrayCore
public import VolumeCore

/// One label map entering a merge and how its values map to output labels (unmapped values are ignored).
public struct LabelMergeSource: Sendable {
    public var name: String
    public var labelMap: Volume<UInt8>
    /// Source value → output label; 0 targets are ignored.
    public var mapping: [UInt8: UInt8]

    public init(name: String, labelMap: Volume<UInt8>, mapping: [UInt8: UInt8]) {
        self.name = name
        self.labelMap = labelMap
        self.mapping = mapping
    }

    /// A source whose non-zero values are output labels unchanged.
    public init(name: String, labelMap: Volume<UInt8>) {
        self.init(
            name: name, labelMap: labelMap,
            mapping: Dictionary(uniqueKeysWithValues: (1...255).map { (UInt8($0), UInt8($0)) }))
    }
}

/// Voxels where two labels were claimed at once and which won.
public struct LabelOverlap: Sendable, Hashable, Codable {
    public var winner: UInt8
    public var loser: UInt8
    public var voxels: Int
}

/// The merged label map and the overlaps that the priority list resolved.
public struct MergedLabelMap: Sendable {
    public var labelMap: Volume<UInt8>
    public var overlaps: [LabelOverlap]
}

/// Merges `sources` into one label map; `priority` lists output labels, highest priority first, and must
/// name every output label a mapping can produce.
/// - Throws: `LabelOpsError.geometryMismatch` naming the source whose grid differs from the first;
///   `.invalidPriority` for a label missing from (or repeated in) `priority`.
public func mergeLabelMaps(
    _ sources: [LabelMergeSource], priority: [UInt8]
) throws(LabelOpsError) -> MergedLabelMap? {
    guard let first = sources.first else { return nil }
    var rank = [Int](repeating: Int.max, count: 256)
    for (position, label) in priority.enumerated() {
        guard label != 0, rank[Int(label)] == Int.max else {
            throw LabelOpsError(.invalidPriority, "priority list \(priority) names label \(label) twice or names 0")
        }
        rank[Int(label)] = position
    }
    var tables: [[UInt8]] = []
    for source in sources {
        try requireSameGrid(source.labelMap, first.labelMap, names: (source.name, first.name))
        var table = [UInt8](repeating: 0, count: 256)
        for (value, label) in source.mapping where label != 0 {
            table[Int(value)] = label
        }
        let present = presentValues(source.labelMap)
        for value in present where table[Int(value)] != 0 && rank[Int(table[Int(value)])] == .max {
            throw LabelOpsError(
                .invalidPriority,
                "source '\(source.name)' maps value \(value) to label \(table[Int(value)]), which the priority "
                    + "list \(priority) does not name")
        }
        tables.append(table)
    }
    var output = zeroLabelMap(size: first.labelMap.size, geometry: first.labelMap.geometry)
    var contested = [Int](repeating: 0, count: 256 * 256)
    output.voxels.elements.withUnsafeMutableBufferPointer { out in
        for (source, table) in zip(sources, tables) {
            source.labelMap.voxels.elements.withUnsafeBufferPointer { values in
                for index in 0..<out.count {
                    let label = table[Int(values[index])]
                    if label == 0 { continue }
                    let current = out[index]
                    if current == 0 {
                        out[index] = label
                    } else if current != label {
                        let newWins = rank[Int(label)] < rank[Int(current)]
                        let (winner, loser) = newWins ? (label, current) : (current, label)
                        contested[Int(winner) * 256 + Int(loser)] += 1
                        if newWins { out[index] = label }
                    }
                }
            }
        }
    }
    let overlaps = contested.indices.filter { contested[$0] > 0 }.map {
        LabelOverlap(winner: UInt8($0 / 256), loser: UInt8($0 % 256), voxels: contested[$0])
    }
    return MergedLabelMap(labelMap: output, overlaps: overlaps)
}

/// The distinct values of a label map, ascending (a 256-entry presence table, not a `Set` of every voxel).
func presentValues(_ labelMap: Volume<UInt8>) -> [UInt8] {
    var seen = [Bool](repeating: false, count: 256)
    labelMap.voxels.elements.withUnsafeBufferPointer { values in
        for value in values { seen[Int(value)] = true }
    }
    return (0..<256).filter { seen[$0] }.map { UInt8($0) }
}

/// Checks that two volumes share size and geometry.
/// - Throws: `LabelOpsError.geometryMismatch` naming both.
public func requireSameGrid<A, B>(
    _ a: Volume<A>, _ b: Volume<B>, names: (String, String)
) throws(LabelOpsError) {
    guard a.size == b.size else {
        throw LabelOpsError(
            .geometryMismatch, "'\(names.0)' has size \(a.size) but '\(names.1)' has size \(b.size)")
    }
    guard a.geometry.isApproximatelyEqual(to: b.geometry) else {
        throw LabelOpsError(
            .geometryMismatch,
            "'\(names.0)' and '\(names.1)' differ in geometry (spacing \(a.geometry.spacing) vs "
                + "\(b.geometry.spacing), origin \(a.geometry.origin) vs \(b.geometry.origin))")
    }
}
