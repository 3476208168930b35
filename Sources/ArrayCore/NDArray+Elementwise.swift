extension NDArray {
    /// A new array of the same shape with `transform` applied to each element.
    public func map<T: Sendable>(_ transform: (Element) throws -> T) rethrows -> NDArray<T> {
        NDArray<T>(uncheckedShape: shape, elements: try elements.map(transform))
    }

    /// Applies `transform` to each element in place.
    public mutating func mapInPlace(_ transform: (Element) -> Element) {
        elements.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = transform(buffer[index]) }
        }
    }

    /// Internal initializer for shapes already known to match the element count.
    package init(uncheckedShape shape: [Int], elements: [Element]) {
        self.shape = shape
        self.elements = elements
    }
}

extension NDArray where Element: Scalar {
    /// The array converted element by element with `Scalar.init(clampingTruncating:)` semantics
    /// (C-cast rounding toward zero, clamped to the target range). Same-type conversion returns `self`.
    public func converted<T: Scalar>(to type: T.Type) -> NDArray<T> {
        if let same = self as? NDArray<T> { return same }
        return map { T(clampingTruncating: $0.doubleValue) }
    }
}
