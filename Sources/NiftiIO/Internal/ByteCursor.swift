/// Reads fixed-width fields from a header buffer in a given byte order.
struct ByteCursor {
    let bytes: [UInt8]
    let bigEndian: Bool

    func integer<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<MemoryLayout<T>.size { raw[index] = bytes[offset + index] }
        }
        return bigEndian ? T(bigEndian: value) : T(littleEndian: value)
    }

    func float32(at offset: Int) -> Double {
        Double(Float(bitPattern: integer(UInt32.self, at: offset)))
    }

    func float64(at offset: Int) -> Double {
        Double(bitPattern: integer(UInt64.self, at: offset))
    }

    func string(at offset: Int, length: Int) -> String {
        let field = bytes[offset..<(offset + length)]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }
}

/// Writes fixed-width fields into a header buffer (little-endian).
struct ByteWriter {
    var bytes: [UInt8]

    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }

    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for index in 0..<raw.count { bytes[offset + index] = raw[index] }
        }
    }

    mutating func putFloat32(_ value: Double, at offset: Int) { put(Float(value).bitPattern, at: offset) }
    mutating func putFloat64(_ value: Double, at offset: Int) { put(value.bitPattern, at: offset) }

    mutating func putString(_ value: String, at offset: Int, length: Int) {
        for (index, byte) in value.utf8.prefix(length - 1).enumerated() { bytes[offset + index] = byte }
    }
}
