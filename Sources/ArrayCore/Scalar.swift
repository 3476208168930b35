/// The element types an `NDArray` of image data can hold: the real scalar types of NIfTI.
///
/// Conversions go through `Double`, which is exact for every type except the 64-bit integers beyond 2^53;
/// code that must keep those exact converts them directly.
public protocol Scalar: Sendable, Comparable, Hashable {
    /// The tag that names this type at run time (file datatypes, JSON reports).
    static var kind: ScalarKind { get }
    /// The additive identity.
    static var zero: Self { get }
    /// The smallest and largest finite values.
    static var lowest: Self { get }
    static var highest: Self { get }
    /// The value as a `Double` (rounded to nearest for 64-bit integers beyond 2^53).
    var doubleValue: Double { get }
    /// Converts like a C cast from `double`, made total: fractions truncate toward zero, out-of-range values
    /// clamp to the type's range and NaN becomes zero (integer types only).
    init(clampingTruncating value: Double)
}

/// Run-time names of the scalar types.
public enum ScalarKind: String, Sendable, CaseIterable, Codable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    /// Whether the type is a floating-point type.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}

/// Shared conversion for the fixed-width integers.
extension Scalar where Self: FixedWidthInteger {
    public static var zero: Self { 0 }
    public static var lowest: Self { .min }
    public static var highest: Self { .max }
    public var doubleValue: Double { Double(self) }
    public init(clampingTruncating value: Double) {
        if value.isNaN {
            self = 0
        } else if value <= Double(Self.min) {
            self = .min
        } else if value >= Double(Self.max) {
            // Double(Int64.max) rounds up to 2^63, which is out of range: clamp before converting.
            self = .max
        } else {
            self = Self(value.rounded(.towardZero))
        }
    }
}

extension UInt8: Scalar { public static var kind: ScalarKind { .uint8 } }
extension Int8: Scalar { public static var kind: ScalarKind { .int8 } }
extension UInt16: Scalar { public static var kind: ScalarKind { .uint16 } }
extension Int16: Scalar { public static var kind: ScalarKind { .int16 } }
extension UInt32: Scalar { public static var kind: ScalarKind { .uint32 } }
extension Int32: Scalar { public static var kind: ScalarKind { .int32 } }
extension UInt64: Scalar { public static var kind: ScalarKind { .uint64 } }
extension Int64: Scalar { public static var kind: ScalarKind { .int64 } }

extension Float: Scalar {
    public static var kind: ScalarKind { .float32 }
    public static var lowest: Float { -.greatestFiniteMagnitude }
    public static var highest: Float { .greatestFiniteMagnitude }
    public var doubleValue: Double { Double(self) }
    public init(clampingTruncating value: Double) { self = Float(value) }
}

extension Double: Scalar {
    public static var kind: ScalarKind { .float64 }
    public static var lowest: Double { -.greatestFiniteMagnitude }
    public static var highest: Double { .greatestFiniteMagnitude }
    public var doubleValue: Double { self }
    public init(clampingTruncating value: Double) { self = value }
}
