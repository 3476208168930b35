import ArrayCore
import Testing

@testable import VolumeCore

@Suite("Crop, pad and bounding box")
struct CroppingTests {
    static let geometry = try! VolumeGeometry(
        spacing: SIMD3(0.7, 1.2, 2.5), origin: SIMD3(-30, 12, 5),
        direction: Matrix3(columns: SIMD3(0, 1, 0), SIMD3(-0.6, 0, 0.8), SIMD3(0.8, 0, 0.6)))

    /// Voxel (i, j, k) holds a value that encodes its index.
    static func coded(size: SIMD3<Int>) -> Volume<Int32> {
        var v = Volume(size: size, geometry: geometry, repeating: Int32(0))
        for k in 0..<size.z {
            for j in 0..<size.y { for i in 0..<size.x { v[i, j, k] = Int32(i + 100 * j + 10_000 * k) } }
        }
        return v
    }

    static func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

    @Test(arguments: [
        IndexBox(lower: SIMD3(1, 2, 0), upper: SIMD3(4, 5, 3)), IndexBox(lower: .zero, upper: SIMD3(6, 5, 4)),
        IndexBox(lower: SIMD3(5, 4, 3), upper: SIMD3(6, 5, 4)),
    ])
    func cropKeepsValuesAndWorldPositions(_ box: IndexBox) throws {
        let volume = Self.coded(size: SIMD3(6, 5, 4))
        let crop = try volume.cropped(to: box)
        #expect(crop.size == box.size)
        for k in 0..<crop.size.z {
            for j in 0..<crop.size.y {
                for i in 0..<crop.size.x {
                    let source = SIMD3(i, j, k) &+ box.lower
                    #expect(crop[i, j, k] == volume[source.x, source.y, source.z])
                    let here = crop.geometry.worldPoint(atIndex: SIMD3(Double(i), Double(j), Double(k)))
                    let there = volume.geometry.worldPoint(
                        atIndex: SIMD3(Double(source.x), Double(source.y), Double(source.z)))
                    #expect(Self.distance(here, there) < 1e-9)
                }
            }
        }
        #expect(
            crop.geometry.spacing == volume.geometry.spacing && crop.geometry.direction == volume.geometry.direction)
    }

    @Test(arguments: [
        IndexBox(lower: SIMD3(-1, 0, 0), upper: SIMD3(3, 3, 3)), IndexBox(lower: .zero, upper: SIMD3(7, 5, 4)),
        IndexBox(lower: SIMD3(2, 2, 2), upper: SIMD3(2, 4, 4)), IndexBox(lower: SIMD3(3, 0, 0), upper: SIMD3(1, 5, 4)),
        IndexBox(lower: SIMD3(Int.min, 0, 0), upper: SIMD3(Int.max, 5, 4)),
    ])
    func cropRejectsBadBoxes(_ box: IndexBox) {
        #expect(
            throws: VolumeError(
                .invalidRegion,
                "crop box \(box.lower)..<\(box.upper) is empty or outside a volume of size \(SIMD3(6, 5, 4))")
        ) {
            try Self.coded(size: SIMD3(6, 5, 4)).cropped(to: box)
        }
    }

    @Test(arguments: [
        (SIMD3(1, 0, 2), SIMD3(0, 3, 1)), (SIMD3(0, 0, 0), SIMD3(0, 0, 0)), (SIMD3(2, 2, 2), SIMD3(2, 2, 2)),
    ])
    func padKeepsValuesAndWorldPositions(_ lower: SIMD3<Int>, _ upper: SIMD3<Int>) throws {
        let volume = Self.coded(size: SIMD3(4, 3, 2))
        let padded = try volume.padded(lower: lower, upper: upper, value: -7)
        #expect(padded.size == volume.size &+ lower &+ upper)
        for k in 0..<padded.size.z {
            for j in 0..<padded.size.y {
                for i in 0..<padded.size.x {
                    let source = SIMD3(i, j, k) &- lower
                    if volume.contains(source) {
                        #expect(padded[i, j, k] == volume[source.x, source.y, source.z])
                        let here = padded.geometry.worldPoint(atIndex: SIMD3(Double(i), Double(j), Double(k)))
                        let there = volume.geometry.worldPoint(
                            atIndex: SIMD3(Double(source.x), Double(source.y), Double(source.z)))
                        #expect(Self.distance(here, there) < 1e-9)
                    } else {
                        #expect(padded[i, j, k] == -7)
                    }
                }
            }
        }
        // Cropping the padding away gives the original back, geometry included.
        let back = try padded.cropped(to: IndexBox(lower: lower, upper: lower &+ volume.size))
        #expect(back.voxels == volume.voxels)
        #expect(back.geometry.isApproximatelyEqual(to: volume.geometry, tolerance: 1e-9))
    }

    @Test(arguments: [
        (SIMD3(-1, 0, 0), SIMD3(0, 0, 0)), (SIMD3(0, 0, 0), SIMD3(0, -3, 0)), (SIMD3(Int.max, 0, 0), SIMD3(0, 0, 0)),
        (SIMD3(Int.max / 2, 0, 0), SIMD3(Int.max / 2, 0, 0)), (SIMD3(1 << 40, 1 << 40, 0), SIMD3(0, 0, 0)),
        (SIMD3(1 << 33, 0, 0), SIMD3(0, 0, 0)),  // countable, but 2^36 voxels: over the default limit
    ])
    func padRejectsBadPadding(_ lower: SIMD3<Int>, _ upper: SIMD3<Int>) {
        #expect(throws: VolumeError.self) {
            try Self.coded(size: SIMD3(4, 3, 2)).padded(lower: lower, upper: upper, value: 0)
        }
    }

    @Test func boundingBox() throws {
        var volume = Volume(size: SIMD3(7, 6, 5), geometry: Self.geometry, repeating: UInt8(0))
        #expect(volume.boundingBox { $0 != 0 } == nil)
        volume[2, 3, 1] = 4
        #expect(volume.boundingBox { $0 != 0 } == IndexBox(lower: SIMD3(2, 3, 1), upper: SIMD3(3, 4, 2)))
        volume[6, 0, 4] = 1
        volume[0, 5, 2] = 9
        let box = try #require(volume.boundingBox { $0 != 0 })
        #expect(box == IndexBox(lower: SIMD3(0, 0, 1), upper: SIMD3(7, 6, 5)))
        #expect(volume.boundingBox { $0 == 9 } == IndexBox(lower: SIMD3(0, 5, 2), upper: SIMD3(1, 6, 3)))
        // The crop to the box keeps every selected voxel.
        let crop = try volume.cropped(to: box)
        #expect(crop.voxels.elements.filter { $0 != 0 }.count == 3)
        #expect(box.expanded(by: 2, clippedTo: volume.size) == IndexBox(lower: .zero, upper: volume.size))
    }
}
