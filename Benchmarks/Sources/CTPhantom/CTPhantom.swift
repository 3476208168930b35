// Design: a seeded, CT-like Int16 volume for I/O benchmarks, the same model as `ct_phantom` in
// tools/bench/compare_nifti_read.py (values equal in distribution, not bit for bit: the generators differ).
// Per axial slice k (x = i, y = j, sizes nx, ny, nz):
//   outside the scanner's field of view (circle of radius nx/2 about the grid centre) → -1024 exactly (padding);
//   body: ellipse centred at (0.5 nx, 0.52 ny), semi-axes (0.40 nx, 0.30 ny) · (1 + 0.05 sin(2π k / nz));
//   inside the body: soft tissue 40 HU, a fat rim (outer 8 % of the ellipse radius) -100 HU,
//   ribs (radius 0.80-0.86, where cos(12 θ) > 0.3) and a spine disc (radius 0.05 nx at (0.5 nx, 0.70 ny)) +700 HU;
//   air -1000 HU elsewhere in the field of view;
//   Gaussian noise of `noise` HU (default 20) on every voxel in the field of view.
// With the default noise, gzip (level 6) compresses it about 2.2×, as real CT compresses 2-2.5×;
// without the noise it would compress 20× or more and say little about a real reader.
import ArrayCore
import Foundation
import VolumeCore

/// Seeded CT-like phantoms for benchmarks.
public enum CTPhantom {
    /// A CT-like Int16 volume of `size` voxels (x, y, z) with spacing 0.8 × 0.8 × 2.5 mm.
    public static func make(size: SIMD3<Int>, noise: Double = 20, seed: UInt64 = 1) throws -> Volume<Int16> {
        let (nx, ny, nz) = (size.x, size.y, size.z)
        var generator = SplitMix64(seed: seed)
        var elements = [Int16](repeating: 0, count: nx * ny * nz)
        elements.withUnsafeMutableBufferPointer { voxels in
            for k in 0..<nz {
                let wobble = 1 + 0.05 * sin(2 * Double.pi * Double(k) / Double(nz))
                let (a, b) = (0.40 * Double(nx) * wobble, 0.30 * Double(ny) * wobble)
                for j in 0..<ny {
                    for i in 0..<nx {
                        let base = baseValue(i, j, nx: nx, ny: ny, a: a, b: b)
                        let value = base == -1024 ? base : base + noise * generator.nextGaussian()
                        voxels[(k * ny + j) * nx + i] = Int16(clamping: Int(value.rounded()))
                    }
                }
            }
        }
        let geometry = try VolumeGeometry(spacing: SIMD3(0.8, 0.8, 2.5), origin: .zero, direction: .identity)
        return try Volume(voxels: NDArray(shape: [nz, ny, nx], elements: elements), geometry: geometry)
    }

    /// Noise-free value at voxel (i, j) of a slice whose body ellipse has semi-axes `a`, `b` (voxels).
    private static func baseValue(_ i: Int, _ j: Int, nx: Int, ny: Int, a: Double, b: Double) -> Double {
        let (x, y) = (Double(i), Double(j))
        let (cx, cy) = (Double(nx - 1) / 2, Double(ny - 1) / 2)
        if (x - cx) * (x - cx) + (y - cy) * (y - cy) > 0.25 * Double(nx * nx) { return -1024 }
        let (dx, dy) = ((x - 0.5 * Double(nx)) / a, (y - 0.52 * Double(ny)) / b)
        let r = (dx * dx + dy * dy).squareRoot()
        let spine = (x - 0.5 * Double(nx)) * (x - 0.5 * Double(nx)) + (y - 0.70 * Double(ny)) * (y - 0.70 * Double(ny))
        if spine <= 0.0025 * Double(nx * nx) { return 700 }
        if r >= 0.80, r <= 0.86, cos(12 * atan2(dy, dx)) > 0.3 { return 700 }
        if r <= 1 { return r > 0.92 ? -100 : 40 }
        return -1000
    }
}

/// SplitMix64 with a Box–Muller Gaussian (both values of each pair used).
struct SplitMix64 {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal value.
    mutating func nextGaussian() -> Double {
        if let value = spare {
            spare = nil
            return value
        }
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53  // (0, 1]
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * log(u1)).squareRoot()
        spare = radius * sin(2 * Double.pi * u2)
        return radius * cos(2 * Double.pi * u2)
    }
}
