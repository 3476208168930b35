import Foundation

/// File formats the writers produce.
public enum MeshFileFormat: String, Sendable, CaseIterable, Codable {
    /// Wavefront OBJ text: `v`/`vn`/`f`, one `o` per structure, a `# SPACE=` header line (the default).
    case obj
    /// Binary STL: one solid, facet normals, float32.
    case stl
    /// Binary little-endian PLY: float32 positions and normals, int32 triangle indices.
    case ply

    public var fileExtension: String { rawValue }
}

/// A growing byte buffer with fast fixed-point number formatting (String(format:) is far too slow for
/// millions of coordinates).
struct ByteSink {
    var bytes: [UInt8] = []

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    /// `value` with `decimals` fixed decimals (trailing zeros kept, "-0" avoided).
    mutating func append(_ value: Float, decimals: Int) {
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        var scaled = (Double(value) * scale).rounded()
        if !scaled.isFinite { scaled = 0 }
        if scaled < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(Swift.min(abs(scaled), 9e18))
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0 || count <= decimals
            for index in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(buffer[index])
                if index == decimals && decimals > 0 { bytes.append(UInt8(ascii: ".")) }
            }
        }
    }

    mutating func append(integer value: Int) { append(String(value)) }

    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendLittleEndian(_ value: Float) { appendLittleEndian(value.bitPattern) }
}
