// Design: nnU-Net's `crop_to_nonzero` (preprocessing/cropping/cropping.py + acvl_utils bounding boxes;
// research §3.3). The mask is the union over channels of `value != 0`, with holes filled as scipy's
// `binary_fill_holes` does with its default cross: background voxels not 6-connected to the array border
// become foreground (found here by a flood fill from the border). The crop is the mask's half-open bounding box,
// the full extent when the mask is empty. Filling never changes the bounding box (a hole lies inside the
// foreground around it), so the filled mask is built only when a normalisation needs it.
public import ArrayCore

/// Non-zero mask and crop of a multi-channel 3-D array.
public enum CropToNonzero {
    /// Union over channels of `value != 0`; `channels` are `[s0, s1, s2]` arrays of equal shape.
    public static func nonzeroMask(_ channels: [NDArray<Float>]) -> [Bool] {
        guard let first = channels.first else { return [] }
        var mask = first.elements.map { $0 != 0 }
        for channel in channels.dropFirst() {
            for index in mask.indices where channel.elements[index] != 0 { mask[index] = true }
        }
        return mask
    }

    /// Half-open bounding box per axis of the `true` voxels; the full extent when there are none.
    public static func boundingBox(_ mask: [Bool], shape: [Int]) -> [Range<Int>] {
        var lower = shape, upper = [0, 0, 0]
        var position = 0
        for a in 0..<shape[0] {
            for b in 0..<shape[1] {
                for c in 0..<shape[2] {
                    if mask[position] {
                        lower = [min(lower[0], a), min(lower[1], b), min(lower[2], c)]
                        upper = [max(upper[0], a + 1), max(upper[1], b + 1), max(upper[2], c + 1)]
                    }
                    position += 1
                }
            }
        }
        guard lower[0] < upper[0] else { return shape.map { 0..<$0 } }
        return (0..<3).map { lower[$0]..<upper[$0] }
    }

    /// `binary_fill_holes` with 6-connectivity: background not reachable from the border becomes foreground.
    public static func filledHoles(_ mask: [Bool], shape: [Int]) -> [Bool] {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        var outside = [Bool](repeating: false, count: mask.count)
        var stack: [Int] = []
        func visit(_ index: Int) {
            if !mask[index] && !outside[index] {
                outside[index] = true
                stack.append(index)
            }
        }
        for a in 0..<n0 {
            for b in 0..<n1 {
                for c in 0..<n2 where a == 0 || a == n0 - 1 || b == 0 || b == n1 - 1 || c == 0 || c == n2 - 1 {
                    visit((a * n1 + b) * n2 + c)
                }
            }
        }
        while let index = stack.popLast() {
            let c = index % n2, b = (index / n2) % n1, a = index / (n1 * n2)
            if c > 0 { visit(index - 1) }
            if c < n2 - 1 { visit(index + 1) }
            if b > 0 { visit(index - n2) }
            if b < n1 - 1 { visit(index + n2) }
            if a > 0 { visit(index - n1 * n2) }
            if a < n0 - 1 { visit(index + n1 * n2) }
        }
        return outside.map { !$0 }
    }

    /// The `[s0, s1, s2]` array cropped to `box`.
    public static func cropped<T: Sendable>(_ array: NDArray<T>, to box: [Range<Int>]) -> NDArray<T> {
        let shape = array.shape
        if box.map(\.count) == shape { return array }
        var elements: [T] = []
        elements.reserveCapacity(box.map(\.count).reduce(1, *))
        for a in box[0] {
            for b in box[1] {
                let row = (a * shape[1] + b) * shape[2]
                elements.append(contentsOf: array.elements[(row + box[2].lowerBound)..<(row + box[2].upperBound)])
            }
        }
        return NDArray(uncheckedShape: box.map(\.count), elements: elements)
    }

    /// Elements of a mask inside `box` (same layout as `cropped`).
    static func cropped(_ mask: [Bool], shape: [Int], to box: [Range<Int>]) -> [Bool] {
        cropped(NDArray(uncheckedShape: shape, elements: mask), to: box).elements
    }
}
