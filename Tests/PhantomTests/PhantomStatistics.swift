import ArrayCore
import Phantom
import VolumeCore

/// Per-label volumes, HU means and centroids of a phantom, computed once.
struct PhantomStatistics {
    var voxelCount: [Int]
    var huSum: [Double]
    var centroidSum: [SIMD3<Double>]
    let voxelVolume: Double

    init(_ phantom: PhantomCase, where include: (SIMD3<Double>) -> Bool = { _ in true }) {
        let labelCount = PhantomLabel.allCases.count
        voxelCount = Array(repeating: 0, count: labelCount)
        huSum = Array(repeating: 0, count: labelCount)
        centroidSum = Array(repeating: .zero, count: labelCount)
        let geometry = phantom.labels.geometry
        voxelVolume = geometry.spacing.x * geometry.spacing.y * geometry.spacing.z / 1000
        let size = phantom.labels.size
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    let n = phantom.labels.linearIndex(i, j, k)
                    let label = Int(phantom.labels.voxels.elements[n])
                    guard label > 0 else { continue }
                    let p = geometry.worldPoint(atIndex: SIMD3(Double(i), Double(j), Double(k)))
                    guard include(p) else { continue }
                    voxelCount[label] += 1
                    huSum[label] += Double(phantom.ct.voxels.elements[n])
                    centroidSum[label] += p
                }
            }
        }
    }

    /// Volume in mL.
    func volume(_ label: PhantomLabel) -> Double { Double(voxelCount[Int(label.rawValue)]) * voxelVolume }

    func meanHU(_ label: PhantomLabel) -> Double {
        huSum[Int(label.rawValue)] / Double(max(voxelCount[Int(label.rawValue)], 1))
    }

    func centroid(_ label: PhantomLabel) -> SIMD3<Double> {
        centroidSum[Int(label.rawValue)] / Double(max(voxelCount[Int(label.rawValue)], 1))
    }
}

/// Phantoms shared by several tests (generated once per test process).
enum SharedPhantoms {
    /// The default options: 256 × 256 × 120 at 1.5 × 1.5 × 2.5 mm, seed 1.
    static let standard: PhantomCase = generate(PhantomOptions())
    /// The same patient and field of view with 5 mm slices.
    static let thickSlices: PhantomCase = generate(
        PhantomOptions(size: SIMD3(256, 256, 60), spacing: SIMD3(1.5, 1.5, 5)))
    /// A small, fast grid for reproducibility tests.
    static func small(seed: UInt64) -> PhantomOptions {
        PhantomOptions(size: SIMD3(80, 80, 40), spacing: SIMD3(4.5, 4.5, 7.5), seed: seed)
    }

    static func generate(_ options: PhantomOptions) -> PhantomCase {
        do {
            return try generatePhantom(options)
        } catch {
            preconditionFailure("phantom generation failed: \(error)")
        }
    }
}
