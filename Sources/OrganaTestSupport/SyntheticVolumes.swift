import ArrayCore
import Foundation
import VolumeCore

/// Seeded synthetic volumes with known content, for tests and benchmarks.
public enum SyntheticVolumes {
    /// A CT-like Int16 volume: air (-1000 HU) outside an ellipsoidal body of soft tissue (~40 HU) with a
    /// brighter sphere (contrast, ~200 HU) inside, plus Gaussian noise of `noise` HU.
    public static func ct(
        size: SIMD3<Int>, spacing: SIMD3<Double> = SIMD3(0.8, 0.8, 2.5), origin: SIMD3<Double> = .zero,
        direction: Matrix3 = .identity, noise: Double = 10, seed: UInt64 = 1
    ) throws -> Volume<Int16> {
        var generator = SeededGenerator(seed: seed)
        let geometry = try VolumeGeometry(spacing: spacing, origin: origin, direction: direction)
        var volume = Volume(size: size, geometry: geometry, repeating: Int16(0))
        let centre = SIMD3<Double>(Double(size.x - 1), Double(size.y - 1), Double(size.z - 1)) / 2
        let radii = SIMD3<Double>(Double(size.x), Double(size.y), Double(size.z)) * SIMD3(0.42, 0.35, 0.6)
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    let p = (SIMD3(Double(i), Double(j), Double(k)) - centre) / radii
                    let r2 = (p * p).sum()
                    let base: Double = r2 <= 1 ? (r2 <= 0.08 ? 200 : 40) : -1000
                    let value = base + generator.nextGaussian(standardDeviation: noise)
                    volume[i, j, k] = Int16(clampingTruncating: value.rounded())
                }
            }
        }
        return volume
    }

    /// A UInt8 label map with a sphere of `label` of radius `radius` voxels centred in the grid.
    public static func sphere(
        size: SIMD3<Int>, radius: Double, label: UInt8 = 1, geometry: VolumeGeometry = .identity
    )
        -> Volume<UInt8>
    {
        var volume = Volume(size: size, geometry: geometry, repeating: UInt8(0))
        let centre = SIMD3<Double>(Double(size.x - 1), Double(size.y - 1), Double(size.z - 1)) / 2
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    let d = SIMD3(Double(i), Double(j), Double(k)) - centre
                    if (d * d).sum() <= radius * radius { volume[i, j, k] = label }
                }
            }
        }
        return volume
    }

    /// Uniformly random voxels over the whole range of `V` (for round-trip tests of every datatype).
    public static func random<V: Scalar>(
        _ type: V.Type, size: SIMD3<Int>, geometry: VolumeGeometry = .identity, seed: UInt64 = 7
    ) throws -> Volume<V> {
        var generator = SeededGenerator(seed: seed)
        let count = size.x * size.y * size.z
        let elements: [V] = (0..<count).map { index in
            switch index {
            case 0: return V.lowest
            case 1: return V.highest
            default: return randomValue(V.self, using: &generator)
            }
        }
        let array = try NDArray(shape: [size.z, size.y, size.x], elements: elements)
        return try Volume(voxels: array, geometry: geometry)
    }

    private static func randomValue<V: Scalar>(_ type: V.Type, using generator: inout SeededGenerator) -> V {
        if V.kind.isFloatingPoint {
            return V(clampingTruncating: generator.nextGaussian(standardDeviation: 1000))
        }
        // Raw random bits reinterpreted: covers the whole range of every integer type exactly.
        let bits = generator.next()
        return withUnsafeBytes(of: bits) { raw in raw.loadUnaligned(as: V.self) }
    }

    /// A rotated, orthonormal direction (rotation by `angles` radians about x, then y, then z).
    public static func rotation(_ angles: SIMD3<Double>) -> Matrix3 {
        let (cx, sx) = (cos(angles.x), sin(angles.x))
        let (cy, sy) = (cos(angles.y), sin(angles.y))
        let (cz, sz) = (cos(angles.z), sin(angles.z))
        let rx = Matrix3(rows: SIMD3(1, 0, 0), SIMD3(0, cx, -sx), SIMD3(0, sx, cx))
        let ry = Matrix3(rows: SIMD3(cy, 0, sy), SIMD3(0, 1, 0), SIMD3(-sy, 0, cy))
        let rz = Matrix3(rows: SIMD3(cz, -sz, 0), SIMD3(sz, cz, 0), SIMD3(0, 0, 1))
        return rz * ry * rx
    }
}
