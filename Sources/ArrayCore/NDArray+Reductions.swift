extension NDArray where Element: Scalar {
    /// Smallest and largest element, or `nil` for an empty array. NaNs are ignored.
    public func range() -> (min: Element, max: Element)? {
        elements.withUnsafeBufferPointer { buffer in
            var low: Element?
            var high: Element?
            for value in buffer where value == value {  // skips NaN
                if low == nil || value < low! { low = value }
                if high == nil || value > high! { high = value }
            }
            guard let low, let high else { return nil }
            return (low, high)
        }
    }

    /// Sum of all elements in `Double` (pairwise, so rounding error grows with log n).
    public func sum() -> Double {
        elements.withUnsafeBufferPointer { Self.pairwiseSum($0[...]) }
    }

    /// Arithmetic mean in `Double`, or `nil` for an empty array.
    public func mean() -> Double? {
        count == 0 ? nil : sum() / Double(count)
    }

    /// Number of elements equal to `value`.
    public func count(of value: Element) -> Int {
        elements.withUnsafeBufferPointer { buffer in
            var total = 0
            for element in buffer where element == value { total += 1 }
            return total
        }
    }

    private static func pairwiseSum(_ slice: Slice<UnsafeBufferPointer<Element>>) -> Double {
        if slice.count <= 256 {
            var total = 0.0
            for value in slice { total += value.doubleValue }
            return total
        }
        let middle = slice.startIndex + slice.count / 2
        return pairwiseSum(slice[slice.startIndex..<middle]) + pairwiseSum(slice[middle..<slice.endIndex])
    }
}
