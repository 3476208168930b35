import ArrayCore
import Testing

@testable import VolumeCore

/// Windows of a resampling are voxel for voxel the whole output's, and footprints hold every output voxel an
/// input box can reach (design header of `Volume+Resampling.swift`).
@Suite("Resampling windows and footprints")
struct ResamplingWindowTests {
    /// A volume of random values (a fixed generator, so failures reproduce).
    static func noise(size: SIMD3<Int>, spacing: SIMD3<Double>, seed: UInt64) throws -> Volume<Float> {
        var state = seed
        let values = (0..<(size.x * size.y * size.z)).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) % 2001 - 1000) / 7
        }
        return try Volume(
            voxels: NDArray(shape: [size.z, size.y, size.x], elements: values),
            geometry: VolumeGeometry(spacing: spacing))
    }

    /// (input size, spacing, output size, options): joint and separate-z linear, nearest, up and down.
    static let resamplings: [(SIMD3<Int>, SIMD3<Double>, SIMD3<Int>, ResampleOptions)] = [
        (SIMD3(13, 11, 9), SIMD3(1, 1, 1), SIMD3(29, 17, 20), .nnUNetProbabilities),
        (SIMD3(13, 11, 9), SIMD3(1, 1, 1), SIMD3(7, 5, 6), .nnUNetProbabilities),
        (SIMD3(12, 10, 6), SIMD3(0.8, 0.8, 4), SIMD3(25, 19, 17), .nnUNetProbabilities),
        (SIMD3(12, 10, 16), SIMD3(2, 2, 0.5), SIMD3(25, 19, 5), .nnUNetProbabilities),
        (SIMD3(12, 10, 6), SIMD3(0.8, 0.8, 4), SIMD3(12, 10, 17), .nnUNetProbabilities),
        (SIMD3(13, 11, 9), SIMD3(1, 1, 1), SIMD3(29, 4, 20), ResampleOptions(interpolation: .nearest)),
    ]

    static let windows: [IndexBox] = [
        IndexBox(lower: SIMD3(0, 0, 0), upper: SIMD3(1, 1, 1)),
        IndexBox(lower: SIMD3(2, 1, 3), upper: SIMD3(5, 4, 5)),
        IndexBox(lower: SIMD3(1, 0, 2), upper: SIMD3(7, 5, 6)),
    ]

    @Test(arguments: 0..<resamplings.count)
    func windowsEqualTheWholeOutput(_ index: Int) throws {
        let (size, spacing, newSize, options) = Self.resamplings[index]
        let input = try Self.noise(size: size, spacing: spacing, seed: UInt64(index + 1))
        let whole = try input.resampled(toSize: newSize, options: options)
        var boxes = Self.windows.map { box in
            IndexBox(
                lower: box.lower,
                upper: SIMD3(min(box.upper.x, newSize.x), min(box.upper.y, newSize.y), min(box.upper.z, newSize.z)))
        }
        boxes.append(IndexBox(lower: newSize &- 3, upper: newSize))
        boxes.append(IndexBox(size: newSize))
        for box in boxes {
            let window = try input.resampled(toSize: newSize, options: options, window: box)
            let expected = try whole.cropped(to: box)
            #expect(window.size == box.size)
            #expect(window.voxels.elements == expected.voxels.elements, "window \(box)")
            #expect(window.geometry.isApproximatelyEqual(to: expected.geometry), "window \(box) geometry")
        }
    }

    /// Raising every input voxel inside the box changes no output voxel outside its footprint, and every
    /// output voxel that changes lies inside it.
    @Test(arguments: 0..<resamplings.count)
    func footprintHoldsEveryReachedVoxel(_ index: Int) throws {
        let (size, spacing, newSize, options) = Self.resamplings[index]
        let input = try Self.noise(size: size, spacing: spacing, seed: UInt64(index + 11))
        let box = IndexBox(lower: SIMD3(3, 2, 2), upper: SIMD3(6, 5, 4))
        var raised = input
        for k in box.lower.z..<box.upper.z {
            for j in box.lower.y..<box.upper.y { for i in box.lower.x..<box.upper.x { raised[i, j, k] += 5000 } }
        }
        let footprint = try #require(
            try input.geometry.resampledFootprint(of: box, size: size, toSize: newSize, options: options))
        let before = try input.resampled(toSize: newSize, options: options)
        let after = try raised.resampled(toSize: newSize, options: options)
        var changedOutside = 0, changedInside = 0
        for k in 0..<newSize.z {
            for j in 0..<newSize.y {
                for i in 0..<newSize.x where before[i, j, k] != after[i, j, k] {
                    let inside = (0..<3).allSatisfy {
                        (footprint.lower[$0]..<footprint.upper[$0]).contains(SIMD3(i, j, k)[$0])
                    }
                    if inside { changedInside += 1 } else { changedOutside += 1 }
                }
            }
        }
        #expect(changedOutside == 0)
        #expect(changedInside > 0)
    }

    @Test func footprintOfABoxNoOutputReads() throws {
        // Downsampling 13 → 3 with nearest reads input indices 2, 6, 10 only.
        let geometry = try VolumeGeometry(spacing: SIMD3(1, 1, 1))
        let box = IndexBox(lower: SIMD3(3, 0, 0), upper: SIMD3(5, 1, 1))
        let options = ResampleOptions(interpolation: .nearest)
        #expect(
            try geometry.resampledFootprint(of: box, size: SIMD3(13, 4, 4), toSize: SIMD3(3, 4, 4), options: options)
                == nil)
    }

    @Test func invalidWindowsAreErrors() throws {
        let input = try Self.noise(size: SIMD3(6, 5, 4), spacing: SIMD3(1, 1, 1), seed: 3)
        let linear = ResampleOptions(interpolation: .linear)
        for box in [
            IndexBox(lower: SIMD3(0, 0, 0), upper: SIMD3(9, 2, 2)),
            IndexBox(lower: SIMD3(-1, 0, 0), upper: SIMD3(2, 2, 2)),
            IndexBox(lower: SIMD3(2, 2, 2), upper: SIMD3(2, 3, 3)),
        ] {
            #expect(throws: VolumeError.self) {
                try input.resampled(toSize: SIMD3(8, 8, 8), options: linear, window: box)
            }
        }
        let cubic = IndexBox(lower: .zero, upper: SIMD3(2, 2, 2))
        #expect(throws: VolumeError.self) { try input.resampled(toSize: SIMD3(8, 8, 8), window: cubic) }
        #expect(throws: VolumeError.self) {
            try input.geometry.resampledFootprint(of: cubic, size: input.size, toSize: SIMD3(8, 8, 8))
        }
    }
}
