/// A dense N-dimensional array in row-major order: the last axis varies fastest (numpy's C order).
///
/// A 3-D image is stored with shape `[z, y, x]`, exactly as SimpleITK's `GetArrayFromImage` returns it, so the
/// memory layout equals the voxel order of a NIfTI file. The array is a value type with copy-on-write storage.
public struct NDArray<Element: Sendable>: Sendable {
    /// Extent of each axis, slowest first.
    public let shape: [Int]
    /// The elements in row-major order; `elements.count == shape.product`.
    public var elements: [Element]

    /// Creates an array filled with one value. The shape must already be validated (see `Shape.elementCount`).
    public init(shape: [Int], repeating value: Element) {
        let count = Shape.validatedElementCount(shape)
        self.shape = shape
        self.elements = Array(repeating: value, count: count)
    }

    /// Creates an array from elements in row-major order.
    /// - Throws: `ArrayError` when the shape is invalid or does not match the number of elements.
    public init(shape: [Int], elements: [Element]) throws(ArrayError) {
        let count = try Shape.elementCount(shape)
        guard count == elements.count else {
            throw ArrayError(
                .elementCountMismatch, "shape \(shape) needs \(count) elements, got \(elements.count)")
        }
        self.shape = shape
        self.elements = elements
    }

    /// Number of axes.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { elements.count }
    /// Element strides of each axis (row-major).
    public var strides: [Int] { Shape.strides(shape) }

    /// The element at a multi-index (one index per axis).
    public subscript(index: [Int]) -> Element {
        get { elements[linearIndex(index)] }
        set { elements[linearIndex(index)] = newValue }
    }

    /// Row-major position of a multi-index. Indices must be in range (programmer error otherwise).
    public func linearIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) has the wrong rank for shape \(shape)")
        var position = 0
        for axis in 0..<shape.count {
            precondition(index[axis] >= 0 && index[axis] < shape[axis], "index \(index) outside shape \(shape)")
            position = position * shape[axis] + index[axis]
        }
        return position
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws(ArrayError) -> NDArray {
        try NDArray(shape: newShape, elements: elements)
    }
}

extension NDArray: Equatable where Element: Equatable {}

/// Shape arithmetic with overflow checks.
public enum Shape {
    /// Product of the dimensions, checked for negative extents and overflow.
    public static func elementCount(_ shape: [Int]) throws(ArrayError) -> Int {
        var count = 1
        for extent in shape {
            guard extent >= 0 else {
                throw ArrayError(.negativeDimension, "shape \(shape) has a negative extent")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw ArrayError(.sizeOverflow, "shape \(shape) has more elements than Int can count")
            }
            count = product
        }
        return count
    }

    /// Byte size of an array of `shape` with `bytesPerElement`, checked for overflow.
    public static func byteCount(_ shape: [Int], bytesPerElement: Int) throws(ArrayError) -> Int {
        let (bytes, overflow) = try elementCount(shape).multipliedReportingOverflow(by: bytesPerElement)
        guard !overflow else {
            throw ArrayError(.sizeOverflow, "shape \(shape) × \(bytesPerElement) bytes overflows Int")
        }
        return bytes
    }

    /// Row-major strides in elements.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            strides[axis] = stride
            stride *= shape[axis]
        }
        return strides
    }

    static func validatedElementCount(_ shape: [Int]) -> Int {
        do {
            return try elementCount(shape)
        } catch {
            preconditionFailure("invalid shape: \(error)")
        }
    }
}
