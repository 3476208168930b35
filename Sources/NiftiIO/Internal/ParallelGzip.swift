// Design: two-thread inflate of ONE gzip member (what SimpleITK/ITK and nibabel write), after pugz/rapidgzip.
// Deflate has no index, so the second half is found by search and decoded before its 32 KiB window is known:
// - Thread 1 ("first", the calling thread): zlib inflates the gzip header, the NIfTI header (into `header`)
//   and the first block(s) until at least 32 KiB of voxel bytes exist (zlib's Z_BLOCK stops on block
//   boundaries and reports the bit offset); then Inflater decodes block by block into the voxel buffer from
//   offset 0 (CRC-32 per block while hot) and stops when its bit offset equals thread 2's published boundary
//   (exactly; passing it is a failure).
// - Thread 2 ("second", a Thread of its own, so the halves really overlap): from the split point searches bit
//   by bit for a plausible dynamic-Huffman block header (BFINAL 0, BTYPE 2, HLIT/HDIST in range, complete
//   code-length code, then the full header and both tables build) and decodes from there into a 16-bit buffer
//   whose 32 KiB of history are markers (256 + window index). A decoding error before two whole blocks moves
//   the search on by one bit; after two blocks it publishes the boundary and commits (atomic state 0 -> 1).
//   Once the last 32 KiB of output are marker free (checked at block ends) it copies them as bytes into the
//   voxel buffer at `gap` (the split's estimated output offset plus T/16, so the threads never write the same
//   bytes) and decodes plain bytes to the end of the stream. If markers never clear (a constant background
//   copied from slice to slice can keep them alive), it stays in 16-bit mode to the end (rapidgzip's way).
// - Then: thread 2's bytes are moved from `gap` to where thread 1 stopped (one memmove, ~8 ms for 75 MiB),
//   markers are resolved with thread 1's last 32 KiB (on both cores when there are many), the CRC-32s are
//   combined (zlib's crc32_combine) and checked with ISIZE against the gzip trailer.
// - Races: thread 1 takes the whole stream (state 0 -> 2) when it nears `gap` before thread 2 commits, or when
//   thread 2 gives up (no header found, stream ends); thread 2 then never writes into the voxel buffer.
// - Anything unexpected (a boundary thread 1 does not land on, bad data, a CRC or size mismatch, a second gzip
//   member, trailing bytes) returns `.failed`; the caller then inflates the whole file with libdeflate, which
//   also decides whether the data are corrupt. Correctness never depends on the heuristics.
// - Page faults: each thread prefaults the part of the voxel buffer it will write (MADV_POPULATE_WRITE) and
//   the compressed bytes it reads (MADV_POPULATE_READ), so the kernel's work is split over both cores.
// - Split: 50 % of the compressed bytes; measured on the benchmark CT file the two threads then use the same
//   CPU time (0.184 s each; thread 2's search + 0.8 M marker symbols cost about what thread 1's zlib prelude
//   and boundary checks do).
// - Swift, not C: Inflater decodes ~500 MB/s per core here, libdeflate 1.14 (C, BMI2 dispatch) ~620 MB/s
//   (1.24x). The hot loop has no bounds checks, ARC or exclusivity checks left; the difference is the
//   table-load latency chain and `shr %cl` where libdeflate uses BMI2 `shrx`. A C port of the loop was not
//   measured; with two threads the Swift decoder is well ahead of single-threaded libdeflate.
import ArrayCore
import CDeflate
import CZlib
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

enum ParallelGzip {
    /// How a call produced its bytes.
    enum Outcome: Equatable {
        /// Two threads.
        case parallel
        /// Thread 1 decoded the whole stream (no usable boundary, or thread 2 gave up).
        case oneThread
        /// Nothing usable; the reason, for tests and diagnostics.
        case failed(String)
    }

    /// Smallest voxel byte count worth two threads.
    static let defaultMinimumBytes = 4 << 20

    /// Bytes of room `inflate` needs in `output` past `outputCount`.
    static func slackBytes(outputCount: Int) -> Int { outputCount / 16 + outputCount / 8 + (1 << 20) }

    /// Whether `compressed` looks like one gzip member holding `totalBytes` bytes (ISIZE agrees).
    static func applies(_ compressed: UnsafeRawBufferPointer, totalBytes: Int) -> Bool {
        guard compressed.count >= 64, compressed[0] == 0x1F, compressed[1] == 0x8B, compressed[2] == 8 else {
            return false
        }
        let size = compressed.loadUnaligned(fromByteOffset: compressed.count - 4, as: UInt32.self)
        return UInt32(littleEndian: size) == UInt32(truncatingIfNeeded: totalBytes)
    }

    /// Inflates a one-member gzip stream of `header.count + outputCount` bytes: the first `header.count`
    /// into `header`, the rest into `output[0..<outputCount]`; `output` must have `slackBytes` more room.
    /// On `.failed` the contents of both buffers are unspecified.
    static func inflate(
        _ compressed: UnsafeRawBufferPointer, header: UnsafeMutableRawBufferPointer,
        output: UnsafeMutableRawBufferPointer, outputCount: Int, splitFraction: Double = 0.5,
        waitForSecond: Bool = false
    ) -> Outcome {
        let total = header.count + outputCount
        guard applies(compressed, totalBytes: total) else { return .failed("not a one-member gzip of this size") }
        guard outputCount >= 1 << 17 else { return .failed("too small") }
        guard output.count >= outputCount + slackBytes(outputCount: outputCount) else {
            return .failed("output buffer too small")
        }
        let splitByte = min(compressed.count - 32, max(18, Int(Double(compressed.count) * splitFraction)))
        let estimate = Int(Double(total) * Double(splitByte) / Double(compressed.count)) - header.count
        let job = Job(
            compressed: compressed, header: header, output: output, outputCount: outputCount,
            splitByte: splitByte, estimate: max(0, estimate), gap: max(1 << 16, estimate + outputCount / 16),
            waitForSecond: waitForSecond)
        // Thread 2 gets a thread of its own (a dispatch pool may run both halves one after the other).
        let done = DispatchSemaphore(value: 0)
        let second = Thread {
            job.second = job.runSecond()
            done.signal()
        }
        second.start()
        job.first = job.runFirst()
        done.wait()
        return job.finish()
    }

    /// Prefaults `base[from..<to]` (whole pages inside the range only).
    static func populate(_ base: UnsafeRawPointer, from: Int, to: Int, write: Bool) {
        let page = UInt(4096)
        let start = (UInt(bitPattern: base + from) + page - 1) & ~(page - 1)
        let end = UInt(bitPattern: base + max(from, to)) & ~(page - 1)
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, Int(end - start), write ? 23 : 22)  // MADV_POPULATE_WRITE / _READ (Linux 5.14+)
    }

    /// Thread 1's result.
    struct FirstResult {
        var failure: String?
        var stoppedAtBoundary = false
        var finished = false
        /// Voxel bytes written from offset 0.
        var outputEnd = 0
        var crc: UInt32 = 0
        var trailerCRC: UInt32 = 0
        var trailerSize: UInt32 = 0
    }

    /// Thread 2's result (only meaningful when it committed).
    struct SecondResult {
        var failure: String?
        var committed = false
        /// Symbols decoded before the switch to bytes (the marker part), and its buffer.
        var markerCount = 0
        var markers: UnsafeMutablePointer<UInt16>?
        var length = 0
        var crcAfterMarkers: UInt32 = 0
        var trailerCRC: UInt32 = 0
        var trailerSize: UInt32 = 0
    }

    /// Shared state of one call. Thread 1 writes `first`, thread 2 `second`; `finish` runs after both.
    final class Job: @unchecked Sendable {
        let compressed: UnsafeRawBufferPointer
        let header: UnsafeMutableRawBufferPointer
        let output: UnsafeMutableRawBufferPointer
        let outputCount: Int
        let splitByte: Int
        let estimate: Int
        /// Where thread 2 writes its byte output (from its own offset 0).
        let gap: Int
        /// 0: thread 2 has not written anything; 1: thread 2 committed; 2: thread 1 decodes everything.
        let state = Atomic<Int>(0)
        let boundary = Atomic<Int>(-1)
        /// Tests: thread 1 waits for thread 2 to commit or give up instead of taking over (deterministic).
        let waitForSecond: Bool
        var first = FirstResult()
        var second = SecondResult()

        static let window = 32768
        /// Symbols the marker buffer holds (after its 32 KiB of window markers).
        var markerCapacity = 0

        init(
            compressed: UnsafeRawBufferPointer, header: UnsafeMutableRawBufferPointer,
            output: UnsafeMutableRawBufferPointer, outputCount: Int, splitByte: Int, estimate: Int, gap: Int,
            waitForSecond: Bool
        ) {
            self.waitForSecond = waitForSecond
            self.compressed = compressed
            self.header = header
            self.output = output
            self.outputCount = outputCount
            self.splitByte = splitByte
            self.estimate = estimate
            self.gap = gap
        }

        deinit {
            if let markers = second.markers { munmap(markers - Self.window, (Self.window + markerCapacity) * 2) }
        }

        var outputBase: UnsafeMutablePointer<UInt8> { output.baseAddress!.assumingMemoryBound(to: UInt8.self) }

        // MARK: Thread 1

        func runFirst() -> FirstResult {
            var result = FirstResult()
            populate(compressed.baseAddress!, from: 0, to: splitByte, write: false)
            populate(output.baseAddress!, from: 0, to: gap, write: true)
            guard let (bitOffset, produced) = zlibPrelude(&result) else { return result }
            if result.finished { return result }
            var crc = libdeflate_crc32(0, header.baseAddress, header.count)
            crc = libdeflate_crc32(crc, output.baseAddress, produced)
            let inflater = Inflater()
            var reader = BitReader(compressed, bitOffset: bitOffset)
            let base = outputBase
            var out = base + produced
            var limit = gap
            var owner = false
            var isFinal = false
            while true {
                if !owner {
                    let state = state.load(ordering: .acquiring)
                    if state == 1 {
                        let boundary = boundary.load(ordering: .relaxed)
                        let position = reader.bitPosition
                        if position == boundary {
                            result.stoppedAtBoundary = true
                            break
                        }
                        if position > boundary {
                            result.failure = "thread 1 passed the boundary without landing on it"
                            return result
                        }
                    } else if state == 2 {
                        owner = true
                    } else if out - base > gap - (1 << 20) - outputCount / 64 {
                        if waitForSecond {
                            sched_yield()
                            continue
                        }
                        owner =
                            self.state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing)
                            .exchanged
                        if !owner { continue }
                    }
                    if owner { limit = output.count }
                }
                let blockStart = out
                let status = inflater.decodeBlock(
                    &reader, out: &out, outEnd: base + limit, isFinal: &isFinal)
                guard status == .endOfBlock else {
                    result.failure = "thread 1: \(status)"
                    return result
                }
                crc = libdeflate_crc32(crc, blockStart, out - blockStart)
                if isFinal {
                    guard owner, readTrailer(&reader, crc: &result.trailerCRC, size: &result.trailerSize) else {
                        result.failure = "thread 1 reached the end of the stream unexpectedly"
                        return result
                    }
                    result.finished = true
                    break
                }
            }
            result.outputEnd = out - base
            result.crc = crc
            return result
        }

        /// zlib decodes the gzip header, `header` and at least 32 KiB of voxels up to a block boundary.
        /// - Returns: the bit offset of that boundary and the voxel bytes written, or nil (failure set).
        private func zlibPrelude(_ result: inout FirstResult) -> (Int, Int)? {
            var stream = z_stream()
            guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                result.failure = "inflateInit failed"
                return nil
            }
            defer { inflateEnd(&stream) }
            let input = UnsafeMutablePointer(mutating: compressed.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.next_in = input
            stream.avail_in = uInt(min(compressed.count, Int(UInt32.max)))
            stream.next_out = header.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(header.count)
            while stream.avail_out > 0 {
                let status = CZlib.inflate(&stream, Z_BLOCK)
                guard status == Z_OK else {
                    result.failure = "zlib prelude (header): \(status)"
                    return nil
                }
            }
            stream.next_out = outputBase
            let room = min(gap, outputCount)
            stream.avail_out = uInt(room)
            while true {
                let status = CZlib.inflate(&stream, Z_BLOCK)
                let produced = room - Int(stream.avail_out)
                if status == Z_STREAM_END {
                    guard stream.avail_in == 0, produced == outputCount else {
                        result.failure = "zlib prelude: stream of another size or more than one member"
                        return nil
                    }
                    // zlib has checked the CRC and ISIZE itself.
                    result.finished = true
                    result.outputEnd = produced
                    result.crc = UInt32(truncatingIfNeeded: stream.adler)
                    result.trailerCRC = result.crc
                    result.trailerSize = UInt32(truncatingIfNeeded: header.count + outputCount)
                    let owned = state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing)
                    if !owned.exchanged && owned.original != 2 {
                        result.failure = "thread 2 committed inside the prelude"
                        result.finished = false
                        return nil
                    }
                    return (0, produced)
                }
                guard status == Z_OK else {
                    result.failure = "zlib prelude: \(status)"
                    return nil
                }
                if stream.data_type & 128 != 0 && produced >= Self.window {
                    let consumed = UnsafePointer(stream.next_in!) - UnsafePointer(input)
                    return (consumed * 8 - Int(stream.data_type & 7), produced)
                }
            }
        }

        /// Reads the 8-byte gzip trailer after the final block; it must end the input.
        private func readTrailer(_ reader: inout BitReader, crc: inout UInt32, size: inout UInt32) -> Bool {
            reader.alignToByte()
            guard reader.overrun == 0, reader.end - reader.next == 8 else { return false }
            crc = UInt32(littleEndian: UnsafeRawPointer(reader.next).loadUnaligned(as: UInt32.self))
            size = UInt32(littleEndian: UnsafeRawPointer(reader.next + 4).loadUnaligned(as: UInt32.self))
            return true
        }

        // MARK: Thread 2

        func runSecond() -> SecondResult {
            var result = SecondResult()
            populate(compressed.baseAddress!, from: splitByte, to: compressed.count, write: false)
            // Room for all of thread 2's output as 16-bit symbols (markers may never clear, e.g. in constant
            // backgrounds copied from slice to slice); only the pages written are ever allocated.
            markerCapacity = outputCount - estimate + outputCount / 8 + (1 << 20)
            let bytes = (Self.window + markerCapacity) * 2
            guard
                let mapped = mmap(
                    nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                mapped != MAP_FAILED
            else { return giveUp(result, "no memory for markers") }
            let buffer = mapped.bindMemory(to: UInt16.self, capacity: Self.window + markerCapacity)
            for index in 0..<Self.window { buffer[index] = UInt16(256 + index) }
            let markers = buffer + Self.window
            result.markers = markers
            let inflater = Inflater()
            var candidate = splitByte * 8
            var isFinal = false
            search: while true {
                guard let start = findHeader(from: candidate, inflater) else {
                    return giveUp(result, "no block header found")
                }
                var reader = BitReader(compressed, bitOffset: start)
                var out = markers
                var lastMarker = -1
                var blocks = 0
                while true {
                    let blockStart = out
                    let status = inflater.decodeBlock(
                        &reader, out: &out, outEnd: markers + markerCapacity, isFinal: &isFinal)
                    if status != .endOfBlock {
                        if result.committed { return failed(result, "thread 2 (markers): \(status)") }
                        if status == .outputFull { return giveUp(result, "marker buffer full") }
                        candidate = start + 1
                        continue search
                    }
                    if let last = Self.lastMarker(from: blockStart, to: out) { lastMarker = last - markers }
                    blocks += 1
                    if !result.committed && (blocks >= 2 || isFinal) {
                        // Two whole blocks decoded from this header: publish it, thread 1 stops there.
                        boundary.store(start, ordering: .relaxed)
                        guard state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
                        else { return giveUp(result, "thread 1 took over") }
                        result.committed = true
                    }
                    if !result.committed && state.load(ordering: .relaxed) == 2 {
                        return giveUp(result, "thread 1 took over")
                    }
                    let produced = out - markers
                    if isFinal {
                        // Markers all the way: the whole second part is resolved after the join.
                        guard readTrailer(&reader, crc: &result.trailerCRC, size: &result.trailerSize) else {
                            return failed(result, "thread 2: no gzip trailer at the end of the file")
                        }
                        result.markerCount = produced
                        result.length = produced
                        return result
                    }
                    if result.committed && produced - lastMarker > Self.window {
                        result.markerCount = produced
                        return decodeBytes(result, reader: reader, inflater: inflater)
                    }
                }
            }
        }

        private func failed(_ result: SecondResult, _ reason: String) -> SecondResult {
            var result = result
            result.failure = reason
            return result
        }

        /// The last symbol in `start..<end` that is a marker (>= 256), if any.
        static func lastMarker(
            from start: UnsafeMutablePointer<UInt16>, to end: UnsafeMutablePointer<UInt16>
        )
            -> UnsafeMutablePointer<UInt16>?
        {
            var cursor = end
            while cursor - start >= 4 {
                cursor -= 4
                let word = UnsafeRawPointer(cursor).loadUnaligned(as: UInt64.self)
                if word & 0xFF00_FF00_FF00_FF00 != 0 {
                    for index in stride(from: 3, through: 0, by: -1) where cursor[index] >= 256 {
                        return cursor + index
                    }
                }
            }
            while cursor > start {
                cursor -= 1
                if cursor.pointee >= 256 { return cursor }
            }
            return nil
        }

        private func giveUp(_ result: SecondResult, _ reason: String) -> SecondResult {
            var result = result
            result.failure = reason
            _ = state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing)
            return result
        }

        /// After the commit: plain bytes from `gap + markerCount` to the end of the stream.
        private func decodeBytes(_ result: SecondResult, reader: BitReader, inflater: Inflater) -> SecondResult {
            var result = result
            var reader = reader
            let base = outputBase + gap
            let expectedLength = outputCount - estimate
            populate(base, from: 0, to: min(expectedLength + (outputCount >> 5), output.count - gap), write: true)
            let markerCount = result.markerCount
            let markers = result.markers!
            for index in (markerCount - Self.window)..<markerCount {
                base[index] = UInt8(truncatingIfNeeded: markers[index])
            }
            var out = base + markerCount
            let end = outputBase + output.count
            var crc: UInt32 = 0
            var isFinal = false
            while !isFinal {
                let blockStart = out
                let status = inflater.decodeBlock(&reader, out: &out, outEnd: end, isFinal: &isFinal)
                guard status == .endOfBlock else {
                    result.failure = "thread 2: \(status)"
                    return result
                }
                crc = libdeflate_crc32(crc, blockStart, out - blockStart)
            }
            guard readTrailer(&reader, crc: &result.trailerCRC, size: &result.trailerSize) else {
                result.failure = "thread 2: no gzip trailer at the end of the file"
                return result
            }
            result.length = out - base
            result.crcAfterMarkers = crc
            return result
        }

        /// The next bit offset from `start` where a plausible non-final dynamic-Huffman block header begins.
        private func findHeader(from start: Int, _ inflater: Inflater) -> Int? {
            let bytes = compressed.baseAddress!
            let lastBit = (compressed.count - 24) * 8
            var position = start
            var checked = 0
            while position < lastBit {
                checked &+= 1
                if checked & 0xFFFF == 0 && state.load(ordering: .relaxed) == 2 { return nil }
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position >> 3, as: UInt64.self))
                let bits = word &>> UInt64(position & 7)
                // BFINAL 0, BTYPE 2 (bits 1-2 = 0b10 read LSB first: bit 1 = 0, bit 2 = 1), HLIT <= 29, HDIST <= 29.
                if bits & 7 != 4 || (bits >> 3) & 31 > 29 || (bits >> 8) & 31 > 29 {
                    position += 1
                    continue
                }
                let codeLengthCount = Int((bits >> 13) & 15) + 4
                let lengthsAt = position + 17
                let lengthWord =
                    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: lengthsAt >> 3, as: UInt64.self))
                    &>> UInt64(lengthsAt & 7)
                var kraft = 0
                for index in 0..<codeLengthCount {
                    let length = Int((lengthWord >> UInt64(3 * index)) & 7)
                    if length > 0 { kraft += 128 >> length }
                }
                if kraft == 128 {
                    var reader = BitReader(compressed, bitOffset: position + 3)
                    if inflater.readDynamicHeader(&reader) { return position }
                }
                position += 1
            }
            return nil
        }

        // MARK: Joining

        func finish() -> Outcome {
            let total = header.count + outputCount
            if first.finished {
                guard first.outputEnd == outputCount, first.trailerSize == UInt32(truncatingIfNeeded: total),
                    first.crc == first.trailerCRC
                else { return .failed("one-thread decode: size or CRC mismatch") }
                return .oneThread
            }
            if let failure = first.failure { return .failed(failure) }
            if let failure = second.failure { return .failed(failure) }
            guard first.stoppedAtBoundary, second.committed, let markers = second.markers else {
                return .failed("no boundary")
            }
            let stop = first.outputEnd
            let markerCount = second.markerCount
            guard stop + second.length == outputCount, stop <= gap, stop >= Self.window else {
                return .failed("the halves do not add up")
            }
            let base = outputBase
            if gap != stop {
                memmove(base + stop + markerCount, base + gap + markerCount, second.length - markerCount)
            }
            let window = UnsafePointer(base + stop - Self.window)
            let target = base + stop
            // Resolve markers (both threads when there are many), CRC per chunk, chunks combined in order.
            let chunkCount = max(1, min(ParallelSettings.workerCount, markerCount / (4 << 20)))
            let chunk = (markerCount + chunkCount - 1) / chunkCount
            var crcs = [UInt32](repeating: 0, count: chunkCount)
            let resolved = UnsafeMutablePointer(markers)
            crcs.withUnsafeMutableBufferPointer { slots in
                concurrentChunks(count: chunkCount) { range in
                    for index in range {
                        let from = index * chunk
                        let to = min(markerCount, from + chunk)
                        for position in from..<to {
                            let symbol = Int(resolved[position])
                            target[position] = symbol < 256 ? UInt8(truncatingIfNeeded: symbol) : window[symbol &- 256]
                        }
                        slots[index] = libdeflate_crc32(0, target + from, to - from)
                    }
                }
            }
            var crc = uLong(first.crc)
            for index in 0..<chunkCount {
                let length = min(markerCount, (index + 1) * chunk) - index * chunk
                crc = crc32_combine(crc, uLong(crcs[index]), off_t(length))
            }
            crc = crc32_combine(crc, uLong(second.crcAfterMarkers), off_t(second.length - markerCount))
            guard UInt32(truncatingIfNeeded: crc) == second.trailerCRC,
                second.trailerSize == UInt32(truncatingIfNeeded: total)
            else { return .failed("CRC or size mismatch") }
            if gap > stop {
                // Give back the pages past the voxels that thread 2 wrote before the move.
                let page = UInt(4096)
                let from = (UInt(bitPattern: base + outputCount) + page - 1) & ~(page - 1)
                let to = UInt(bitPattern: base + gap + second.length) & ~(page - 1)
                if to > from, let pointer = UnsafeMutableRawPointer(bitPattern: from) {
                    _ = madvise(pointer, Int(to - from), MADV_DONTNEED)
                }
            }
            return .parallel
        }
    }
}
