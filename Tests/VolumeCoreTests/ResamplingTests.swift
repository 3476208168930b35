import ArrayCore
import Foundation
import Testing

@testable import VolumeCore

/// Max absolute difference and number of differing elements.
private func compare(_ actual: [Float], _ expected: [Float]) -> (maxAbs: Double, mismatches: Int) {
    var maxAbs = 0.0, mismatches = 0
    for (a, e) in zip(actual, expected) where a != e && !(a.isNaN && e.isNaN) {
        mismatches += 1
        maxAbs = max(maxAbs, abs(Double(a) - Double(e)))
    }
    return (maxAbs, mismatches)
}

private func volume<V: Scalar>(
    _ values: [V], _ file: ResamplingManifest.ArrayFile, spacing: SIMD3<Double>
) throws
    -> Volume<V>
{
    try Volume(voxels: NDArray(shape: file.shape_zyx, elements: values), geometry: VolumeGeometry(spacing: spacing))
}

@Suite("Resampling parity with nnU-Net, scikit-image and scipy")
struct ResamplingParityTests {
    @Test func manifestIsComplete() throws {
        let manifest = try ResamplingManifest.load()
        #expect(manifest.cases.count == 25)
    }

    /// nnU-Net's `resample_data_or_seg_to_shape` (cubic for images, linear for logits; separate z by its rule):
    /// the float32 output must be identical.
    @Test(arguments: ResamplingManifest.cases(kind: "nnunet"))
    func nnUNetResampling(_ fixture: ResamplingManifest.Case) throws {
        let options = fixture.order == 1 ? ResampleOptions.nnUNetProbabilities : .nnUNetData
        let result: Volume<Float>
        if fixture.input.dtype == "int16" {
            let input = try volume(
                ResamplingManifest.read(fixture.input, as: Int16.self), fixture.input, spacing: fixture.spacing)
            result = try input.resampled(
                toSize: fixture.targetSize, targetSpacing: fixture.targetSpacing, options: options)
        } else {
            let input = try volume(
                ResamplingManifest.read(fixture.input, as: Float.self), fixture.input, spacing: fixture.spacing)
            result = try input.resampled(
                toSize: fixture.targetSize, targetSpacing: fixture.targetSpacing, options: options)
        }
        #expect(result.voxels.shape == fixture.expected.shape_zyx)
        let expected = try ResamplingManifest.read(fixture.expected, as: Float.self)
        let (maxAbs, mismatches) = compare(result.voxels.elements, expected)
        print("parity \(fixture.name): max abs diff \(maxAbs), \(mismatches) of \(expected.count) differ")
        // Bit-identical float32, except that values which are pure float64 rounding noise may differ: the
        // separable cubic sums in another order than scipy's 64-tap sum, so a value that should be 0 (ringing
        // far from a single bright voxel, ~1e-13 of it) can come out as ±1e-15 instead of another ±1e-15.
        let scale = result.voxels.elements.isEmpty ? 1 : (expected.map { abs(Double($0)) }.max() ?? 1)
        #expect(mismatches == 0 || maxAbs <= 1e-12 * scale, "\(fixture.name): max abs diff \(maxAbs)")
        if fixture.name != "spike_up_cubic" { #expect(mismatches == 0) }
        let decided = SeparateZPolicy.nnUNetDefault.separateAxis(
            currentSpacing: fixture.spacing, targetSpacing: fixture.targetSpacing!)
        #expect(decided == fixture.separate_axis_xyz)
    }

    /// skimage `resize(order, mode='edge', anti_aliasing=False)`: float32 identical, and the Double values
    /// (before rounding) within 1e-12 of the largest magnitude.
    @Test(arguments: ResamplingManifest.cases(kind: "skimage"))
    func scikitImageResize(_ fixture: ResamplingManifest.Case) throws {
        let input = try volume(
            ResamplingManifest.read(fixture.input, as: Float.self), fixture.input, spacing: fixture.spacing)
        let options = ResampleOptions(interpolation: fixture.interpolation, separateZ: .never)
        let result = try input.resampled(toSize: fixture.targetSize, options: options)
        let expected = try ResamplingManifest.read(fixture.expected, as: Float.self)
        let (maxAbs, mismatches) = compare(result.voxels.elements, expected)
        print("parity \(fixture.name): max abs diff \(maxAbs), \(mismatches) of \(expected.count) differ")
        #expect(mismatches == 0)

        let expected64 = try ResamplingManifest.read(fixture.expected_float64!, as: Double.self)
        let newShape = Resampling.shape(fixture.targetSize)
        let axes = Resampling.passOrder(shape: input.voxels.shape, newShape: newShape, axes: [0, 1, 2])
        let clip = Resampling.valueRange(input.voxels.elements)
        let doubles: NDArray<Double> =
            fixture.interpolation == .linear
            ? Resampling.linear(
                input.voxels,
                taps: (0..<3).map {
                    AxisTaps(inputLength: input.voxels.shape[$0], outputLength: newShape[$0], interpolation: .linear)
                }, clip: clip)
            : Resampling.runPasses(
                input.voxels, axes: axes, newShape: newShape, interpolation: fixture.interpolation, clip: clip)
        let scale = expected64.map(abs).max() ?? 1
        let worst = zip(doubles.elements, expected64).map { abs($0 - $1) }.max() ?? 0
        print("parity \(fixture.name) (float64): max abs diff \(worst), relative \(worst / scale)")
        #expect(worst <= 1e-12 * scale)
    }

    /// Nearest neighbour on a uint8 label map (`map_coordinates(order=0, mode='nearest')`), voxel type kept.
    @Test(arguments: ResamplingManifest.cases(kind: "nearest"))
    func nearestLabels(_ fixture: ResamplingManifest.Case) throws {
        let input = try volume(
            ResamplingManifest.read(fixture.input, as: UInt8.self), fixture.input, spacing: fixture.spacing)
        let result: Volume<UInt8> = try input.resampledNearest(toSize: fixture.targetSize)
        #expect(result.voxels.elements == (try ResamplingManifest.read(fixture.expected, as: UInt8.self)))
        let asFloat = try input.resampled(toSize: fixture.targetSize, options: ResampleOptions(interpolation: .nearest))
        #expect(asFloat.voxels.elements == result.voxels.elements.map(Float.init))
    }

    /// nnU-Net's `compute_new_shape` (Python `round`, half to even).
    @Test(arguments: ResamplingManifest.shared?.compute_new_shape ?? [])
    func targetSizeFromSpacing(_ entry: ResamplingManifest.NewShape) throws {
        let size = SIMD3(entry.size_xyz[0], entry.size_xyz[1], entry.size_xyz[2])
        let spacing = SIMD3(entry.spacing_xyz[0], entry.spacing_xyz[1], entry.spacing_xyz[2])
        let target = SIMD3(entry.target_spacing_xyz[0], entry.target_spacing_xyz[1], entry.target_spacing_xyz[2])
        let expected = SIMD3(entry.expected_size_xyz[0], entry.expected_size_xyz[1], entry.expected_size_xyz[2])
        #expect(try VolumeGeometry.resampledSize(size: size, spacing: spacing, targetSpacing: target) == expected)
    }
}

@Suite("Resampling geometry and behaviour")
struct ResamplingGeometryTests {
    static let rotated = Matrix3(columns: SIMD3(0, 1, 0), SIMD3(-0.6, 0, 0.8), SIMD3(0.8, 0, 0.6))

    static func ramp(size: SIMD3<Int>, geometry: VolumeGeometry) -> Volume<Float> {
        var v = Volume(size: size, geometry: geometry, repeating: Float(0))
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x { v[i, j, k] = Float(i + 3 * j - 2 * k) } } }
        return v
    }

    @Test(arguments: [SIMD3(5, 7, 3), SIMD3(20, 4, 9), SIMD3(1, 1, 1)])
    func outerEdgesStayPut(_ newSize: SIMD3<Int>) throws {
        let geometry = try VolumeGeometry(
            spacing: SIMD3(0.7, 1.3, 2.5), origin: SIMD3(-10, 4, 30), direction: Self.rotated)
        let size = SIMD3(9, 6, 4)
        let resampled = geometry.resampled(from: size, to: newSize)
        func corner(_ g: VolumeGeometry, _ s: SIMD3<Int>, _ high: Bool) -> SIMD3<Double> {
            let index =
                high ? SIMD3<Double>(Double(s.x), Double(s.y), Double(s.z)) - 0.5 : SIMD3<Double>(repeating: -0.5)
            return g.worldPoint(atIndex: index)
        }
        for high in [false, true] {
            let delta = corner(resampled, newSize, high) - corner(geometry, size, high)
            #expect((delta * delta).sum().squareRoot() < 1e-9)
        }
        #expect(resampled.direction == geometry.direction)
        let extent = resampled.spacing * SIMD3(Double(newSize.x), Double(newSize.y), Double(newSize.z))
        #expect(abs(extent - geometry.spacing * SIMD3(9, 6, 4)).max() < 1e-12)
    }

    /// Every output voxel centre lies at the world point of the input coordinate it sampled; a linear ramp is
    /// therefore reproduced exactly by linear interpolation away from the clamped border.
    @Test func indexAndWorldAgree() throws {
        let geometry = try VolumeGeometry(spacing: SIMD3(0.8, 1.1, 3), origin: SIMD3(5, -2, 7), direction: Self.rotated)
        let input = Self.ramp(size: SIMD3(12, 10, 8), geometry: geometry)
        let output = try input.resampled(toSize: SIMD3(17, 7, 11), options: ResampleOptions(interpolation: .linear))
        for k in 0..<11 {
            for j in 0..<7 {
                for i in 0..<17 {
                    let world = output.geometry.worldPoint(atIndex: SIMD3(Double(i), Double(j), Double(k)))
                    let c = input.geometry.continuousIndex(atWorld: world)
                    let inside = (0..<3).allSatisfy { c[$0] >= 0 && c[$0] <= Double(input.size[$0] - 1) }
                    guard inside else { continue }
                    let expected = c.x + 3 * c.y - 2 * c.z
                    #expect(abs(Double(output[i, j, k]) - expected) < 1e-4, "voxel \(i) \(j) \(k)")
                }
            }
        }
    }

    @Test func toSpacingUsesComputedSizeAndGeometry() throws {
        let geometry = try VolumeGeometry(spacing: SIMD3(1.5, 1.5, 1.5), origin: SIMD3(1, 2, 3))
        let input = Self.ramp(size: SIMD3(9, 7, 5), geometry: geometry)
        let output = try input.resampled(toSpacing: SIMD3(1, 1, 1), options: .nnUNetData)
        #expect(output.size == SIMD3(14, 10, 8))  // 13.5 → 14, 10.5 → 10, 7.5 → 8 (half to even)
        #expect(abs(output.geometry.spacing - SIMD3(13.5 / 14, 1.05, 7.5 / 8)).max() < 1e-12)
        let labels = try input.map { UInt8(clampingTruncating: Double($0) + 20) }.resampledNearest(
            toSpacing: SIMD3(3, 3, 3))
        #expect(labels.size == SIMD3(4, 4, 2))  // 4.5 → 4, 3.5 → 4, 2.5 → 2
    }

    @Test func sameSizeReturnsTheValues() throws {
        let input = try Volume(
            voxels: NDArray(shape: [2, 2, 3], elements: (0..<12).map { Int16($0 * 100 - 500) }),
            geometry: VolumeGeometry(spacing: SIMD3(1, 2, 3)))
        let output = try input.resampled(toSize: input.size)
        #expect(output.voxels.elements == input.voxels.elements.map(Float.init))
        #expect(output.geometry == input.geometry)
    }

    /// The chunking of lines across threads does not change any value.
    @Test func threadCountDoesNotChangeResult() throws {
        let geometry = try VolumeGeometry(spacing: SIMD3(1, 1, 4))
        var input = Self.ramp(size: SIMD3(40, 35, 12), geometry: geometry)
        input[7, 9, 3] = 500
        let saved = ParallelSettings.workerCount
        defer { ParallelSettings.workerCount = saved }
        var results: [Volume<Float>] = []
        for workers in [1, 2, 3] {
            ParallelSettings.workerCount = workers
            results.append(try input.resampled(toSize: SIMD3(57, 30, 20), options: .nnUNetData))
            results.append(try input.resampled(toSize: SIMD3(57, 30, 20), options: ResampleOptions()))
        }
        #expect(results[0] == results[2] && results[0] == results[4])
        #expect(results[1] == results[3] && results[1] == results[5])
    }

    @Test func separateAxisRule() {
        let rule = SeparateZPolicy.nnUNetDefault
        #expect(rule.separateAxis(currentSpacing: SIMD3(0.8, 0.8, 5), targetSpacing: SIMD3(1, 1, 1)) == 2)
        #expect(rule.separateAxis(currentSpacing: SIMD3(1, 1, 1), targetSpacing: SIMD3(1, 3.5, 1)) == 1)
        #expect(rule.separateAxis(currentSpacing: SIMD3(1, 4, 4), targetSpacing: SIMD3(1, 1, 1)) == nil)
        #expect(rule.separateAxis(currentSpacing: SIMD3(1, 1, 3), targetSpacing: SIMD3(1, 1, 3)) == nil)  // not > 3
        #expect(SeparateZPolicy.never.separateAxis(currentSpacing: SIMD3(1, 1, 9), targetSpacing: .one) == nil)
        #expect(SeparateZPolicy.axis(0).separateAxis(currentSpacing: .one, targetSpacing: .one) == 0)
    }
}

@Suite("Resampling rejects invalid requests")
struct ResamplingErrorTests {
    static let input = Volume(size: SIMD3(4, 5, 6), repeating: Float(1))

    @Test(arguments: [
        SIMD3(0, 5, 5), SIMD3(5, -1, 5), SIMD3(5, 5, 0), SIMD3(Int.max, 2, 2), SIMD3(1 << 21, 1, 1),
        SIMD3(1 << 20, 1 << 20, 1 << 20),
    ])
    func invalidTargetSize(_ size: SIMD3<Int>) {
        #expect(throws: VolumeError.self) { try Self.input.resampled(toSize: size) }
        #expect(throws: VolumeError.self) { try Self.input.resampledNearest(toSize: size) }
        do {
            _ = try Self.input.resampled(toSize: size)
        } catch {
            #expect(error.code == .invalidResampling)
            #expect(error.message.contains("\(size)"))
        }
    }

    @Test(arguments: [
        SIMD3(0.0, 1, 1), SIMD3(1, -2, 1), SIMD3(1, 1, .nan), SIMD3(1, .infinity, 1), SIMD3(1e-30, 1, 1),
        SIMD3(1e6, 1, 1),
    ])
    func invalidTargetSpacing(_ spacing: SIMD3<Double>) {
        #expect(throws: VolumeError.self) { try Self.input.resampled(toSpacing: spacing) }
        #expect(throws: VolumeError.self) { try Self.input.resampledNearest(toSpacing: spacing) }
    }

    @Test func invalidSeparateAxisAndLimit() {
        let forced = ResampleOptions(separateZ: .axis(3))
        #expect(throws: VolumeError.self) { try Self.input.resampled(toSize: SIMD3(8, 8, 8), options: forced) }
        let small = ResampleOptions(maximumVoxelCount: 100)
        #expect(throws: VolumeError.self) { try Self.input.resampled(toSize: SIMD3(8, 8, 8), options: small) }
        #expect(throws: VolumeError.self) {
            try Self.input.resampled(toSize: SIMD3(8, 8, 8), targetSpacing: SIMD3(1, 0, 1))
        }
    }

    @Test func emptyInput() {
        let empty = Volume(size: SIMD3(0, 3, 3), repeating: UInt8(0))
        #expect(throws: VolumeError.self) { try empty.resampled(toSize: SIMD3(2, 2, 2)) }
        #expect(throws: VolumeError.self) { try empty.resampledNearest(toSize: SIMD3(2, 2, 2)) }
    }
}

private func abs(_ v: SIMD3<Double>) -> SIMD3<Double> { SIMD3(Swift.abs(v.x), Swift.abs(v.y), Swift.abs(v.z)) }
