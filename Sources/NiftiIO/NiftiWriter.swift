// Design: Volume → NIfTI file, header as ITK's NiftiImageIO writes it (qform and sform both code 1 "scanner",
// same matrix; pixdim[0] = qfac; xyzt_units mm+s; scl_slope 1, scl_inter 0; vox_offset right after the
// 4-byte extension flag), so SimpleITK and nibabel read back the same geometry. gzip output is several
// gzip members compressed in parallel (valid RFC 1952; zlib, Python and ITK read them as one stream).
// The file appears atomically (temporary file + rename).
public import ArrayCore
public import VolumeCore

/// Writes volumes as NIfTI-1 or NIfTI-2 files.
public enum NiftiWriter {
    /// Writes `volume` to `path` (`.nii.gz` → gzip-compressed, anything else → plain).
    /// - Throws: `NiftiError.invalidVolume` when the geometry or size cannot be stored in the chosen format,
    ///   `.io` when the file cannot be written (nothing is left behind then).
    public static func write<V: Scalar & BitwiseCopyable>(
        _ volume: Volume<V>, to path: String, options: NiftiWriteOptions = .init()
    ) throws {
        let header = try makeHeader(for: volume, options: options)
        let headerBytes = header.encoded()
        let compressed = path.hasSuffix(".gz")
        var elements = volume.voxels.elements
        if 1.bigEndian == 1, V.kind.byteCount > 1 {
            // Host is big-endian: NIfTI files are written little-endian.
            elements = elements.map { swapBytes($0) }
        }
        do {
            try AtomicFileWriter.write(to: path) { file in
                try elements.withUnsafeBytes { data in
                    if compressed {
                        try headerBytes.withUnsafeBytes { header in
                            for member in Gzip.compress(header, level: options.compressionLevel) {
                                try file.write(member)
                            }
                        }
                        for member in Gzip.compress(data, level: options.compressionLevel) { try file.write(member) }
                    } else {
                        try file.write(headerBytes)
                        try file.write(data)
                    }
                }
            }
        } catch let error as NiftiError {
            throw error.at(path)
        }
    }

    /// The header `write` uses for `volume`.
    public static func makeHeader<V: Scalar>(
        for volume: Volume<V>, options: NiftiWriteOptions = .init()
    ) throws
        -> NiftiHeader
    {
        try checkDirection(volume.geometry.direction)
        let size = volume.size
        if options.version == .nifti1, size.x > Int(Int16.max) || size.y > Int(Int16.max) || size.z > Int(Int16.max) {
            throw NiftiError(.invalidVolume, "size \(size) exceeds NIfTI-1's 32767 per axis; write NIfTI-2")
        }
        var header = NiftiHeader()
        header.version = options.version
        header.dim = [3, Int64(size.x), Int64(size.y), Int64(size.z), 1, 1, 1, 1]
        let datatype = NiftiDatatype(V.kind)
        header.datatype = Int16(datatype.rawValue)
        header.bitpix = Int16(datatype.bitsPerVoxel)
        header.pixdim = [1, 1, 1, 1, 0, 0, 0, 0]
        header.setTransforms(from: volume.geometry)
        header.voxOffset = Int64(
            (options.version == .nifti1 ? NiftiHeader.nifti1HeaderSize : NiftiHeader.nifti2HeaderSize) + 4)
        header.xyztUnits = 2 | 8  // mm, seconds (as ITK writes)
        header.descrip = String(decoding: options.description.utf8.prefix(79), as: UTF8.self)
        return header
    }

    /// NIfTI stores a rotation (quaternion) and a scaled sform; a non-orthonormal direction cannot round-trip.
    private static func checkDirection(_ direction: Matrix3) throws {
        let product = direction * direction.transposed
        guard product.maxAbsDifference(to: .identity) <= 1e-4 else {
            throw NiftiError(
                .invalidVolume, "direction \(direction.rowMajor) is not orthonormal; NIfTI can only store rotations")
        }
    }

    private static func swapBytes<V: Scalar & BitwiseCopyable>(_ value: V) -> V {
        var copy = value
        withUnsafeMutableBytes(of: &copy) { raw in
            for index in 0..<(raw.count / 2) { raw.swapAt(index, raw.count - 1 - index) }
        }
        return copy
    }
}
