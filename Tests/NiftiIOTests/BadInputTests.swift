import ArrayCore
import Foundation
import OrganaTestSupport
import Testing
import VolumeCore

@testable import NiftiIO

/// Corrupt, truncated, oversized and inconsistent files: each is a `NiftiError` with the right code, never a
/// crash, and nothing is allocated past the limits.
@Suite struct BadInputTests {
    /// A valid little-endian NIfTI-1 file (header + voxels) to damage.
    static func validFile() throws -> [UInt8] {
        let volume = try SyntheticVolumes.ct(size: SIMD3(6, 5, 4))
        let header = try NiftiWriter.makeHeader(for: volume)
        return header.encoded() + volume.voxels.elements.withUnsafeBytes { Array($0) }
    }

    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { Gzip.compress($0, level: 6).flatMap { $0 } }
    }

    /// Writes `bytes` to a temporary file, reads it, and returns the error.
    static func readError(
        _ bytes: [UInt8], name: String = "bad.nii", options: NiftiReadOptions = .init()
    ) throws
        -> NiftiError
    {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: NiftiError.self) { try NiftiReader.read(path, options: options) }
        #expect(error.path == path, "the error names the file")
        return error
    }

    static func patched(_ bytes: [UInt8], _ patch: (inout ByteWriter) -> Void) -> [UInt8] {
        var writer = ByteWriter(count: 0)
        writer.bytes = bytes
        patch(&writer)
        return writer.bytes
    }

    @Test func wrongMagicIsNotNifti() throws {
        var bytes = try Self.validFile()
        bytes.replaceSubrange(344..<348, with: Array("abc\0".utf8))
        #expect(try Self.readError(bytes).code == .notNifti)
        #expect(try Self.readError(Array("plain text, not an image".utf8)).code == .notNifti)
    }

    @Test func emptyAndShortFilesAreTruncated() throws {
        #expect(try Self.readError([]).code == .truncated)
        #expect(try Self.readError(Array(try Self.validFile().prefix(200))).code == .truncated)
    }

    @Test(arguments: [NiftiReadOptions.Decompression.automatic, .streaming])
    func truncatedDataIsReported(_ decompression: NiftiReadOptions.Decompression) throws {
        let bytes = try Self.validFile()
        let plain = try Self.readError(Array(bytes.dropLast(7)), options: .init(decompression: decompression))
        #expect(plain.code == .truncated)
        let compressed = Self.gzip(bytes)
        let cut = try Self.readError(
            Array(compressed.prefix(compressed.count - 30)), name: "bad.nii.gz",
            options: .init(decompression: decompression))
        #expect(cut.code == .truncated || cut.code == .corruptCompression)
    }

    @Test(arguments: [NiftiReadOptions.Decompression.automatic, .streaming])
    func corruptGzipIsReported(_ decompression: NiftiReadOptions.Decompression) throws {
        var compressed = Self.gzip(try Self.validFile())
        for index in stride(from: 40, to: compressed.count - 8, by: 7) { compressed[index] ^= 0x5A }
        let error = try Self.readError(compressed, name: "bad.nii.gz", options: .init(decompression: decompression))
        #expect(error.code == .corruptCompression || error.code == .notNifti)
    }

    @Test func gzipCrcMismatchIsReported() throws {
        var compressed = Self.gzip(try Self.validFile())
        compressed[compressed.count - 6] ^= 0xFF  // CRC32 of the only member
        let error = try Self.readError(compressed, name: "bad.nii.gz")
        #expect(error.code == .corruptCompression)
    }

    @Test(arguments: [Int16(0), 8, -1])
    func rankOutsideOneToSevenIsRejected(_ rank: Int16) throws {
        let bytes = Self.patched(try Self.validFile()) { $0.put(rank, at: 40) }
        #expect(try Self.readError(bytes).code == .invalidDimensions)
    }

    @Test(arguments: [Int16(0), -5])
    func nonPositiveExtentIsRejected(_ extent: Int16) throws {
        let bytes = Self.patched(try Self.validFile()) { $0.put(extent, at: 44) }
        #expect(try Self.readError(bytes).code == .invalidDimensions)
    }

    @Test func voxelLimitIsEnforcedBeforeAllocating() throws {
        // 32767³ int16 voxels claimed by a 400-byte file: refused from the header alone.
        let huge = Self.patched(try Self.validFile()) { writer in
            for axis in 1...3 { writer.put(Int16.max, at: 40 + 2 * axis) }
        }
        #expect(try Self.readError(huge).code == .limitExceeded)
        let small = try Self.readError(try Self.validFile(), options: .init(maxVoxelCount: 100))
        #expect(small.code == .limitExceeded)
        #expect(small.message.contains("120"))
    }

    @Test func nifti2DimensionsThatOverflowAreRejected() throws {
        let volume = Volume(size: SIMD3(2, 2, 2), repeating: UInt8(0))
        var header = try NiftiWriter.makeHeader(for: volume, options: .init(version: .nifti2))
        header.dim = [3, 1 << 20, 1 << 20, 4, 1, 1, 1, 1]  // 2^42 voxels: countable, over the limit
        #expect(try Self.readError(header.encoded()).code == .limitExceeded)
        header.dim = [3, Int64(Int32.max), Int64(Int32.max), Int64(Int32.max), 1, 1, 1, 1]  // product overflows
        #expect(try Self.readError(header.encoded()).code == .invalidDimensions)
        header.dim = [3, Int64.max, 2, 2, 1, 1, 1, 1]
        #expect(try Self.readError(header.encoded()).code == .invalidDimensions)
    }

    @Test(arguments: [Float(0), -1.5, .nan, .infinity])
    func badSpacingIsRejected(_ spacing: Float) throws {
        let bytes = Self.patched(try Self.validFile()) { $0.put(spacing.bitPattern, at: 76 + 4 * 2) }
        let error = try Self.readError(bytes)
        #expect(error.code == .invalidSpacing)
        #expect(error.message.contains("pixdim[2]"))
    }

    @Test(arguments: [Int16(32), 128, 1536, 9999, 0])
    func unsupportedDatatypeIsRejected(_ code: Int16) throws {
        let bytes = Self.patched(try Self.validFile()) { $0.put(code, at: 70) }
        let error = try Self.readError(bytes)
        #expect(error.code == .unsupportedDatatype)
        #expect(error.message.contains("\(code)"))
    }

    @Test func hugeExtensionOffsetIsRejected() throws {
        let bytes = Self.patched(try Self.validFile()) { $0.putFloat32(1e9, at: 108) }
        #expect(try Self.readError(bytes).code == .limitExceeded)
        let fractional = Self.patched(try Self.validFile()) { $0.putFloat32(352.5, at: 108) }
        #expect(try Self.readError(fractional).code == .invalidHeader)
    }

    @Test func shearedSformWithoutQformIsRejected() throws {
        let bytes = Self.patched(try Self.validFile()) { writer in
            writer.put(Int16(0), at: 252)  // qform_code
            writer.putFloat32(0.5, at: 284)  // srow_x[1]: shear
        }
        let error = try Self.readError(bytes)
        #expect(error.code == .invalidHeader)
        #expect(error.message.contains("sheared"))
    }

    @Test func missingFileAndFolderAreIOErrors() throws {
        let missing = try #require(throws: NiftiError.self) { try NiftiReader.read("/nonexistent/ct.nii.gz") }
        #expect(missing.code == .io)
        #expect(missing.description.contains("/nonexistent/ct.nii.gz"))
        let folder = try #require(throws: NiftiError.self) { try NiftiReader.read(NSTemporaryDirectory()) }
        #expect(folder.code == .io)
    }

    @Test func twoFileHeaderIsRejectedClearly() throws {
        var bytes = try Self.validFile()
        bytes.replaceSubrange(344..<348, with: Array("ni1\0".utf8))
        let error = try Self.readError(bytes)
        #expect(error.code == .unsupportedDatatype)
        #expect(error.message.contains(".hdr"))
    }

    @Test func readingOnlyTheHeaderOfALargeClaimIsCheap() throws {
        let huge = Self.patched(try Self.validFile()) { writer in
            for axis in 1...3 { writer.put(Int16.max, at: 40 + 2 * axis) }
        }
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("huge.nii.gz").path
        try Data(Self.gzip(huge)).write(to: URL(fileURLWithPath: path))
        let header = try NiftiReader.readHeader(path)
        #expect(header.dim[1...3] == [32767, 32767, 32767])
    }
}
