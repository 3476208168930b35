// Design: gzip for NIfTI files.
// - Whole-buffer inflate with libdeflate (measured 1.6-1.9x faster than zlib here, research/services.md §2) when
//   the decompressed size is known; gzip members are decompressed one after another (pigz/bgzip files).
// - Streaming inflate with zlib when only a prefix is needed (the header, the first volume of a 4-D file) or when
//   the compressed file should not be held in memory next to the voxels.
// - Compression with libdeflate, split into independent gzip members that are compressed in parallel
//   (a multi-member gzip file is valid RFC 1952 and every gzip reader concatenates the members).
import ArrayCore
import CDeflate
import CZlib

enum Gzip {
    /// Whether the bytes start with the gzip magic number.
    static func isGzip(_ firstBytes: [UInt8]) -> Bool {
        firstBytes.count >= 2 && firstBytes[0] == 0x1F && firstBytes[1] == 0x8B
    }

    /// Inflates the members of `compressed` into `output` until it is full.
    /// - Returns: `false` when a member holds more bytes than `output` has room for (the caller streams instead).
    /// - Throws: `.corruptCompression` for bad data, `.truncated` when the stream ends before `output` is full.
    static func inflateWhole(
        _ compressed: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    )
        throws -> Bool
    {
        guard let decompressor = libdeflate_alloc_decompressor() else {
            throw NiftiError(.io, "libdeflate could not allocate a decompressor")
        }
        defer { libdeflate_free_decompressor(decompressor) }
        var consumed = 0
        var produced = 0
        while consumed < compressed.count, produced <= output.count {
            var inUsed = 0
            var outUsed = 0
            let result = libdeflate_gzip_decompress_ex(
                decompressor, compressed.baseAddress! + consumed, compressed.count - consumed,
                output.baseAddress.map { $0 + produced }, output.count - produced, &inUsed, &outUsed)
            switch result {
            case LIBDEFLATE_SUCCESS:
                consumed += inUsed
                produced += outUsed
            case LIBDEFLATE_INSUFFICIENT_SPACE:
                return false
            case LIBDEFLATE_SHORT_OUTPUT:
                throw NiftiError(.truncated, "gzip data end early")
            default:
                throw NiftiError(
                    .corruptCompression, "gzip data are corrupt or truncated (libdeflate status \(result.rawValue))")
            }
            if produced == output.count { break }
        }
        guard produced == output.count else {
            throw NiftiError(.truncated, "gzip data hold \(produced) bytes, the header needs \(output.count)")
        }
        return true
    }

    /// Inflates a gzip file holding `header.count + outputCount` bytes: the first `header.count` bytes into
    /// `header`, the rest into `output[0..<outputCount]`. Two threads for one large member
    /// (`ParallelGzip`) when `output` has `ParallelGzip.slackBytes` of room past `outputCount`, else (and
    /// whenever that fails) libdeflate on one thread, which needs `header.count` bytes of room.
    /// - Returns: `false` when a member holds more bytes than expected (the caller streams instead).
    /// - Throws: `.corruptCompression` for bad data, `.truncated` when the stream ends early.
    static func inflateVolume(
        _ compressed: UnsafeRawBufferPointer, header: UnsafeMutableRawBufferPointer,
        output: UnsafeMutableRawBufferPointer, outputCount: Int
    ) throws -> Bool {
        if output.count >= outputCount + ParallelGzip.slackBytes(outputCount: outputCount) {
            switch ParallelGzip.inflate(compressed, header: header, output: output, outputCount: outputCount) {
            case .parallel, .oneThread: return true  // both checked the CRC and the size
            case .failed: break
            }
        }
        return try inflateSequential(compressed, header: header, output: output, outputCount: outputCount)
    }

    /// Whether `inflateVolume` will try two threads for a file of `outputCount` voxel bytes.
    static func usesParallelInflate(
        _ compressed: UnsafeRawBufferPointer, totalBytes: Int, outputCount: Int
    )
        -> Bool
    {
        ParallelSettings.workerCount >= 2 && outputCount >= ParallelGzip.defaultMinimumBytes
            && ParallelGzip.applies(compressed, totalBytes: totalBytes)
    }

    /// libdeflate into `output` (header included), then the header moved out.
    static func inflateSequential(
        _ compressed: UnsafeRawBufferPointer, header: UnsafeMutableRawBufferPointer,
        output: UnsafeMutableRawBufferPointer, outputCount: Int
    ) throws -> Bool {
        let whole = UnsafeMutableRawBufferPointer(rebasing: output[0..<(header.count + outputCount)])
        guard try inflateWhole(compressed, into: whole) else { return false }
        if header.count > 0 {
            header.copyMemory(from: UnsafeRawBufferPointer(rebasing: whole[0..<header.count]))
            output.baseAddress!.copyMemory(from: output.baseAddress! + header.count, byteCount: outputCount)
        }
        return true
    }

    /// Compresses `data` as one or more gzip members at `level` (0-12), members compressed in parallel.
    static func compress(_ data: UnsafeRawBufferPointer, level: Int, memberSize: Int = 16 << 20) -> [[UInt8]] {
        let memberCount = max(1, (data.count + memberSize - 1) / memberSize)
        var members = [[UInt8]](repeating: [], count: memberCount)
        members.withUnsafeMutableBufferPointer { slots in
            concurrentChunks(count: memberCount) { range in
                for member in range {
                    let start = member * memberSize
                    let end = min(data.count, start + memberSize)
                    slots[member] = compressMember(UnsafeRawBufferPointer(rebasing: data[start..<end]), level: level)
                }
            }
        }
        return members
    }

    private static func compressMember(_ data: UnsafeRawBufferPointer, level: Int) -> [UInt8] {
        // Allocation fails only when out of memory; libdeflate's level range is clamped first.
        let compressor = libdeflate_alloc_compressor(Int32(min(12, max(0, level))))!
        defer { libdeflate_free_compressor(compressor) }
        let bound = libdeflate_gzip_compress_bound(compressor, data.count)
        var output = [UInt8](repeating: 0, count: bound)
        let size = output.withUnsafeMutableBytes { raw in
            libdeflate_gzip_compress(compressor, data.baseAddress, data.count, raw.baseAddress, bound)
        }
        output.removeLast(bound - size)
        return output
    }
}

/// Streaming gzip inflate with zlib, pulling compressed bytes from a file (all members, RFC 1952).
final class GzipInputStream {
    private var stream = z_stream()
    private let file: InputFile
    private let input: UnsafeMutableRawBufferPointer
    private var finishedAll = false

    init(file: InputFile, chunkSize: Int = 1 << 20) throws {
        self.file = file
        self.input = .allocate(byteCount: chunkSize, alignment: 16)
        // 15 + 16: gzip wrapper (inflateInit2 is a C macro, not imported into Swift).
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw NiftiError(.io, "zlib inflateInit failed (\(status))", path: file.path) }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Fills `buffer` completely, or returns fewer bytes only when the stream ends.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var produced = 0
        while produced < buffer.count, !finishedAll {
            if stream.avail_in == 0, try !refill() { break }
            let want = min(buffer.count - produced, Int(UInt32.max))
            stream.next_out = (base + produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(want)
            let status = inflate(&stream, Z_NO_FLUSH)
            produced += want - Int(stream.avail_out)
            try handle(status)
        }
        return produced
    }

    /// Reads and discards `count` bytes; returns how many were skipped.
    func skip(_ count: Int) throws -> Int {
        var scratch = [UInt8](repeating: 0, count: min(count, 1 << 16))
        var skipped = 0
        while skipped < count {
            let step = min(scratch.count, count - skipped)
            let got = try scratch.withUnsafeMutableBytes { (raw) throws -> Int in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<step]))
            }
            skipped += got
            if got < step { break }
        }
        return skipped
    }

    private func refill() throws -> Bool {
        let count = try file.read(into: input)
        guard count > 0 else { return false }
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(count)
        return true
    }

    private func handle(_ status: Int32) throws {
        switch status {
        case Z_OK, Z_BUF_ERROR:
            return
        case Z_STREAM_END:
            // Another member may follow (multi-member gzip); reset and go on if input remains.
            if stream.avail_in == 0, try !refill() {
                finishedAll = true
                return
            }
            let next_in = stream.next_in
            let avail_in = stream.avail_in
            inflateReset(&stream)
            stream.next_in = next_in
            stream.avail_in = avail_in
        default:
            let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw NiftiError(.corruptCompression, "gzip data are corrupt: \(detail)", path: file.path)
        }
    }
}
