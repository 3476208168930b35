import OrganaTestSupport
import Testing
import VolumeCore

@Suite struct VolumeGeometryTests {
    static let oblique = try! VolumeGeometry(
        spacing: SIMD3(0.7, 0.8, 2.5), origin: SIMD3(-100, 50, 12),
        direction: SyntheticVolumes.rotation(SIMD3(0.3, -0.5, 1.1)))

    @Test(arguments: [SIMD3<Double>(0, 0, 0), SIMD3(1, 2, 3), SIMD3(-4.5, 10.25, 99), SIMD3(511, 511, 299)])
    func indexToWorldRoundTripsForObliqueDirection(_ index: SIMD3<Double>) {
        let world = Self.oblique.worldPoint(atIndex: index)
        let back = Self.oblique.continuousIndex(atWorld: world)
        #expect(abs(back.x - index.x) < 1e-9 && abs(back.y - index.y) < 1e-9 && abs(back.z - index.z) < 1e-9)
    }

    @Test func worldPointFollowsTheITKFormula() throws {
        let geometry = try VolumeGeometry(
            spacing: SIMD3(2, 3, 4), origin: SIMD3(10, 20, 30),
            direction: Matrix3(rows: SIMD3(0, -1, 0), SIMD3(1, 0, 0), SIMD3(0, 0, 1)))
        // Index axis i points along world +y, j along world -x.
        #expect(geometry.worldPoint(atIndex: SIMD3(1, 0, 0)) == SIMD3(10, 22, 30))
        #expect(geometry.worldPoint(atIndex: SIMD3(0, 1, 0)) == SIMD3(7, 20, 30))
        #expect(geometry.worldPoint(atIndex: SIMD3(0, 0, 1)) == SIMD3(10, 20, 34))
        #expect(geometry.orientationCode == "PRS")
    }

    @Test(arguments: [
        (Matrix3.identity, "LPS"),
        (Matrix3.diagonal(SIMD3(-1, -1, 1)), "RAS"),
        (Matrix3.diagonal(SIMD3(1, -1, -1)), "LAI"),
        (Matrix3(rows: SIMD3(0, 0, 1), SIMD3(1, 0, 0), SIMD3(0, -1, 0)), "PIL"),
    ])
    func orientationCodeNamesWhereEachIndexAxisPoints(_ direction: Matrix3, _ code: String) throws {
        let geometry = try VolumeGeometry(spacing: SIMD3(1, 1, 1), direction: direction)
        #expect(geometry.orientationCode == code)
    }

    @Test func obliqueOrientationUsesTheDominantAxes() throws {
        let slightlyTilted = SyntheticVolumes.rotation(SIMD3(0.2, 0.1, 0.15))
        let geometry = try VolumeGeometry(spacing: SIMD3(1, 1, 1), direction: slightlyTilted)
        #expect(geometry.orientationCode == "LPS")
    }

    @Test(arguments: [SIMD3<Double>(0, 1, 1), SIMD3(-1, 1, 1), SIMD3(.nan, 1, 1), SIMD3(1, .infinity, 1)])
    func invalidSpacingIsRejected(_ spacing: SIMD3<Double>) {
        let error = #expect(throws: VolumeError.self) { try VolumeGeometry(spacing: spacing) }
        #expect(error?.code == .invalidSpacing)
    }

    @Test func singularDirectionIsRejected() {
        let flat = Matrix3(rows: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(1, 1, 0))
        let error = #expect(throws: VolumeError.self) { try VolumeGeometry(spacing: SIMD3(1, 1, 1), direction: flat) }
        #expect(error?.code == .invalidDirection)
    }

    @Test func matrixInverseAndDeterminant() throws {
        let m = Matrix3(rows: SIMD3(2, 0, 1), SIMD3(1, 3, 0), SIMD3(0, 1, 4))
        #expect(m.determinant == 25)
        let inverse = try #require(m.inverse)
        #expect((m * inverse).maxAbsDifference(to: .identity) < 1e-15)
        #expect(Matrix3(rowMajor: m.rowMajor) == m)
        #expect(m.transposed.column(0) == m.row0)
    }

    @Test func shiftedGeometryMovesTheOriginToTheNewFirstVoxel() {
        let shifted = Self.oblique.shifted(byVoxels: SIMD3(3, -2, 5))
        #expect(shifted.worldPoint(atIndex: .zero) == Self.oblique.worldPoint(atIndex: SIMD3(3, -2, 5)))
        #expect(shifted.spacing == Self.oblique.spacing && shifted.direction == Self.oblique.direction)
    }
}
