/// A NIfTI-1 or NIfTI-2 header, with every field widened to the NIfTI-2 types.
///
/// Field names follow `nifti1.h` / `nifti2.h` in Swift case. Values are exactly what the file says: no
/// scaling, no geometry interpretation (see `NiftiHeader+Geometry.swift` for that).
public struct NiftiHeader: Sendable, Hashable, Codable {
    /// Which header layout the file uses.
    public enum Version: Int, Sendable, Codable {
        case nifti1 = 1
        case nifti2 = 2
    }

    public var version: Version = .nifti1
    /// Whether the data are stored big-endian.
    public var isBigEndian = false
    /// `dim[0]` is the rank; `dim[1...7]` the extents.
    public var dim: [Int64] = [3, 1, 1, 1, 1, 1, 1, 1]
    public var datatype: Int16 = Int16(NiftiDatatype.uint8.rawValue)
    public var bitpix: Int16 = 8
    /// `pixdim[0]` is `qfac`; `pixdim[1...3]` the voxel size, `pixdim[4]` the time step.
    public var pixdim: [Double] = [1, 1, 1, 1, 0, 0, 0, 0]
    /// Byte offset of the voxel data in the (decompressed) file.
    public var voxOffset: Int64 = 352
    public var sclSlope: Double = 1
    public var sclInter: Double = 0
    public var calMax: Double = 0
    public var calMin: Double = 0
    public var sliceDuration: Double = 0
    public var toffset: Double = 0
    public var sliceStart: Int64 = 0
    public var sliceEnd: Int64 = 0
    public var sliceCode: Int32 = 0
    public var dimInfo: UInt8 = 0
    public var xyztUnits: Int32 = 0
    public var intentCode: Int32 = 0
    public var intentP1: Double = 0
    public var intentP2: Double = 0
    public var intentP3: Double = 0
    public var intentName = ""
    public var descrip = ""
    public var auxFile = ""
    public var qformCode: Int32 = 0
    public var sformCode: Int32 = 0
    public var quaternB: Double = 0
    public var quaternC: Double = 0
    public var quaternD: Double = 0
    public var qoffsetX: Double = 0
    public var qoffsetY: Double = 0
    public var qoffsetZ: Double = 0
    /// The three rows of the sform affine (RAS), four values each.
    public var srowX: [Double] = [0, 0, 0, 0]
    public var srowY: [Double] = [0, 0, 0, 0]
    public var srowZ: [Double] = [0, 0, 0, 0]
    /// Whether the header is stored in the same file as the data (`n+1`/`n+2`) rather than a `.hdr`/`.img` pair.
    public var isSingleFile = true

    public init() {}

    /// The header's datatype, or `nil` for a code nifti1.h does not define.
    public var niftiDatatype: NiftiDatatype? { NiftiDatatype(rawValue: Int(datatype)) }

    /// Rank of the image (`dim[0]`).
    public var rank: Int { Int(dim[0]) }

    /// `qfac` (±1) from `pixdim[0]`: a negative value flips the third axis of the qform.
    public var qfac: Double { pixdim[0] < 0 ? -1 : 1 }
}
