extension NiftiHeader {
    /// Size in bytes of a NIfTI-1 header (`sizeof_hdr`).
    public static let nifti1HeaderSize = 348
    /// Size in bytes of a NIfTI-2 header (`sizeof_hdr`).
    public static let nifti2HeaderSize = 540

    /// The header layout and byte order announced by the first four bytes (`sizeof_hdr`).
    /// - Throws: `NiftiError.notNifti` when `sizeof_hdr` is neither 348 nor 540 in either byte order.
    static func layout(ofFirstBytes bytes: [UInt8]) throws -> (version: Version, bigEndian: Bool) {
        guard bytes.count >= 4 else {
            throw NiftiError(.truncated, "file holds \(bytes.count) bytes, too few for a NIfTI header")
        }
        for bigEndian in [false, true] {
            let size = ByteCursor(bytes: Array(bytes.prefix(4)), bigEndian: bigEndian).integer(Int32.self, at: 0)
            if size == Int32(nifti1HeaderSize) { return (.nifti1, bigEndian) }
            if size == Int32(nifti2HeaderSize) { return (.nifti2, bigEndian) }
        }
        let shown = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
        throw NiftiError(.notNifti, "sizeof_hdr bytes [\(shown)] are neither 348 (NIfTI-1) nor 540 (NIfTI-2)")
    }

    /// Decodes a header from the first bytes of a file (at least `sizeof_hdr` of them).
    /// - Throws: `NiftiError.notNifti` for a wrong size or magic, `.truncated` when `bytes` is too short.
    public init(decoding bytes: [UInt8]) throws {
        let (version, bigEndian) = try Self.layout(ofFirstBytes: bytes)
        let needed = version == .nifti1 ? Self.nifti1HeaderSize : Self.nifti2HeaderSize
        guard bytes.count >= needed else {
            throw NiftiError(.truncated, "header needs \(needed) bytes, file holds \(bytes.count)")
        }
        let cursor = ByteCursor(bytes: bytes, bigEndian: bigEndian)
        self.init()
        self.version = version
        self.isBigEndian = bigEndian
        if version == .nifti1 {
            try decodeNifti1(cursor)
        } else {
            try decodeNifti2(cursor)
        }
    }

    private mutating func decodeNifti1(_ c: ByteCursor) throws {
        let magic = c.string(at: 344, length: 4)
        guard magic == "n+1" || magic == "ni1" else {
            throw NiftiError(.notNifti, "NIfTI-1 magic is \"\(magic)\", expected \"n+1\" or \"ni1\"")
        }
        isSingleFile = magic == "n+1"
        dimInfo = c.bytes[39]
        dim = (0..<8).map { Int64(c.integer(Int16.self, at: 40 + 2 * $0)) }
        intentP1 = c.float32(at: 56)
        intentP2 = c.float32(at: 60)
        intentP3 = c.float32(at: 64)
        intentCode = Int32(c.integer(Int16.self, at: 68))
        datatype = c.integer(Int16.self, at: 70)
        bitpix = c.integer(Int16.self, at: 72)
        sliceStart = Int64(c.integer(Int16.self, at: 74))
        pixdim = (0..<8).map { c.float32(at: 76 + 4 * $0) }
        voxOffset = try Self.wholeOffset(c.float32(at: 108))
        sclSlope = c.float32(at: 112)
        sclInter = c.float32(at: 116)
        sliceEnd = Int64(c.integer(Int16.self, at: 120))
        sliceCode = Int32(c.bytes[122])
        xyztUnits = Int32(c.bytes[123])
        calMax = c.float32(at: 124)
        calMin = c.float32(at: 128)
        sliceDuration = c.float32(at: 132)
        toffset = c.float32(at: 136)
        descrip = c.string(at: 148, length: 80)
        auxFile = c.string(at: 228, length: 24)
        qformCode = Int32(c.integer(Int16.self, at: 252))
        sformCode = Int32(c.integer(Int16.self, at: 254))
        (quaternB, quaternC, quaternD) = (c.float32(at: 256), c.float32(at: 260), c.float32(at: 264))
        (qoffsetX, qoffsetY, qoffsetZ) = (c.float32(at: 268), c.float32(at: 272), c.float32(at: 276))
        srowX = (0..<4).map { c.float32(at: 280 + 4 * $0) }
        srowY = (0..<4).map { c.float32(at: 296 + 4 * $0) }
        srowZ = (0..<4).map { c.float32(at: 312 + 4 * $0) }
        intentName = c.string(at: 328, length: 16)
    }

    private mutating func decodeNifti2(_ c: ByteCursor) throws {
        let magic = Array(c.bytes[4..<12])
        guard magic[0..<3] == [0x6E, 0x2B, 0x32] || magic[0..<3] == [0x6E, 0x69, 0x32] else {
            throw NiftiError(.notNifti, "NIfTI-2 magic is \(magic), expected \"n+2\" or \"ni2\"")
        }
        isSingleFile = magic[1] == 0x2B
        datatype = c.integer(Int16.self, at: 12)
        bitpix = c.integer(Int16.self, at: 14)
        dim = (0..<8).map { c.integer(Int64.self, at: 16 + 8 * $0) }
        intentP1 = c.float64(at: 80)
        intentP2 = c.float64(at: 88)
        intentP3 = c.float64(at: 96)
        pixdim = (0..<8).map { c.float64(at: 104 + 8 * $0) }
        voxOffset = c.integer(Int64.self, at: 168)
        sclSlope = c.float64(at: 176)
        sclInter = c.float64(at: 184)
        calMax = c.float64(at: 192)
        calMin = c.float64(at: 200)
        sliceDuration = c.float64(at: 208)
        toffset = c.float64(at: 216)
        sliceStart = c.integer(Int64.self, at: 224)
        sliceEnd = c.integer(Int64.self, at: 232)
        descrip = c.string(at: 240, length: 80)
        auxFile = c.string(at: 320, length: 24)
        qformCode = c.integer(Int32.self, at: 344)
        sformCode = c.integer(Int32.self, at: 348)
        (quaternB, quaternC, quaternD) = (c.float64(at: 352), c.float64(at: 360), c.float64(at: 368))
        (qoffsetX, qoffsetY, qoffsetZ) = (c.float64(at: 376), c.float64(at: 384), c.float64(at: 392))
        srowX = (0..<4).map { c.float64(at: 400 + 8 * $0) }
        srowY = (0..<4).map { c.float64(at: 432 + 8 * $0) }
        srowZ = (0..<4).map { c.float64(at: 464 + 8 * $0) }
        sliceCode = c.integer(Int32.self, at: 496)
        xyztUnits = c.integer(Int32.self, at: 500)
        intentCode = c.integer(Int32.self, at: 504)
        intentName = c.string(at: 508, length: 16)
        dimInfo = c.bytes[524]
    }

    /// NIfTI-1 stores `vox_offset` as a float; it must be a non-negative whole number.
    private static func wholeOffset(_ value: Double) throws -> Int64 {
        guard value.isFinite, value >= 0, value < 9.0e15, value.rounded(.down) == value else {
            throw NiftiError(.invalidHeader, "vox_offset \(value) is not a non-negative whole number of bytes")
        }
        return Int64(value)
    }
}
