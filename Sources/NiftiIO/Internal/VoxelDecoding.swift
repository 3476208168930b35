import ArrayCore
import VolumeCore

/// Scalar types whose bytes can be reversed for big-endian files.
protocol ByteSwappable: Scalar, BitwiseCopyable {
    var byteSwapped: Self { get }
    /// The value rounded to `Float` directly (not through `Double`), as ITK casts before scaling.
    var floatValue: Float { get }
}

extension ByteSwappable where Self: BinaryInteger {
    var floatValue: Float { Float(self) }
}

extension UInt8: ByteSwappable {}
extension Int8: ByteSwappable {}
extension UInt16: ByteSwappable {}
extension Int16: ByteSwappable {}
extension UInt32: ByteSwappable {}
extension Int32: ByteSwappable {}
extension UInt64: ByteSwappable {}
extension Int64: ByteSwappable {}
extension Float: ByteSwappable {
    var byteSwapped: Float { Float(bitPattern: bitPattern.byteSwapped) }
    var floatValue: Float { self }
}
extension Double: ByteSwappable {
    var byteSwapped: Double { Double(bitPattern: bitPattern.byteSwapped) }
    var floatValue: Float { Float(self) }
}

/// Turns stored voxel bytes into a typed volume: byte order, then ITK's intensity scaling.
enum VoxelDecoding {
    /// Allocates the voxel array of `layout` and lets `fill` write its raw bytes.
    ///
    /// `fill` receives a buffer of `prefixBytes + layout.byteCount` bytes when `prefixBytes` is a multiple of
    /// the element size, so that a whole decompressed file (header included) can land in the array's own
    /// storage; the prefix is then dropped in place (one memmove, no second buffer).
    static func loadArray<T: ByteSwappable>(
        _ type: T.Type, layout: VoxelLayout, prefixBytes: Int,
        fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws -> [T] {
        let stride = MemoryLayout<T>.stride
        let prefixElements = prefixBytes % stride == 0 ? prefixBytes / stride : -1
        var failure: (any Error)?
        var elements: [T]
        if prefixElements >= 0 {
            let total = prefixElements + layout.voxelCount
            elements = [T](unsafeUninitializedCapacity: total) { buffer, initialized in
                do {
                    try fill(UnsafeMutableRawBufferPointer(buffer))
                } catch { failure = error }
                initialized = total  // bytes are plain data; on failure the array is discarded below
            }
            if failure == nil { elements.removeFirst(prefixElements) }
        } else {
            var bytes = [UInt8](repeating: 0, count: prefixBytes + layout.byteCount)
            bytes.withUnsafeMutableBytes { raw in
                do { try fill(raw) } catch { failure = error }
            }
            elements = [T](unsafeUninitializedCapacity: layout.voxelCount) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[prefixBytes...]))
                }
                initialized = layout.voxelCount
            }
        }
        if let failure { throw failure }
        swapIfNeeded(&elements, layout: layout)
        return elements
    }

    /// Allocates the voxel array of `layout` with `extraBytes` of spare capacity and lets `fill` write its raw
    /// bytes into all of that storage (the voxels are its first `layout.byteCount` bytes).
    static func loadArray<T: ByteSwappable>(
        _ type: T.Type, layout: VoxelLayout, extraBytes: Int,
        fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws -> [T] {
        let stride = MemoryLayout<T>.stride
        let capacity = layout.voxelCount + (extraBytes + stride - 1) / stride
        var failure: (any Error)?
        var elements = [T](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            do {
                try fill(
                    UnsafeMutableRawBufferPointer(
                        rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<(capacity * stride)]))
            } catch { failure = error }
            initialized = layout.voxelCount  // bytes are plain data; on failure the array is discarded below
        }
        if let failure { throw failure }
        swapIfNeeded(&elements, layout: layout)
        return elements
    }

    private static func swapIfNeeded<T: ByteSwappable>(_ elements: inout [T], layout: VoxelLayout) {
        if layout.bigEndian != (1.bigEndian == 1) && MemoryLayout<T>.stride > 1 {
            elements.withUnsafeMutableBufferPointer { buffer in
                for index in buffer.indices { buffer[index] = buffer[index].byteSwapped }
            }
        }
    }

    /// Applies `scl_slope`/`scl_inter` the way ITK's NiftiImageIO does and wraps the result.
    ///
    /// ITK (and so SimpleITK and nnU-Net) reads a slope of 0 or NaN as 1 but still adds the intercept; scaled
    /// integer data become `Float` (each value cast to `Float` first, then `Double(v) * slope + inter`), float64
    /// stays `Double`. (nibabel follows the NIfTI standard instead and ignores both fields when the slope is 0.)
    static func volume<T: ByteSwappable>(
        _ elements: [T], layout: VoxelLayout, geometry: VolumeGeometry, header: NiftiHeader, applyScaling: Bool
    ) -> AnyVolume {
        let array = NDArray(uncheckedShape: [layout.size.z, layout.size.y, layout.size.x], elements: elements)
        let slope = abs(header.sclSlope) < .ulpOfOne || !header.sclSlope.isFinite ? 1 : header.sclSlope
        let intercept = header.sclInter.isFinite ? header.sclInter : 0
        guard applyScaling, abs(slope - 1) > .ulpOfOne || abs(intercept) > .ulpOfOne else {
            return AnyVolume(Volume(unchecked: array, geometry))
        }
        if T.kind == .float64 {
            return .float64(Volume(unchecked: array.map { $0.doubleValue * slope + intercept }, geometry))
        }
        return .float32(Volume(unchecked: array.map { Float(Double($0.floatValue) * slope + intercept) }, geometry))
    }
}
