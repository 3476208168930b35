import ArrayCore
import Foundation
import NiftiIO
import OrganaTestSupport
import Testing
import VolumeCore

/// Files Organa writes read back in SimpleITK and nibabel with the same voxels and geometry.
/// Runs tools/fixtures/read_back.py with the reference interpreter (`scripts/test.sh` provides it).
@Suite struct ReferenceReadBackTests {
    struct Report: Decodable {
        var simpleitk: ReferenceFixtures.SimpleITKReport
        var nibabel: ReferenceFixtures.NibabelReport
    }

    static let geometries: [VolumeGeometry] = [
        try! VolumeGeometry(spacing: SIMD3(0.8, 0.8, 2.5), origin: SIMD3(-200, -180, -350)),
        try! VolumeGeometry(
            spacing: SIMD3(0.7, 0.9, 3), origin: SIMD3(12.5, -40.25, 88),
            direction: SyntheticVolumes.rotation(SIMD3(0.3, -0.2, 0.9))),
        try! VolumeGeometry(  // mirrored (det = -1): qfac -1
            spacing: SIMD3(1.5, 1.5, 1.5), origin: SIMD3(5, 6, 7),
            direction: SyntheticVolumes.rotation(SIMD3(-0.4, 0.1, 0.25)) * .diagonal(SIMD3(1, 1, -1))),
    ]

    @Test func simpleITKAndNibabelReadWhatOrganaWrites() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var written: [(path: String, volume: AnyVolume)] = []
        for (index, geometry) in Self.geometries.enumerated() {
            let ct = try SyntheticVolumes.ct(
                size: SIMD3(11, 9, 7), spacing: geometry.spacing, origin: geometry.origin,
                direction: geometry.direction, seed: UInt64(index))
            let labels = SyntheticVolumes.sphere(size: SIMD3(11, 9, 7), radius: 3, label: 3, geometry: geometry)
            let values = try SyntheticVolumes.random(Float.self, size: SIMD3(6, 5, 4), geometry: geometry)
            for (name, volume) in [("ct", AnyVolume(ct)), ("labels", AnyVolume(labels)), ("values", AnyVolume(values))]
            {
                for suffix in [".nii.gz", ".nii"] {
                    let path = folder.appendingPathComponent("\(name)-\(index)\(suffix)").path
                    try write(volume, to: path)
                    written.append((path, volume))
                }
            }
        }
        let output = try ReferencePython.run(script: "tools/fixtures/read_back.py", arguments: written.map(\.path))
        let reports = try JSONDecoder().decode([String: Report].self, from: output)
        #expect(reports.count == written.count)
        for (path, volume) in written {
            let report = try #require(reports[path])
            try check(report, against: volume, path: path)
        }
    }

    private func write(_ volume: AnyVolume, to path: String) throws {
        switch volume {
        case .int16(let v): try NiftiWriter.write(v, to: path)
        case .uint8(let v): try NiftiWriter.write(v, to: path)
        case .float32(let v): try NiftiWriter.write(v, to: path)
        default: Issue.record("unexpected type \(volume.kind)")
        }
    }

    private func check(_ report: Report, against volume: AnyVolume, path: String) throws {
        let sitk = report.simpleitk
        let geometry = volume.geometry
        let size = volume.size
        #expect(sitk.error == nil, "\(path): \(sitk.error ?? "")")
        #expect(sitk.size == [size.x, size.y, size.z], "\(path)")
        #expect(sitk.numpy_dtype == volume.kind.rawValue, "\(path)")
        #expect(sitk.array == volume.apply(Elements()), "\(path): SimpleITK voxels")
        #expect(report.nibabel.fdata == volume.apply(Elements()), "\(path): nibabel voxels")
        let spacing = try #require(sitk.spacing)
        let origin = try #require(sitk.origin)
        let direction = try #require(sitk.direction)
        for axis in 0..<3 {
            #expect(abs(spacing[axis] - geometry.spacing[axis]) <= 1e-6, "\(path) spacing")
            #expect(abs(origin[axis] - geometry.origin[axis]) <= 1e-4, "\(path) origin")
        }
        #expect(zip(direction, geometry.direction.rowMajor).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(path) direction")
        // nibabel's affine is ours in RAS.
        let lps = geometry.indexToWorldAffine
        for row in 0..<3 {
            for column in 0..<4 {
                let expected = (row < 2 ? -1 : 1) * lps[row][column]
                #expect(abs(report.nibabel.affine[row][column] - expected) <= 1e-4, "\(path) affine[\(row)][\(column)]")
            }
        }
        #expect(report.nibabel.qform_code == 1 && report.nibabel.sform_code == 1)
    }
}
