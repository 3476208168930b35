// Design: one read of a NIfTI file → typed voxels + geometry (nnU-Net's SimpleITK "array + props").
// Steps: open → header (streamed: the first 540 bytes only) → validate against limits (nothing large is
// allocated before this) → voxels: uncompressed files are read straight into the array; gzip files are
// mapped (mmap) and inflated whole straight into the array's own storage (one large gzip member on two
// threads, Internal/ParallelGzip.swift; otherwise libdeflate), or streamed with zlib (4-D files, files past
// the whole-buffer limit, or on request) → byte order → ITK intensity scaling → AnyVolume.
// Limits: two-file (.hdr/.img) pairs, complex/RGB/float128 data are rejected with a clear error.
import VolumeCore

/// Reads NIfTI-1 and NIfTI-2 files (`.nii`, `.nii.gz`).
public enum NiftiReader {
    /// Reads the first 3-D volume of a file with its geometry.
    /// - Throws: `NiftiError` naming the file and what is wrong with it.
    public static func read(_ path: String, options: NiftiReadOptions = .init()) throws -> NiftiImage {
        do {
            let file = try InputFile(path: path)
            let (header, compressed) = try readHeader(file)
            var layout = try VoxelLayout(header: header, options: options)
            let geometry = try header.geometry()
            let volume = try readVoxels(
                file, header: header, layout: layout, compressed: compressed, options: options, geometry: geometry)
            let source = try header.transformSource()
            if header.sformCode > 0, source != .sform {
                layout.warnings.append("the sform is sheared or disagrees with the qform; used the qform, as ITK does")
            }
            return NiftiImage(
                volume: volume, header: header, transformSource: source, isCompressed: compressed,
                volumeCount: layout.volumeCount, warnings: layout.warnings)
        } catch let error as NiftiError {
            throw error.at(path)
        }
    }

    /// Reads only the header (a few hundred bytes, even from a large compressed file).
    public static func readHeader(_ path: String) throws -> NiftiHeader {
        do {
            return try readHeader(try InputFile(path: path)).header
        } catch let error as NiftiError {
            throw error.at(path)
        }
    }

    private static func readHeader(_ file: InputFile) throws -> (header: NiftiHeader, compressed: Bool) {
        var prefix = [UInt8](repeating: 0, count: NiftiHeader.nifti2HeaderSize)
        var count = try prefix.withUnsafeMutableBytes { (raw) throws -> Int in try file.readFully(into: raw) }
        let compressed = Gzip.isGzip(Array(prefix.prefix(count)))
        if compressed {
            try file.seek(to: 0)
            let stream = try GzipInputStream(file: file, chunkSize: 64 << 10)
            count = try prefix.withUnsafeMutableBytes { (raw) throws -> Int in try stream.read(into: raw) }
        }
        return (try NiftiHeader(decoding: Array(prefix.prefix(count))), compressed)
    }

    private static func readVoxels(
        _ file: InputFile, header: NiftiHeader, layout: VoxelLayout, compressed: Bool, options: NiftiReadOptions,
        geometry: VolumeGeometry
    ) throws -> AnyVolume {
        switch layout.kind {
        case .uint8: try typed(UInt8.self, file, header, layout, compressed, options, geometry)
        case .int8: try typed(Int8.self, file, header, layout, compressed, options, geometry)
        case .uint16: try typed(UInt16.self, file, header, layout, compressed, options, geometry)
        case .int16: try typed(Int16.self, file, header, layout, compressed, options, geometry)
        case .uint32: try typed(UInt32.self, file, header, layout, compressed, options, geometry)
        case .int32: try typed(Int32.self, file, header, layout, compressed, options, geometry)
        case .uint64: try typed(UInt64.self, file, header, layout, compressed, options, geometry)
        case .int64: try typed(Int64.self, file, header, layout, compressed, options, geometry)
        case .float32: try typed(Float.self, file, header, layout, compressed, options, geometry)
        case .float64: try typed(Double.self, file, header, layout, compressed, options, geometry)
        }
    }

    private static func typed<T: ByteSwappable>(
        _ type: T.Type, _ file: InputFile, _ header: NiftiHeader, _ layout: VoxelLayout, _ compressed: Bool,
        _ options: NiftiReadOptions, _ geometry: VolumeGeometry
    ) throws -> AnyVolume {
        let elements: [T]
        if !compressed {
            try file.seek(to: layout.offset)
            elements = try VoxelDecoding.loadArray(T.self, layout: layout, prefixBytes: 0) { (buffer) throws in
                try expectFull(file.readFully(into: buffer), of: buffer.count, what: "voxel data")
            }
        } else if let whole = try wholeBufferInflate(T.self, file, layout: layout, options: options) {
            elements = whole
        } else {
            try file.seek(to: 0)
            let stream = try GzipInputStream(file: file)
            try expectFull(stream.skip(layout.offset), of: layout.offset, what: "header and extensions")
            elements = try VoxelDecoding.loadArray(T.self, layout: layout, prefixBytes: 0) { (buffer) throws in
                try expectFull(stream.read(into: buffer), of: buffer.count, what: "voxel data")
            }
        }
        return VoxelDecoding.volume(
            elements, layout: layout, geometry: geometry, header: header, applyScaling: options.applyScaling)
    }

    /// Whole-buffer libdeflate inflate straight into the voxel array, for a single-volume file within the
    /// limit; `nil` when the path does not apply (or the stream holds more bytes than the header describes,
    /// which the streaming path tolerates as ITK does).
    private static func wholeBufferInflate<T: ByteSwappable>(
        _ type: T.Type, _ file: InputFile, layout: VoxelLayout, options: NiftiReadOptions
    ) throws -> [T]? {
        guard options.decompression == .automatic, layout.volumeCount == 1, file.size <= options.wholeBufferLimitBytes
        else { return nil }
        if let mapped = MappedFile(file) {
            return try withExtendedLifetime(mapped) { try inflateVolume(T.self, mapped.bytes, layout: layout) }
        }
        let compressed = try file.readAll()
        return try compressed.withUnsafeBytes { try inflateVolume(T.self, $0, layout: layout) }
    }

    /// Inflates `compressed` (the whole file): the header bytes into a scratch buffer, the voxels straight into
    /// the array (two threads for one large gzip member, libdeflate otherwise; `Gzip.inflateVolume`).
    private static func inflateVolume<T: ByteSwappable>(
        _ type: T.Type, _ compressed: UnsafeRawBufferPointer, layout: VoxelLayout
    ) throws -> [T]? {
        let total = layout.offset + layout.byteCount
        let parallel = Gzip.usesParallelInflate(compressed, totalBytes: total, outputCount: layout.byteCount)
        let extra = parallel ? ParallelGzip.slackBytes(outputCount: layout.byteCount) + layout.offset : layout.offset
        var header = [UInt8](repeating: 0, count: layout.offset)
        var complete = true
        let elements = try header.withUnsafeMutableBytes { headerBytes in
            try VoxelDecoding.loadArray(T.self, layout: layout, extraBytes: extra) { buffer in
                complete = try Gzip.inflateVolume(
                    compressed, header: headerBytes, output: buffer, outputCount: layout.byteCount)
            }
        }
        return complete ? elements : nil
    }

    private static func expectFull(_ got: Int, of expected: Int, what: String) throws {
        guard got == expected else {
            throw NiftiError(.truncated, "\(what): expected \(expected) bytes, the file ends after \(got)")
        }
    }
}
