import ArrayCore
import VolumeCore

/// How much of a thin tube's axis a segmentation covers, the question volume Dice hides: a 3-mm renal artery
/// missing beside a 20-mm aorta costs the artery's Dice a few per cent, its axis coverage all of it.
public struct AxisCoverage: Sendable, Equatable, CustomStringConvertible {
    /// Axis points inside the grid.
    public var inGrid = 0
    /// Of those, the points on a voxel the truth labels with the tube's value.
    public var inTruth = 0
    /// Of those, the points on a voxel the segmentation labels with the tube's value too.
    public var covered = 0

    /// `covered / inTruth` (0 when no point is in the truth).
    public var fraction: Double { inTruth > 0 ? Double(covered) / Double(inTruth) : 0 }

    public var description: String { "\(covered) of \(inTruth) axis points (\(inGrid) in the grid)" }

    /// Each point (world mm) is taken at its nearest voxel of `truth`'s grid; `segmentation` must share it.
    public init(axis points: [SIMD3<Double>], value: UInt8, segmentation: Volume<UInt8>, truth: Volume<UInt8>) {
        for point in points {
            let index = truth.geometry.continuousIndex(atWorld: point)
            let voxel = SIMD3(Int(index.x.rounded()), Int(index.y.rounded()), Int(index.z.rounded()))
            guard (0..<3).allSatisfy({ voxel[$0] >= 0 && voxel[$0] < truth.size[$0] }) else { continue }
            inGrid += 1
            guard truth[voxel.x, voxel.y, voxel.z] == value else { continue }
            inTruth += 1
            if segmentation[voxel.x, voxel.y, voxel.z] == value { covered += 1 }
        }
    }
}
