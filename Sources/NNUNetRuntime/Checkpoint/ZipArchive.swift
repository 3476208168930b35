// Design: the read side of a ZIP archive, just enough for PyTorch's `torch.save` format (research §1.4.1).
//
// torch writes every member STORED (no compression), 64-byte aligned, with a data descriptor flag and always a
// ZIP64 end-of-central-directory record. We locate the (ZIP64) end record, walk the central directory, and
// resolve each member's data range through its local header (whose extra field holds torch's alignment
// padding). Every offset and size is checked against the file length before use; compressed members are
// rejected by name (torch never writes them); CRC-32 is verified when a member is read.
// Reference: PKWARE APPNOTE.TXT 6.3.x, sections 4.3.7 (local header), 4.3.12 (central directory),
// 4.3.14-16 (ZIP64 end records), 4.5.3 (ZIP64 extra field).
import CZlib
import Foundation

/// A read-only ZIP archive in memory (typically memory-mapped) whose members are stored uncompressed.
struct ZipArchive {
    struct Member {
        var name: String
        var dataOffset: Int
        var size: Int
        var crc32: UInt32
    }

    let bytes: Data
    /// Members in central-directory order.
    private(set) var members: [Member] = []
    private var byName: [String: Int] = [:]

    /// Upper bound on the number of members, so a forged count cannot make us allocate without limit.
    static let maximumMembers = 1_000_000

    init(_ bytes: Data) throws(NNUNetError) {
        let bytes = bytes.startIndex == 0 ? bytes : Data(bytes)  // offsets below are relative to index 0
        self.bytes = bytes
        let directory = try Self.centralDirectory(bytes)
        var cursor = directory.offset
        let end = directory.offset + directory.size
        for index in 0..<directory.count {
            let member = try Self.member(bytes, at: &cursor, end: end, index: index)
            guard byName[member.name] == nil else {
                throw NNUNetError(.invalidArchive, "zip member \"\(member.name)\" appears twice")
            }
            byName[member.name] = members.count
            members.append(member)
        }
    }

    /// The member called `name`, if present.
    func member(named name: String) -> Member? {
        byName[name].map { members[$0] }
    }

    /// The bytes of `member`, after checking its CRC-32.
    func data(of member: Member) throws(NNUNetError) -> Data {
        bytes.subdata(in: try verifiedRange(of: member))
    }

    /// The byte range of `member` in `bytes`, after checking its CRC-32.
    func verifiedRange(of member: Member) throws(NNUNetError) -> Range<Int> {
        let range = member.dataOffset..<(member.dataOffset + member.size)
        let crc = bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> UInt32 in
            var crc: uLong = crc32(0, nil, 0)
            var offset = range.lowerBound
            while offset < range.upperBound {  // zlib takes a 32-bit length: feed it in 1 GiB pieces
                let chunk = min(range.upperBound - offset, 1 << 30)
                let start = raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self)
                crc = crc32(crc, start, uInt(chunk))
                offset += chunk
            }
            return UInt32(truncatingIfNeeded: crc)
        }
        guard crc == member.crc32 else {
            throw NNUNetError(.invalidArchive, "zip member \"\(member.name)\" is corrupt (CRC-32 mismatch)")
        }
        return range
    }

    // MARK: - Parsing

    private static func centralDirectory(_ bytes: Data) throws(NNUNetError) -> (offset: Int, size: Int, count: Int) {
        let length = bytes.count
        guard length >= 22 else { throw NNUNetError(.invalidArchive, "file is too short to be a zip archive") }
        // The end record is the last 22 bytes plus a comment of at most 65,535 bytes.
        var position = length - 22
        let lowest = max(0, length - 22 - 65_535)
        while position >= lowest, bytes.readUInt32(position) != 0x0605_4b50 { position -= 1 }
        guard position >= lowest else {
            throw NNUNetError(.invalidArchive, "no zip end-of-central-directory record (truncated or not a checkpoint)")
        }
        var count = Int(bytes.readUInt16(position + 10))
        var size = Int(bytes.readUInt32(position + 12))
        var offset = Int(bytes.readUInt32(position + 16))
        // ZIP64 locator sits just before the end record.
        if position >= 20, bytes.readUInt32(position - 20) == 0x0706_4b50 {
            let record = try checkedOffset(
                bytes.readUInt64(position - 12), length: length, need: 56, what: "ZIP64 end record")
            guard bytes.readUInt32(record) == 0x0606_4b50 else {
                throw NNUNetError(.invalidArchive, "ZIP64 end-of-central-directory record is missing")
            }
            count = try checkedCount(bytes.readUInt64(record + 32))
            size = try checkedOffset(
                bytes.readUInt64(record + 40), length: length, need: 0, what: "central directory size")
            offset = try checkedOffset(
                bytes.readUInt64(record + 48), length: length, need: 0, what: "central directory")
        }
        guard count <= maximumMembers, offset <= length, size <= length - offset else {
            throw NNUNetError(
                .invalidArchive,
                "zip central directory (\(count) members, \(size) bytes at \(offset)) lies outside the file")
        }
        return (offset, size, count)
    }

    private static func member(_ bytes: Data, at cursor: inout Int, end: Int, index: Int) throws(NNUNetError) -> Member
    {
        guard cursor + 46 <= end, bytes.readUInt32(cursor) == 0x0201_4b50 else {
            throw NNUNetError(.invalidArchive, "zip central directory entry \(index) is malformed")
        }
        let method = bytes.readUInt16(cursor + 10)
        let crc = bytes.readUInt32(cursor + 16)
        var compressed = UInt64(bytes.readUInt32(cursor + 20))
        var uncompressed = UInt64(bytes.readUInt32(cursor + 24))
        let nameLength = Int(bytes.readUInt16(cursor + 28))
        let extraLength = Int(bytes.readUInt16(cursor + 30))
        let commentLength = Int(bytes.readUInt16(cursor + 32))
        var localOffset = UInt64(bytes.readUInt32(cursor + 42))
        let next = cursor + 46 + nameLength + extraLength + commentLength
        guard next <= end else {
            throw NNUNetError(.invalidArchive, "zip central directory entry \(index) runs past the directory")
        }
        let name = String(decoding: bytes[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self)
        // ZIP64 extra field: the 64-bit values, in this order, for each 32-bit field that is 0xFFFFFFFF.
        var extra = cursor + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = bytes.readUInt16(extra)
            let fieldSize = Int(bytes.readUInt16(extra + 2))
            var field = extra + 4
            guard field + fieldSize <= extraEnd else { break }
            if id == 0x0001 {
                func take(_ value: inout UInt64) {
                    if value == 0xFFFF_FFFF, field + 8 <= extra + 4 + fieldSize {
                        value = bytes.readUInt64(field)
                        field += 8
                    }
                }
                take(&uncompressed)
                take(&compressed)
                take(&localOffset)
            }
            extra += 4 + fieldSize
        }
        cursor = next
        guard method == 0 else {
            throw NNUNetError(
                .invalidArchive, "zip member \"\(name)\" is compressed (method \(method)); torch.save stores members")
        }
        guard compressed == uncompressed else {
            throw NNUNetError(.invalidArchive, "zip member \"\(name)\" is stored with differing sizes")
        }
        let length = bytes.count
        let local = try checkedOffset(localOffset, length: length, need: 30, what: "local header of \"\(name)\"")
        guard bytes.readUInt32(local) == 0x0403_4b50 else {
            throw NNUNetError(.invalidArchive, "zip member \"\(name)\" has no local header at offset \(local)")
        }
        let dataOffset = local + 30 + Int(bytes.readUInt16(local + 26)) + Int(bytes.readUInt16(local + 28))
        guard uncompressed <= UInt64(length), dataOffset <= length, Int(uncompressed) <= length - dataOffset else {
            throw NNUNetError(
                .invalidArchive,
                "zip member \"\(name)\" (\(uncompressed) bytes) runs past the end of the file (truncated?)")
        }
        return Member(name: name, dataOffset: dataOffset, size: Int(uncompressed), crc32: crc)
    }

    private static func checkedOffset(_ value: UInt64, length: Int, need: Int, what: String) throws(NNUNetError) -> Int
    {
        guard value <= UInt64(length), Int(value) <= length - need else {
            throw NNUNetError(.invalidArchive, "zip \(what) at offset \(value) lies outside the file (\(length) bytes)")
        }
        return Int(value)
    }

    private static func checkedCount(_ value: UInt64) throws(NNUNetError) -> Int {
        guard value <= UInt64(maximumMembers) else {
            throw NNUNetError(.invalidArchive, "zip archive claims \(value) members (limit \(maximumMembers))")
        }
        return Int(value)
    }
}

extension Data {
    /// Little-endian reads at an offset relative to `startIndex`; callers check bounds first.
    func readUInt16(_ offset: Int) -> UInt16 {
        let base = startIndex + offset
        return UInt16(self[base]) | UInt16(self[base + 1]) << 8
    }

    func readUInt32(_ offset: Int) -> UInt32 {
        UInt32(readUInt16(offset)) | UInt32(readUInt16(offset + 2)) << 16
    }

    func readUInt64(_ offset: Int) -> UInt64 {
        UInt64(readUInt32(offset)) | UInt64(readUInt32(offset + 4)) << 32
    }
}
