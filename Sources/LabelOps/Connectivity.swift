/// Which voxels count as neighbours in 3-D: faces (6), faces and edges (18), or faces, edges and corners (26).
///
/// The names follow cc3d's `connectivity=` and scipy's `generate_binary_structure(3, 1 | 2 | 3)`.
public enum Connectivity: Int, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case six = 6
    case eighteen = 18
    case twentySix = 26

    public var description: String { "\(rawValue)-connectivity" }

    /// Neighbour offsets (dx, dy, dz) that come earlier in raster order (z slowest, x fastest): half of the
    /// neighbourhood, which is all a forward scan needs to look at.
    public var backwardOffsets: [SIMD3<Int>] {
        allOffsets.filter { ($0.z, $0.y, $0.x) < (0, 0, 0) }
    }

    /// Every neighbour offset (dx, dy, dz), the centre excluded.
    public var allOffsets: [SIMD3<Int>] {
        var offsets: [SIMD3<Int>] = []
        for dz in -1...1 {
            for dy in -1...1 {
                for dx in -1...1 {
                    let order = abs(dx) + abs(dy) + abs(dz)
                    guard order > 0 else { continue }
                    let included =
                        switch self {
                        case .six: order == 1
                        case .eighteen: order <= 2
                        case .twentySix: true
                        }
                    if included { offsets.append(SIMD3(dx, dy, dz)) }
                }
            }
        }
        return offsets
    }
}
