import ArrayCore
import Foundation
import OrganaTestSupport
import Testing
import VolumeCore

@testable import NiftiIO

/// Organa writes, Organa reads back: every datatype, both versions, plain and gzip, oblique geometry.
@Suite struct RoundTripTests {
    enum Container: String, CaseIterable, Sendable { case nii = ".nii", gz = ".nii.gz" }

    static let geometry = try! VolumeGeometry(
        spacing: SIMD3(0.75, 0.8, 2.5), origin: SIMD3(-120.5, 85.25, -300),
        direction: SyntheticVolumes.rotation(SIMD3(0.2, -0.35, 0.6)))

    @Test(arguments: ScalarKind.allCases, Container.allCases)
    func everyDatatypeRoundTrips(_ kind: ScalarKind, _ container: Container) throws {
        switch kind {
        case .uint8: try roundTrip(UInt8.self, container)
        case .int8: try roundTrip(Int8.self, container)
        case .uint16: try roundTrip(UInt16.self, container)
        case .int16: try roundTrip(Int16.self, container)
        case .uint32: try roundTrip(UInt32.self, container)
        case .int32: try roundTrip(Int32.self, container)
        case .uint64: try roundTrip(UInt64.self, container)
        case .int64: try roundTrip(Int64.self, container)
        case .float32: try roundTrip(Float.self, container)
        case .float64: try roundTrip(Double.self, container)
        }
    }

    private func roundTrip<V: Scalar & BitwiseCopyable>(_ type: V.Type, _ container: Container) throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let volume = try SyntheticVolumes.random(V.self, size: SIMD3(9, 7, 5), geometry: Self.geometry)
        for version in [NiftiHeader.Version.nifti1, .nifti2] {
            let path = folder.appendingPathComponent("v\(version.rawValue)\(container.rawValue)").path
            try NiftiWriter.write(volume, to: path, options: .init(version: version))
            let image = try NiftiReader.read(path)
            #expect(image.header.version == version)
            #expect(image.isCompressed == (container == .gz))
            guard case let read = image.volume.converted(to: V.self), image.volume.kind == V.kind else {
                Issue.record("read back as \(image.volume.kind), wrote \(V.kind)")
                continue
            }
            #expect(read.voxels == volume.voxels)
            // NIfTI-1 stores geometry in float32; NIfTI-2 in float64.
            let tolerance = version == .nifti1 ? 2e-5 : 1e-12
            #expect(read.geometry.isApproximatelyEqual(to: volume.geometry, tolerance: tolerance))
        }
    }

    @Test func largeVolumeIsWrittenAsSeveralGzipMembersAndReadByBothPaths() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let volume = try SyntheticVolumes.ct(size: SIMD3(160, 160, 90))  // 4.6 MB of int16
        let members = volume.voxels.elements.withUnsafeBytes { Gzip.compress($0, level: 1, memberSize: 1 << 20) }
        #expect(members.count == 5)
        let path = folder.appendingPathComponent("ct.nii.gz").path
        try NiftiWriter.write(volume, to: path)
        for decompression in NiftiReadOptions.Decompression.allCases {
            let image = try NiftiReader.read(path, options: .init(decompression: decompression))
            #expect(image.volume.converted(to: Int16.self).voxels == volume.voxels, "\(decompression)")
        }
    }

    @Test func writtenHeaderFollowsITK() throws {
        let volume = try SyntheticVolumes.ct(size: SIMD3(4, 3, 2), spacing: SIMD3(0.7, 0.7, 3))
        let header = try NiftiWriter.makeHeader(for: volume)
        #expect(header.qformCode == 1 && header.sformCode == 1)
        #expect(header.voxOffset == 352)
        #expect(header.xyztUnits == 10)
        #expect(header.dim == [3, 4, 3, 2, 1, 1, 1, 1])
        #expect(header.datatype == Int16(NiftiDatatype.int16.rawValue) && header.bitpix == 16)
        let decoded = try NiftiHeader(decoding: header.encoded())
        #expect(decoded.encoded() == header.encoded())  // stable once rounded to the file's float32 fields
        #expect(try decoded.transformSource() == .sform)
    }

    @Test(arguments: [
        SIMD3<Double>(0, 0, 0), SIMD3(0.1, 0.2, 0.3), SIMD3(3.1, 0, 0), SIMD3(0, 3.1, 0), SIMD3(0, 0, 3.1),
        SIMD3(1.5, -2.9, 0.4),
    ])
    func quaternionReproducesRotation(_ angles: SIMD3<Double>) throws {
        for flip in [1.0, -1.0] {
            let rotation = SyntheticVolumes.rotation(angles) * .diagonal(SIMD3(1, 1, flip))
            var header = NiftiHeader()
            header.version = .nifti2  // float64 fields: checks the math, not float32 rounding
            header.setTransforms(from: try VolumeGeometry(spacing: SIMD3(1, 2, 3), direction: rotation))
            header.sformCode = 0
            let geometry = try header.geometry()
            #expect(geometry.direction.maxAbsDifference(to: rotation) < 1e-7, "angles \(angles) flip \(flip)")
        }
    }

    @Test func writingNonOrthonormalDirectionIsRefused() throws {
        let sheared = Matrix3(rows: SIMD3(1, 0.3, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))
        let volume = Volume(
            size: SIMD3(2, 2, 2), geometry: try VolumeGeometry(spacing: SIMD3(1, 1, 1), direction: sheared),
            repeating: UInt8(0))
        let error = try #require(throws: NiftiError.self) { try NiftiWriter.makeHeader(for: volume) }
        #expect(error.code == .invalidVolume)
    }

    @Test func failedWriteLeavesNothingBehind() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missing/sub/ct.nii.gz").path
        let volume = Volume(size: SIMD3(2, 2, 2), repeating: UInt8(1))
        let error = try #require(throws: NiftiError.self) { try NiftiWriter.write(volume, to: path) }
        #expect(error.code == .io)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
