// Design: a table-driven raw-deflate (RFC 1951) decoder built for ParallelGzip, which needs two things
// libdeflate and zlib do not offer: decoding that starts at any block boundary (bit offset) and stops at the
// end of any block, and decoding with an unknown 32 KiB window (16-bit output symbols whose values >= 256 are
// "markers" naming a byte of the window, resolved once the window is known).
// - Bit reader: 64-bit little-endian bit buffer, branch-free refill (libdeflate's scheme), zero padding past
//   the end of the input with an overrun count so that truncation is detected.
// - Tables: 32-bit packed entries, 11-bit (litlen) / 8-bit (distance) root tables with subtables for longer
//   codewords; length and distance base values and extra-bit counts live in the entries.
// - Fast loop: up to three literals per refill, word-wise (8-byte) match copies with overshoot; a careful
//   symbol-by-symbol loop near the ends of the input and the output.
// - The caller guarantees that 32 KiB of history (real bytes or markers) precede the output start, so
//   distances (at most 32768 by construction of the tables) are never checked.
// Any decoding failure is reported, never trapped on: ParallelGzip then falls back to libdeflate, which
// decides whether the data are really corrupt. Written in Swift with unsafe pointers and wrapping arithmetic;
// about 500 MB/s per core on the benchmark CT file against libdeflate 1.14's 620 MB/s (ParallelGzip.swift).

/// Reads a deflate stream bit by bit, least significant bit first.
struct BitReader {
    let start: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>
    /// Last position where an unaligned 8-byte load stays inside the input.
    let fastEnd: UnsafePointer<UInt8>
    var next: UnsafePointer<UInt8>
    var buffer: UInt64 = 0
    var count: UInt64 = 0
    /// Zero bytes added past `end`.
    var overrun = 0

    /// A reader over `data` positioned at `bitOffset` (which must lie inside `data`).
    init(_ data: UnsafeRawBufferPointer, bitOffset: Int) {
        let base = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        start = base
        end = base + data.count
        fastEnd = data.count >= 8 ? end - 8 : base - 1
        next = base + bitOffset / 8
        let skip = UInt64(bitOffset % 8)
        if skip > 0 {
            refill()
            buffer &>>= skip
            count &-= skip
        }
    }

    /// Bits consumed from `start`.
    var bitPosition: Int { (next - start + overrun) * 8 - Int(count) }

    /// Whether the reader has consumed bits past the end of the input.
    var isPastEnd: Bool { bitPosition > (end - start) * 8 }

    /// Fills the buffer to at least 56 bits.
    @inline(__always) mutating func refill() {
        if next <= fastEnd {
            buffer |= UInt64(littleEndian: UnsafeRawPointer(next).loadUnaligned(as: UInt64.self)) &<< count
            next += Int(truncatingIfNeeded: (63 &- count) &>> 3)
            count |= 56
        } else {
            slowRefill()
        }
    }

    @inline(never) mutating func slowRefill() {
        while count <= 56 {
            if next < end {
                buffer |= UInt64(next.pointee) &<< count
                next += 1
            } else {
                overrun += 1
            }
            count &+= 8
        }
    }

    /// The next `n` (<= 32) bits.
    @inline(__always) mutating func bits(_ n: UInt64) -> UInt64 {
        if count < n { refill() }
        let value = buffer & ((1 &<< n) &- 1)
        buffer &>>= n
        count &-= n
        return value
    }

    /// Drops bits up to the next byte boundary and gives the unread buffered bytes back to the input.
    mutating func alignToByte() {
        let drop = count & 7
        buffer &>>= drop
        count &-= drop
        var back = Int(count / 8)
        let fromOverrun = min(overrun, back)
        overrun -= fromOverrun
        back -= fromOverrun
        next -= back
        buffer = 0
        count = 0
    }
}

/// Outcome of decoding one block.
enum InflateStatus {
    case endOfBlock
    /// The output end was reached before the block ended.
    case outputFull
    /// Invalid codes, an invalid block type or header, or input past the end.
    case corrupt
}

/// Packed decode-table entries: bits 0-7 bits to consume, 8-11 extra bits (or subtable bits),
/// 12-15 flags, 16-31 value (literal byte, length or distance base, subtable start).
enum TableEntry {
    static let literal: UInt32 = 0x8000
    static let subtable: UInt32 = 0x4000
    static let endOfBlock: UInt32 = 0x2000
    static let invalid: UInt32 = 0x1000
    static let litlenRootBits: UInt32 = 11
    static let distanceRootBits: UInt32 = 8
    static let litlenCapacity = 2048 + 2048
    static let distanceCapacity = 256 + 2048
}

/// Decodes deflate blocks; one instance per thread (it owns its tables).
final class Inflater {
    let litlen: UnsafeMutablePointer<UInt32>
    let distance: UnsafeMutablePointer<UInt32>
    private let codeLengthTable: UnsafeMutablePointer<UInt32>
    private let fixedLitlen: UnsafeMutablePointer<UInt32>
    private let fixedDistance: UnsafeMutablePointer<UInt32>
    private let lengths: UnsafeMutablePointer<UInt8>
    private let litlenSymbols: UnsafeMutablePointer<UInt32>
    private let distanceSymbols: UnsafeMutablePointer<UInt32>
    private let codeLengthSymbols: UnsafeMutablePointer<UInt32>
    /// Scratch for table building: 16 counts, 16 offsets, 320 sorted symbols, 320 reversed long codewords.
    private let scratch: UnsafeMutablePointer<Int>
    /// Whether the tables of the current block are the fixed ones.
    private(set) var currentIsFixed = false

    init() {
        litlen = .allocate(capacity: TableEntry.litlenCapacity)
        distance = .allocate(capacity: TableEntry.distanceCapacity)
        codeLengthTable = .allocate(capacity: 128)
        fixedLitlen = .allocate(capacity: TableEntry.litlenCapacity)
        fixedDistance = .allocate(capacity: TableEntry.distanceCapacity)
        lengths = .allocate(capacity: 320)
        litlenSymbols = .allocate(capacity: 288)
        distanceSymbols = .allocate(capacity: 32)
        codeLengthSymbols = .allocate(capacity: 19)
        scratch = .allocate(capacity: 32 + 320 + 320)
        let lengthBase: [UInt32] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
            227, 258,
        ]
        let lengthExtra: [UInt32] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ]
        let distanceBase: [UInt32] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
            4097, 6145, 8193, 12289, 16385, 24577,
        ]
        for symbol in 0..<288 {
            if symbol < 256 {
                litlenSymbols[symbol] = TableEntry.literal | UInt32(symbol) << 16
            } else if symbol == 256 {
                litlenSymbols[symbol] = TableEntry.endOfBlock
            } else if symbol < 286 {
                litlenSymbols[symbol] = lengthBase[symbol - 257] << 16 | lengthExtra[symbol - 257] << 8
            } else {
                litlenSymbols[symbol] = TableEntry.invalid
            }
        }
        for symbol in 0..<32 {
            if symbol < 30 {
                let extra = UInt32(symbol < 4 ? 0 : symbol / 2 - 1)
                distanceSymbols[symbol] = distanceBase[symbol] << 16 | extra << 8
            } else {
                distanceSymbols[symbol] = TableEntry.invalid
            }
        }
        for symbol in 0..<19 { codeLengthSymbols[symbol] = UInt32(symbol) << 16 }
        // Fixed Huffman codes (RFC 1951 3.2.6); building them cannot fail.
        for symbol in 0..<288 {
            lengths[symbol] = symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8
        }
        _ = Self.build(
            lengths, count: 288, symbols: litlenSymbols, table: fixedLitlen, rootBits: TableEntry.litlenRootBits,
            capacity: TableEntry.litlenCapacity, scratch: scratch, allowIncomplete: true)
        for symbol in 0..<32 { lengths[symbol] = 5 }
        _ = Self.build(
            lengths, count: 32, symbols: distanceSymbols, table: fixedDistance,
            rootBits: TableEntry.distanceRootBits, capacity: TableEntry.distanceCapacity, scratch: scratch,
            allowIncomplete: true)
    }

    deinit {
        litlen.deallocate()
        distance.deallocate()
        codeLengthTable.deallocate()
        fixedLitlen.deallocate()
        fixedDistance.deallocate()
        lengths.deallocate()
        litlenSymbols.deallocate()
        distanceSymbols.deallocate()
        codeLengthSymbols.deallocate()
        scratch.deallocate()
    }

    // MARK: Tables

    /// Builds a canonical-Huffman decode table. Over-subscribed codes are rejected; incomplete codes only
    /// when `allowIncomplete` is false or a codeword is longer than 1 bit (zlib's rule).
    /// Root entries are placed in canonical order while the table doubles (libdeflate's scheme: each doubling
    /// is one memcpy); codewords longer than the root go to subtables, one per shared root prefix.
    static func build(
        _ lengths: UnsafePointer<UInt8>, count: Int, symbols: UnsafePointer<UInt32>,
        table: UnsafeMutablePointer<UInt32>, rootBits: UInt32, capacity: Int,
        scratch: UnsafeMutablePointer<Int>, allowIncomplete: Bool
    ) -> Bool {
        let lengthCount = scratch
        let offsets = scratch + 16
        let sorted = scratch + 32
        let longReversed = scratch + 32 + 320
        for index in 0..<16 { lengthCount[index] = 0 }
        for symbol in 0..<count { lengthCount[Int(lengths[symbol])] &+= 1 }
        lengthCount[0] = 0
        var left = 1
        var maxLength = 0
        for length in 1..<16 {
            left = (left << 1) &- lengthCount[length]
            if left < 0 { return false }
            if lengthCount[length] > 0 { maxLength = length }
        }
        let complete = left == 0
        if !complete && (!allowIncomplete || maxLength > 1) && maxLength > 0 { return false }
        let root = Int(rootBits)
        let rootSize = 1 << root
        let rootMask = rootSize - 1
        let invalid = TableEntry.invalid
        if !complete { table.update(repeating: invalid, count: rootSize) }
        if maxLength == 0 { return true }
        // Symbols sorted by (length, symbol): canonical order.
        offsets[1] = 0
        for length in 1..<15 { offsets[length + 1] = offsets[length] &+ lengthCount[length] }
        for symbol in 0..<count {
            let length = Int(lengths[symbol])
            if length != 0 {
                sorted[offsets[length]] = symbol
                offsets[length] &+= 1
            }
        }
        var position = 0
        var code = 0
        var size = 1
        for length in 1...root {
            if length > 1 { (table + size).update(from: table, count: size) }
            size <<= 1
            var remaining = lengthCount[length]
            while remaining > 0 {
                let symbol = sorted[position]
                table[reverse(code, length)] = symbols[symbol] | UInt32(length)
                code &+= 1
                position &+= 1
                remaining &-= 1
            }
            code <<= 1
        }
        if maxLength <= root { return true }
        // Long codewords, still in canonical order; those sharing a root prefix are consecutive.
        let firstLong = position
        for length in (root + 1)...maxLength {
            var remaining = lengthCount[length]
            while remaining > 0 {
                longReversed[position - firstLong] = reverse(code, length)
                code &+= 1
                position &+= 1
                remaining &-= 1
            }
            code <<= 1
        }
        var nextFree = rootSize
        var group = firstLong
        while group < position {
            let prefix = longReversed[group - firstLong] & rootMask
            var groupEnd = group + 1
            while groupEnd < position && longReversed[groupEnd - firstLong] & rootMask == prefix { groupEnd += 1 }
            let subBits = Int(lengths[sorted[groupEnd - 1]]) - root
            let subSize = 1 << subBits
            if nextFree + subSize > capacity { return false }
            table[prefix] = TableEntry.subtable | UInt32(nextFree) << 16 | UInt32(subBits) << 8
            if !complete { (table + nextFree).update(repeating: invalid, count: subSize) }
            for index in group..<groupEnd {
                let symbol = sorted[index]
                let length = Int(lengths[symbol])
                let entry = symbols[symbol] | UInt32(length)
                var slot = longReversed[index - firstLong] >> root
                while slot < subSize {
                    table[nextFree + slot] = entry
                    slot &+= 1 << (length - root)
                }
            }
            nextFree += subSize
            group = groupEnd
        }
        return true
    }

    @inline(__always) static func reverse(_ code: Int, _ length: Int) -> Int {
        var x = UInt32(truncatingIfNeeded: code)
        x = ((x & 0x5555) << 1) | ((x >> 1) & 0x5555)
        x = ((x & 0x3333) << 2) | ((x >> 2) & 0x3333)
        x = ((x & 0x0F0F) << 4) | ((x >> 4) & 0x0F0F)
        x = ((x & 0x00FF) << 8) | ((x >> 8) & 0x00FF)
        return Int(x >> (16 - UInt32(length)))
    }

    // MARK: Block headers

    /// Block header after BFINAL/BTYPE.
    enum Header {
        case stored(length: Int)
        case huffman
        case invalid
    }

    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Reads BTYPE's header and prepares the tables. BFINAL has been read.
    func readHeader(_ reader: inout BitReader) -> Header {
        let type = reader.bits(2)
        switch type {
        case 0:
            reader.alignToByte()
            let length = Int(reader.bits(16))
            let complement = Int(reader.bits(16))
            guard length ^ 0xFFFF == complement else { return .invalid }
            reader.alignToByte()
            return .stored(length: length)
        case 1:
            currentIsFixed = true
            return .huffman
        case 2:
            currentIsFixed = false
            return readDynamicHeader(&reader) ? .huffman : .invalid
        default:
            return .invalid
        }
    }

    /// Reads a dynamic-Huffman header (HLIT, HDIST, HCLEN, code lengths) and builds the tables.
    func readDynamicHeader(_ reader: inout BitReader) -> Bool {
        reader.refill()
        let litlenCount = Int(reader.bits(5)) + 257
        let distanceCount = Int(reader.bits(5)) + 1
        let codeLengthCount = Int(reader.bits(4)) + 4
        guard litlenCount <= 286, distanceCount <= 30 else { return false }
        for index in 0..<19 { lengths[index] = 0 }
        reader.refill()
        Self.codeLengthOrder.withUnsafeBufferPointer { order in
            for index in 0..<codeLengthCount { lengths[order[index]] = UInt8(reader.bits(3)) }
        }
        guard
            Self.build(
                lengths, count: 19, symbols: codeLengthSymbols, table: codeLengthTable, rootBits: 7, capacity: 128,
                scratch: scratch, allowIncomplete: false)
        else { return false }
        let total = litlenCount + distanceCount
        var index = 0
        while index < total {
            if reader.count < 14 { reader.refill() }
            let entry = codeLengthTable[Int(reader.buffer & 0x7F)]
            if entry & TableEntry.invalid != 0 { return false }
            let length = UInt64(entry & 0xFF)
            reader.buffer &>>= length
            reader.count &-= length
            let symbol = Int(entry >> 16)
            if symbol < 16 {
                lengths[index] = UInt8(symbol)
                index += 1
                continue
            }
            var value: UInt8 = 0
            var repeatCount: Int
            if symbol == 16 {
                guard index > 0 else { return false }
                value = lengths[index - 1]
                repeatCount = 3 + Int(reader.bits(2))
            } else if symbol == 17 {
                repeatCount = 3 + Int(reader.bits(3))
            } else {
                repeatCount = 11 + Int(reader.bits(7))
            }
            guard index + repeatCount <= total else { return false }
            while repeatCount > 0 {
                lengths[index] = value
                index += 1
                repeatCount -= 1
            }
        }
        guard lengths[256] != 0, !reader.isPastEnd else { return false }
        guard
            Self.build(
                lengths, count: litlenCount, symbols: litlenSymbols, table: litlen,
                rootBits: TableEntry.litlenRootBits, capacity: TableEntry.litlenCapacity, scratch: scratch,
                allowIncomplete: true)
        else { return false }
        return Self.build(
            lengths + litlenCount, count: distanceCount, symbols: distanceSymbols, table: distance,
            rootBits: TableEntry.distanceRootBits, capacity: TableEntry.distanceCapacity, scratch: scratch,
            allowIncomplete: true)
    }

    // MARK: Blocks

    /// Decodes one whole block (header included) into `out`, which advances; `isFinal` is set to BFINAL.
    @_specialize(where E == UInt8)
    @_specialize(where E == UInt16)
    func decodeBlock<E: FixedWidthInteger & UnsignedInteger>(
        _ reader: inout BitReader, out: inout UnsafeMutablePointer<E>, outEnd: UnsafeMutablePointer<E>,
        isFinal: inout Bool
    ) -> InflateStatus {
        reader.refill()
        isFinal = reader.bits(1) == 1
        switch readHeader(&reader) {
        case .invalid:
            return .corrupt
        case .stored(let length):
            guard reader.end - reader.next >= length else { return .corrupt }
            guard outEnd - out >= length else { return .outputFull }
            if E.self == UInt8.self {
                UnsafeMutableRawPointer(out).copyMemory(from: reader.next, byteCount: length)
            } else {
                for index in 0..<length { out[index] = E(reader.next[index]) }
            }
            out += length
            reader.next += length
            return .endOfBlock
        case .huffman:
            let litlenTable = currentIsFixed ? UnsafePointer(fixedLitlen) : UnsafePointer(litlen)
            let distanceTable = currentIsFixed ? UnsafePointer(fixedDistance) : UnsafePointer(distance)
            let status = Self.decodeFast(
                &reader, litlen: litlenTable, distance: distanceTable, out: &out, outEnd: outEnd)
            if status == .corrupt || reader.isPastEnd { return .corrupt }
            return status
        }
    }

    /// Symbols until end of block: the fast loop while far from both ends, then the careful loop.
    /// The next litlen entry is looked up as soon as its bits are known (before the refill and the match
    /// copy), which hides the table's load latency.
    @inline(__always)
    static func decodeFast<E: FixedWidthInteger & UnsignedInteger>(
        _ reader: inout BitReader, litlen: UnsafePointer<UInt32>, distance: UnsafePointer<UInt32>,
        out: inout UnsafeMutablePointer<E>, outEnd: UnsafeMutablePointer<E>
    ) -> InflateStatus {
        let stride = MemoryLayout<E>.stride
        var buffer = reader.buffer
        var count = reader.count
        var next = reader.next
        // Each iteration reads at most 2 refills of 8 bytes.
        let fastEnd = reader.fastEnd - 8
        var output = out
        // Room for 3 literals or one match of 258 plus an 8-byte overshoot.
        let outFastEnd = outEnd - (258 + 16)
        var status = InflateStatus.endOfBlock
        let literalFlag = TableEntry.literal
        let subtableFlag = TableEntry.subtable
        if next <= fastEnd && output <= outFastEnd {
            buffer |= UInt64(littleEndian: UnsafeRawPointer(next).loadUnaligned(as: UInt64.self)) &<< count
            next += Int(truncatingIfNeeded: (63 &- count) &>> 3)
            count |= 56
        }
        var entry = litlen[Int(truncatingIfNeeded: buffer & 0x7FF)]
        fast: while next <= fastEnd && output <= outFastEnd {
            // `entry` is the root entry for the low bits of `buffer`; a refill leaves those bits alone.
            buffer |= UInt64(littleEndian: UnsafeRawPointer(next).loadUnaligned(as: UInt64.self)) &<< count
            next += Int(truncatingIfNeeded: (63 &- count) &>> 3)
            count |= 56
            if entry & subtableFlag != 0 {
                entry =
                    litlen[
                        Int(truncatingIfNeeded: entry &>> 16)
                            &+ Int(truncatingIfNeeded: (buffer &>> 11) & ((1 &<< UInt64((entry &>> 8) & 0xF)) &- 1))]
            }
            var consumed = UInt64(entry & 0xFF)
            buffer &>>= consumed
            count &-= consumed
            if entry & literalFlag != 0 {
                output.pointee = E(truncatingIfNeeded: entry &>> 16)
                output += 1
                entry = litlen[Int(truncatingIfNeeded: buffer & 0x7FF)]
                if entry & subtableFlag != 0 {
                    entry =
                        litlen[
                            Int(truncatingIfNeeded: entry &>> 16)
                                &+ Int(
                                    truncatingIfNeeded: (buffer &>> 11) & ((1 &<< UInt64((entry &>> 8) & 0xF)) &- 1))]
                }
                consumed = UInt64(entry & 0xFF)
                buffer &>>= consumed
                count &-= consumed
                if entry & literalFlag != 0 {
                    output.pointee = E(truncatingIfNeeded: entry &>> 16)
                    output += 1
                    entry = litlen[Int(truncatingIfNeeded: buffer & 0x7FF)]
                    if entry & (literalFlag | subtableFlag) == literalFlag {
                        consumed = UInt64(entry & 0xFF)
                        buffer &>>= consumed
                        count &-= consumed
                        output.pointee = E(truncatingIfNeeded: entry &>> 16)
                        output += 1
                        entry = litlen[Int(truncatingIfNeeded: buffer & 0x7FF)]
                    }
                    continue fast
                }
            }
            if entry & (TableEntry.endOfBlock | TableEntry.invalid) != 0 {
                status = entry & TableEntry.endOfBlock != 0 ? .endOfBlock : .corrupt
                reader.buffer = buffer
                reader.count = count
                reader.next = next
                out = output
                return status
            }
            // Length, then distance: refill once (at most 5 + 15 + 13 bits, leaving >= 23 for the next entry).
            buffer |= UInt64(littleEndian: UnsafeRawPointer(next).loadUnaligned(as: UInt64.self)) &<< count
            next += Int(truncatingIfNeeded: (63 &- count) &>> 3)
            count |= 56
            var extraBits = UInt64((entry &>> 8) & 0xF)
            let length =
                Int(truncatingIfNeeded: entry &>> 16) &+ Int(truncatingIfNeeded: buffer & ((1 &<< extraBits) &- 1))
            buffer &>>= extraBits
            count &-= extraBits
            var distanceEntry = distance[Int(truncatingIfNeeded: buffer & 0xFF)]
            if distanceEntry & subtableFlag != 0 {
                distanceEntry =
                    distance[
                        Int(truncatingIfNeeded: distanceEntry &>> 16)
                            &+ Int(
                                truncatingIfNeeded: (buffer &>> 8) & ((1 &<< UInt64((distanceEntry &>> 8) & 0xF)) &- 1))
                    ]
            }
            if distanceEntry & TableEntry.invalid != 0 {
                status = .corrupt
                break fast
            }
            consumed = UInt64(distanceEntry & 0xFF)
            buffer &>>= consumed
            count &-= consumed
            extraBits = UInt64((distanceEntry &>> 8) & 0xF)
            let offset =
                Int(truncatingIfNeeded: distanceEntry &>> 16)
                &+ Int(truncatingIfNeeded: buffer & ((1 &<< extraBits) &- 1))
            buffer &>>= extraBits
            count &-= extraBits
            entry = litlen[Int(truncatingIfNeeded: buffer & 0x7FF)]
            copyMatch(from: output - offset, to: output, length: length, offsetBytes: offset &* stride)
            output += length
        }
        reader.buffer = buffer
        reader.count = count
        reader.next = next
        out = output
        if status == .corrupt { return .corrupt }
        return decodeCareful(&reader, litlen: litlen, distance: distance, out: &out, outEnd: outEnd)
    }

    /// Copies a match of `length` elements with word stores that may write up to 8 bytes past its end.
    @inline(__always)
    static func copyMatch<E>(
        from source: UnsafeMutablePointer<E>, to destination: UnsafeMutablePointer<E>, length: Int, offsetBytes: Int
    ) {
        var src = UnsafeMutableRawPointer(source)
        var dst = UnsafeMutableRawPointer(destination)
        let end = dst + length &* MemoryLayout<E>.stride
        if offsetBytes >= 8 {
            repeat {
                dst.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                src += 8
                dst += 8
            } while dst < end
        } else if offsetBytes == 1 {
            let word = UInt64(src.load(as: UInt8.self)) &* 0x0101_0101_0101_0101
            repeat {
                dst.storeBytes(of: word, as: UInt64.self)
                dst += 8
            } while dst < end
        } else {
            repeat {
                dst.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                src += offsetBytes
                dst += offsetBytes
            } while dst < end
        }
    }

    /// One symbol at a time with every bound checked (near the end of the input or the output).
    @inline(never)
    static func decodeCareful<E: FixedWidthInteger & UnsignedInteger>(
        _ reader: inout BitReader, litlen: UnsafePointer<UInt32>, distance: UnsafePointer<UInt32>,
        out: inout UnsafeMutablePointer<E>, outEnd: UnsafeMutablePointer<E>
    ) -> InflateStatus {
        while true {
            reader.refill()
            if reader.overrun > 16 { return .corrupt }
            var entry = litlen[Int(truncatingIfNeeded: reader.buffer & 0x7FF)]
            if entry & TableEntry.subtable != 0 {
                entry =
                    litlen[
                        Int(entry >> 16) + Int((reader.buffer >> 11) & ((1 << UInt64((entry >> 8) & 0xF)) - 1))]
            }
            if entry & TableEntry.invalid != 0 { return .corrupt }
            let consumed = UInt64(entry & 0xFF)
            reader.buffer >>= consumed
            reader.count -= consumed
            if entry & TableEntry.literal != 0 {
                if out >= outEnd { return .outputFull }
                out.pointee = E(truncatingIfNeeded: entry >> 16)
                out += 1
                continue
            }
            if entry & TableEntry.endOfBlock != 0 { return .endOfBlock }
            reader.refill()
            let length = Int(entry >> 16) + Int(reader.bits(UInt64((entry >> 8) & 0xF)))
            var distanceEntry = distance[Int(truncatingIfNeeded: reader.buffer & 0xFF)]
            if distanceEntry & TableEntry.subtable != 0 {
                distanceEntry =
                    distance[
                        Int(distanceEntry >> 16)
                            + Int((reader.buffer >> 8) & ((1 << UInt64((distanceEntry >> 8) & 0xF)) - 1))]
            }
            if distanceEntry & TableEntry.invalid != 0 { return .corrupt }
            let distanceConsumed = UInt64(distanceEntry & 0xFF)
            reader.buffer >>= distanceConsumed
            reader.count -= distanceConsumed
            let offset = Int(distanceEntry >> 16) + Int(reader.bits(UInt64((distanceEntry >> 8) & 0xF)))
            if outEnd - out < length { return .outputFull }
            let source = out - offset
            for index in 0..<length { out[index] = source[index] }
            out += length
        }
    }
}
