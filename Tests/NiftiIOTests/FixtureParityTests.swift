import ArrayCore
import Foundation
import NiftiIO
import Testing
import VolumeCore

/// Organa's reader against SimpleITK 2.5.7 and nibabel 5.4.2 on files they wrote (Fixtures/README.md).
@Suite struct FixtureParityTests {
    static let readableBySimpleITK = ReferenceFixtures.cases.filter { $0.simpleitk.error == nil }
    static let rejectedBySimpleITK = ReferenceFixtures.cases.filter { $0.simpleitk.error != nil }

    @Test func fixturesArePresent() {
        #expect(ReferenceFixtures.cases.count >= 20)
    }

    @Test(arguments: readableBySimpleITK)
    func voxelsAndTypeMatchSimpleITK(_ fixture: ReferenceFixtures.Case) throws {
        let image = try NiftiReader.read(fixture.path)
        let reference = fixture.simpleitk
        #expect(image.volume.kind.rawValue == reference.numpy_dtype)
        let ours = image.volume.apply(Elements())
        // A 4-D reference array is (t, z, y, x): its first volume is its first `ours.count` values.
        let theirs = Array((reference.array ?? []).prefix(ours.count))
        #expect(difference(ours, theirs) == "")
    }

    @Test(arguments: readableBySimpleITK)
    func geometryMatchesSimpleITK(_ fixture: ReferenceFixtures.Case) throws {
        let image = try NiftiReader.read(fixture.path)
        let reference = fixture.simpleitk
        let dimension = try #require(reference.dimension)
        let n = min(dimension, 3)
        let size = image.volume.size
        let geometry = image.geometry
        #expect(Array([size.x, size.y, size.z].prefix(n)) == Array(try #require(reference.size).prefix(n)))
        let spacing = try #require(reference.spacing)
        let origin = try #require(reference.origin)
        let direction = try #require(reference.direction)
        for axis in 0..<n {
            #expect(geometry.spacing[axis] == spacing[axis], "spacing axis \(axis)")
            #expect(abs(geometry.origin[axis] - origin[axis]) <= 1e-9, "origin axis \(axis)")
            for row in 0..<n {
                let theirs = direction[row * dimension + axis]
                let ours = geometry.direction.rowMajor[row * 3 + axis]
                #expect(abs(ours - theirs) <= 1e-12, "direction[\(row)][\(axis)]: \(ours) vs \(theirs)")
            }
        }
    }

    /// Where nibabel's affine is the transform ITK chose, Organa's affine (in RAS) equals it.
    @Test(
        arguments: ReferenceFixtures.cases.filter {
            $0.simpleitk_geometry_matches?.contains("nibabel_affine") ?? ($0.simpleitk.error != nil)
        })
    func affineMatchesNibabel(_ fixture: ReferenceFixtures.Case) throws {
        let image = try NiftiReader.read(fixture.path)
        let affine = fixture.nibabel.affine.flatMap { $0 }
        let lps = image.geometry.indexToWorldAffine
        for row in 0..<3 {
            let sign: Double = row < 2 ? -1 : 1
            for column in 0..<4 {
                let ours = sign * lps[row][column]
                #expect(abs(ours - affine[row * 4 + column]) <= 1e-4, "affine[\(row)][\(column)]")
            }
        }
    }

    /// nibabel's scaled float64 data equal ours, except where ITK and the standard disagree (slope 0).
    @Test(arguments: ReferenceFixtures.cases)
    func voxelsMatchNibabel(_ fixture: ReferenceFixtures.Case) throws {
        let image = try NiftiReader.read(fixture.path)
        let ours = image.volume.apply(Elements())
        var theirs = try #require(fixture.nibabel.fdata ?? fixture.nibabel.fdata_first_volume)
        if image.header.sclSlope == 0 {
            // ITK (and Organa) read slope 0 as 1 and still add scl_inter; nibabel ignores both (the standard).
            theirs = theirs.map { $0 + image.header.sclInter }
        }
        if image.volume.kind == .float32 {
            theirs = theirs.map { Double(Float($0)) }
        }
        #expect(difference(ours, theirs) == "")
    }

    /// SimpleITK 2.5 cannot read NIfTI-2; Organa reads those files (checked against nibabel above).
    @Test(arguments: rejectedBySimpleITK)
    func filesSimpleITKRejectsAreNifti2(_ fixture: ReferenceFixtures.Case) throws {
        let image = try NiftiReader.read(fixture.path)
        #expect(image.header.version == .nifti2)
    }

    @Test func shearedSformFallsBackToQformWithWarning() throws {
        let fixture = try #require(ReferenceFixtures.named("nib-sheared-sform.nii.gz"))
        let image = try NiftiReader.read(fixture.path)
        #expect(image.transformSource == .qform)
        #expect(image.warnings.contains { $0.contains("qform") })
        #expect(fixture.simpleitk_geometry_matches?.contains("qform") == true)
    }

    @Test func fourDimensionalFileReadsFirstVolume() throws {
        let fixture = try #require(ReferenceFixtures.named("nib-4d-float32.nii.gz"))
        let image = try NiftiReader.read(fixture.path)
        #expect(image.volumeCount == fixture.simpleitk.size?[3])
        #expect(image.warnings.contains { $0.contains("first") })
    }
}
