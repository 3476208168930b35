import ArrayCore

/// Where the voxels of the first volume are and how they are stored, validated against the read limits.
struct VoxelLayout {
    let datatype: NiftiDatatype
    let kind: ScalarKind
    /// Grid size (x, y, z) of one volume.
    let size: SIMD3<Int>
    let voxelCount: Int
    let byteCount: Int
    /// Bytes of all volumes together (for 4-D and higher files).
    let totalByteCount: Int
    let volumeCount: Int
    let offset: Int
    let bigEndian: Bool
    var warnings: [String] = []

    init(header: NiftiHeader, options: NiftiReadOptions) throws {
        guard (1...7).contains(header.rank) else {
            throw NiftiError(.invalidDimensions, "dim[0] = \(header.rank): the rank must be 1 to 7")
        }
        guard let datatype = header.niftiDatatype else {
            throw NiftiError(.unsupportedDatatype, "datatype code \(header.datatype) is not a NIfTI datatype")
        }
        guard let kind = datatype.scalarKind else {
            throw NiftiError(.unsupportedDatatype, "datatype \(datatype) (code \(datatype.rawValue)) is not supported")
        }
        let extents = try Self.extents(header)
        let spatial = (0..<3).map { $0 < extents.count ? extents[$0] : 1 }
        self.datatype = datatype
        self.kind = kind
        self.size = SIMD3(spatial[0], spatial[1], spatial[2])
        self.voxelCount = try Self.checkedCount(spatial, limit: options.maxVoxelCount, what: "one volume")
        self.byteCount = voxelCount * kind.byteCount  // ≤ 2^30 · 8 by the limit above
        self.volumeCount =
            extents.count > 3 ? extents[3...].reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue } : 1
        let total = byteCount.multipliedReportingOverflow(by: volumeCount)
        self.totalByteCount = total.overflow ? Int.max : total.partialValue
        self.offset = try Self.dataOffset(header, options: options)
        self.bigEndian = header.isBigEndian
        if Int(header.bitpix) != datatype.bitsPerVoxel {
            warnings.append(
                "bitpix \(header.bitpix) disagrees with datatype \(datatype) (\(datatype.bitsPerVoxel) bits); used the datatype"
            )
        }
        if volumeCount > 1 {
            warnings.append("the file holds \(volumeCount) volumes; read the first")
        }
    }

    private static func extents(_ header: NiftiHeader) throws -> [Int] {
        var extents = [Int]()
        for axis in 1...header.rank {
            let value = header.dim[axis]
            guard value >= 1, value <= Int64(Int32.max) else {
                throw NiftiError(.invalidDimensions, "dim[\(axis)] = \(value): extents must be 1 to 2^31-1")
            }
            extents.append(Int(value))
        }
        return extents
    }

    private static func checkedCount(_ extents: [Int], limit: Int, what: String) throws -> Int {
        let count: Int
        do {
            count = try Shape.elementCount(extents)
        } catch {
            throw NiftiError(.invalidDimensions, "dims \(extents) of \(what) overflow: \(error.message)")
        }
        guard count <= limit else {
            throw NiftiError(
                .limitExceeded, "\(what) has \(count) voxels (dims \(extents)), over the limit of \(limit)")
        }
        return count
    }

    private static func dataOffset(_ header: NiftiHeader, options: NiftiReadOptions) throws -> Int {
        let headerSize = header.version == .nifti1 ? NiftiHeader.nifti1HeaderSize : NiftiHeader.nifti2HeaderSize
        guard header.isSingleFile else {
            throw NiftiError(
                .unsupportedDatatype, "a two-file (.hdr/.img) NIfTI header is not supported; convert to .nii")
        }
        guard header.voxOffset >= 0 else {
            throw NiftiError(.invalidHeader, "vox_offset \(header.voxOffset) is negative")
        }
        // nifti_clib treats a vox_offset inside the header as "right after it".
        let offset = max(Int(clamping: header.voxOffset), headerSize)
        guard offset - headerSize <= options.maxExtensionBytes else {
            throw NiftiError(
                .limitExceeded,
                "vox_offset \(header.voxOffset) leaves \(offset - headerSize) bytes of extensions, over the limit of \(options.maxExtensionBytes)"
            )
        }
        return offset
    }
}
