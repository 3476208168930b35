import Foundation
import Phantom
import VolumeCore

/// Phantoms shared by the acceptance tests (generated once per process).
enum PhantomCases {
    /// A modest grid: 160 × 160 × 80 voxels of 2.4 × 2.4 × 3.5 mm (384 × 384 × 280 mm).
    static func smallOptions(_ seed: UInt64) -> PhantomOptions {
        PhantomOptions(size: SIMD3(160, 160, 80), spacing: SIMD3(2.4, 2.4, 3.5), seed: seed)
    }

    static func generate(seed: UInt64, fine: Bool = false) throws -> PhantomCase {
        try generatePhantom(fine ? PhantomOptions(seed: seed) : smallOptions(seed))
    }

    /// The truth label map with the perirenal-fat label removed (what segmentation models would give).
    static func structures(_ labels: Volume<UInt8>) -> Volume<UInt8> {
        labels.map { $0 == PhantomLabel.perirenalFat.rawValue ? 0 : $0 }
    }
}

/// Dice of two binary masks given by predicates on the values.
func dice(_ a: Volume<UInt8>, _ b: Volume<UInt8>, _ inA: (UInt8) -> Bool, _ inB: (UInt8) -> Bool) -> Double {
    var both = 0
    var sizeA = 0
    var sizeB = 0
    for index in 0..<a.voxelCount {
        let x = inA(a.voxels.elements[index])
        let y = inB(b.voxels.elements[index])
        if x { sizeA += 1 }
        if y { sizeB += 1 }
        if x && y { both += 1 }
    }
    return sizeA + sizeB == 0 ? 1 : 2 * Double(both) / Double(sizeA + sizeB)
}
