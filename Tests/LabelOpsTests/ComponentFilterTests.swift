import Testing
import VolumeCore

@testable import LabelOps

/// Keep-largest, remove-small, merge by priority and the error paths, on small hand-made label maps.
@Suite struct ComponentFilterTests {
    /// Cubes of `label` at (lower, edge) on a 20×10×10 grid with 2×1×1 mm voxels, grid centre at x = 0.
    static func grid(_ cubes: [(UInt8, SIMD3<Int>, Int)]) throws -> Volume<UInt8> {
        let geometry = try VolumeGeometry(spacing: SIMD3(2, 1, 1), origin: SIMD3(-19, 0, 0))
        var volume = Volume(size: SIMD3(20, 10, 10), geometry: geometry, repeating: UInt8(0))
        for (label, lower, edge) in cubes {
            for k in lower.z..<(lower.z + edge) {
                for j in lower.y..<(lower.y + edge) {
                    for i in lower.x..<(lower.x + edge) { volume[i, j, k] = label }
                }
            }
        }
        return volume
    }

    @Test func keepLargestPerLabel() throws {
        let volume = try Self.grid([(1, SIMD3(0, 0, 0), 3), (1, SIMD3(10, 5, 5), 2), (2, SIMD3(5, 5, 0), 1)])
        let result = try keepLargestComponent(volume, labels: [1])
        #expect(result.labelMap.voxels.elements.filter { $0 == 1 }.count == 27)
        #expect(result.labelMap.voxels.elements.filter { $0 == 2 }.count == 1)
        let removal = try #require(result.removals.first)
        #expect(removal.label == 1 && removal.componentsBefore == 2 && removal.componentsRemoved == 1)
        #expect(removal.voxelsRemoved == 8 && removal.volumeRemovedMM3 == 16)
    }

    @Test func keepLargestPerSideKeepsOneComponentOnEachSide() throws {
        // Right side (x < 0): indices 0..9; left side (x ≥ 0): 10..19.
        let volume = try Self.grid([
            (1, SIMD3(1, 1, 1), 3), (1, SIMD3(6, 6, 6), 2), (1, SIMD3(12, 1, 1), 4), (1, SIMD3(17, 7, 7), 2),
        ])
        let result = try keepLargestComponentPerSide(volume, labels: [1])
        #expect(result.labelMap.voxels.elements.filter { $0 == 1 }.count == 27 + 64)
        #expect(result.removals.first?.componentsRemoved == 2)
        let explicit = try keepLargestComponentPerSide(volume, labels: [1], split: .worldX(100))
        #expect(explicit.labelMap.voxels.elements.filter { $0 == 1 }.count == 64)
    }

    @Test func removeSmallUsesMillimetres() throws {
        let volume = try Self.grid([(3, SIMD3(0, 0, 0), 2), (3, SIMD3(10, 5, 5), 3)])
        // 8 voxels × 2 mm³ = 16 mm³ goes, 27 × 2 = 54 mm³ stays.
        let result = try removeSmallComponents(volume, minimumVolumeMM3: 20)
        #expect(result.labelMap.voxels.elements.filter { $0 == 3 }.count == 27)
        #expect(
            result.removals == [
                ComponentRemoval(
                    label: 3, componentsBefore: 2, componentsRemoved: 1, voxelsRemoved: 8, volumeRemovedMM3: 16)
            ])
        #expect(throws: LabelOpsError.self) { try removeSmallComponents(volume, minimumVolumeMM3: -1) }
    }

    @Test func statisticsGiveBoxAndWorldCentroid() throws {
        let volume = try Self.grid([(1, SIMD3(2, 3, 4), 3)])
        let stats = try connectedComponents(volume).statistics()
        #expect(stats.count == 1)
        #expect(stats[0].boundingBox == IndexBox(lower: SIMD3(2, 3, 4), upper: SIMD3(5, 6, 7)))
        #expect(stats[0].centroidWorld == SIMD3<Double>(-13, 4, 5))
    }

    @Test func mergeByPriorityResolvesAndReportsOverlaps() throws {
        let a = try Self.grid([(1, SIMD3(0, 0, 0), 4)])
        let b = try Self.grid([(7, SIMD3(2, 2, 2), 4)])
        let merged = try #require(
            try mergeLabelMaps(
                [
                    LabelMergeSource(name: "kidney", labelMap: a),
                    LabelMergeSource(name: "tumor", labelMap: b, mapping: [7: 2]),
                ],
                priority: [2, 1]))
        #expect(merged.labelMap.voxels.elements.filter { $0 == 2 }.count == 64)
        #expect(merged.labelMap.voxels.elements.filter { $0 == 1 }.count == 64 - 8)
        #expect(merged.overlaps == [LabelOverlap(winner: 2, loser: 1, voxels: 8)])
        #expect(throws: LabelOpsError.self) {
            try mergeLabelMaps([LabelMergeSource(name: "kidney", labelMap: a)], priority: [2])
        }
    }

    @Test func mismatchedGeometryIsAnErrorNamingTheSource() throws {
        let a = try Self.grid([(1, SIMD3(0, 0, 0), 4)])
        var b = a
        b.geometry = try VolumeGeometry(spacing: SIMD3(1, 1, 1), origin: .zero)
        do {
            _ = try mergeLabelMaps(
                [LabelMergeSource(name: "old", labelMap: a), LabelMergeSource(name: "new", labelMap: b)], priority: [1])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .geometryMismatch)
            #expect(error.message.contains("'new'"))
        }
    }

    @Test(arguments: Connectivity.allCases)
    func neighbourhoodSizes(_ connectivity: Connectivity) {
        #expect(connectivity.allOffsets.count == connectivity.rawValue)
        #expect(connectivity.backwardOffsets.count == connectivity.rawValue / 2)
    }

    @Test func ballOffsetsOnAnisotropicSpacing() {
        // 2 mm radius on 1×1×2.5 mm: the z reach is 0, so the ball is the 13-voxel disc.
        #expect(ballOffsets(radiusMM: 2, spacing: SIMD3(1, 1, 2.5)).count == 13)
        #expect(throws: LabelOpsError.self) { try dilate(Volume(size: SIMD3(2, 2, 2), repeating: 0), radiusMM: -1) }
        #expect(throws: LabelOpsError.self) {
            try fillHolesSliceWise(Volume(size: SIMD3(2, 2, 2), repeating: 0), axis: 3)
        }
    }
}
