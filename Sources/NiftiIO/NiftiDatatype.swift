public import ArrayCore

/// The NIfTI `datatype` codes (nifti1.h `NIFTI_TYPE_*`).
public enum NiftiDatatype: Int, Sendable, CaseIterable, Codable {
    case binary = 1
    case uint8 = 2
    case int16 = 4
    case int32 = 8
    case float32 = 16
    case complex64 = 32
    case float64 = 64
    case rgb24 = 128
    case int8 = 256
    case uint16 = 512
    case uint32 = 768
    case int64 = 1024
    case uint64 = 1280
    case float128 = 1536
    case complex128 = 1792
    case complex256 = 2048
    case rgba32 = 2304

    /// The scalar type voxels of this datatype are read as, or `nil` when unsupported.
    public var scalarKind: ScalarKind? {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .uint32: .uint32
        case .int64: .int64
        case .uint64: .uint64
        case .float32: .float32
        case .float64: .float64
        case .binary, .complex64, .rgb24, .float128, .complex128, .complex256, .rgba32: nil
        }
    }

    /// The datatype that stores `kind`.
    public init(_ kind: ScalarKind) {
        switch kind {
        case .uint8: self = .uint8
        case .int8: self = .int8
        case .uint16: self = .uint16
        case .int16: self = .int16
        case .uint32: self = .uint32
        case .int32: self = .int32
        case .uint64: self = .uint64
        case .int64: self = .int64
        case .float32: self = .float32
        case .float64: self = .float64
        }
    }

    /// Bits per voxel as `bitpix` must state.
    public var bitsPerVoxel: Int {
        switch self {
        case .binary: 1
        case .uint8, .int8: 8
        case .int16, .uint16: 16
        case .int32, .uint32, .float32, .rgb24: self == .rgb24 ? 24 : 32
        case .rgba32: 32
        case .int64, .uint64, .float64, .complex64: 64
        case .float128, .complex128: 128
        case .complex256: 256
        }
    }
}
