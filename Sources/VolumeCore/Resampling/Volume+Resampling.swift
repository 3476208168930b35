// Resampling a volume to a new grid size or spacing, the way nnU-Net v2 does it.
//
// Reference: nnU-Net v2 `preprocessing/resampling/default_resampling.py` (`compute_new_shape`,
// `determine_do_sep_z_and_axis`, `resample_data_or_seg`), which calls skimage `transform.resize(order, mode=
// 'edge', anti_aliasing=False, clip=True)` = scipy `ndimage.zoom(grid_mode=True, mode='nearest')` + clipping,
// and `ndimage.map_coordinates(order=0, mode='nearest')` along a separate low-resolution axis.
// Spline background: M. Unser, "Splines: a perfect fit for signal and image processing", IEEE Signal
// Processing Magazine 16(6), 1999, and Unser/Aldroubi/Eden 1991 (see `AxisResampler.swift`).
//
// Conventions: sizes are (x, y, z) = (i, j, k) like `Volume.size`; the arrays are `[z][y][x]`. Output voxel o
// samples the input at x = (o + 0.5)·(n/m) − 0.5 on each axis (pixel-centre alignment), so the outer edges of
// the grid stay where they were: new spacing = old spacing · n/m, and the origin moves by
// (new spacing − old spacing)/2 along each axis. Linear/cubic compute in Double and store Float (or Double:
// `resampledInDouble`); nearest keeps the voxel type. Parity (tests, fixtures from nnunetv2 2.8.1 / scipy 1.17.1 / skimage 0.26.0): float32
// output bit-identical to nnU-Net in the fixture cases.
// Windows: linear and nearest resampling can compute a box of the output alone (`window:`): each axis's taps
// are cut to the window's outputs, the input is cut to the samples those taps read (zero-weight taps too), and
// the same kernels run, so every voxel is bit-identical to the same voxel of the whole output (the clip range
// is still the whole input's). `resampledFootprint(of:...)` is the inverse question: which outputs read a
// given input box. A spline's prefilter couples whole lines, so cubic resampling has no windows.
// Limits: one channel per call (call per channel for multi-channel data).

public import ArrayCore

/// Longest accepted output axis, in voxels.
let maximumResampledAxisLength = 1 << 20

extension Volume {
    /// The volume resampled to `newSize` (x, y, z voxels) with linear or cubic interpolation (Float output),
    /// or nearest neighbour (values converted to Float).
    ///
    /// - Parameters:
    ///   - targetSpacing: spacing (mm) the caller asked for, used only by the separate-z decision (nnU-Net passes
    ///     the configuration spacing); defaults to the spacing of the new grid.
    ///   - window: the box of the output grid (x y z indices) to compute, the whole grid by default; each voxel
    ///     equals the same voxel of the whole output. Linear and nearest interpolation only.
    /// - Returns: a volume with geometry `geometry.resampled(from: size, to: newSize)` (moved to the window).
    /// - Throws: `VolumeError.invalidResampling` for an empty input, a zero, negative or too large target size,
    ///   an invalid target spacing or separate axis, a window that is empty, outside the grid, or asked of a
    ///   cubic resampling.
    public func resampled(
        toSize newSize: SIMD3<Int>, targetSpacing: SIMD3<Double>? = nil, options: ResampleOptions = ResampleOptions(),
        window: IndexBox? = nil
    ) throws(VolumeError) -> Volume<Float> {
        try resampled(toSize: newSize, targetSpacing: targetSpacing, options: options, window: window, as: Float.self)
    }

    /// `resampled(toSize:targetSpacing:options:window:)` with the float64 values the kernels compute, not rounded
    /// to Float: for callers that compare them with a threshold as nnU-Net does in float64 (label maps resampled
    /// as indicators, `resize_segmentation`).
    /// - Throws: as `resampled(toSize:targetSpacing:options:window:)`.
    public func resampledInDouble(
        toSize newSize: SIMD3<Int>, targetSpacing: SIMD3<Double>? = nil, options: ResampleOptions = ResampleOptions(),
        window: IndexBox? = nil
    ) throws(VolumeError) -> Volume<Double> {
        try resampled(toSize: newSize, targetSpacing: targetSpacing, options: options, window: window, as: Double.self)
    }

    func resampled<Target: ResampledElement & Scalar>(
        toSize newSize: SIMD3<Int>, targetSpacing: SIMD3<Double>?, options: ResampleOptions, window: IndexBox?,
        as type: Target.Type
    ) throws(VolumeError) -> Volume<Target> {
        try Resampling.validate(from: size, to: newSize, maximumVoxelCount: options.maximumVoxelCount)
        if let targetSpacing { try Resampling.validate(spacing: targetSpacing) }
        let window = window ?? IndexBox(size: newSize)
        try Resampling.validate(window: window, in: newSize, interpolation: options.interpolation)
        let newGeometry = geometry.resampled(from: size, to: newSize).shifted(byVoxels: window.lower)
        let outputs = Resampling.ranges(window)
        if newSize == size {
            return Volume<Target>(
                unchecked: Resampling.cropped(voxels, to: outputs).converted(to: Target.self), newGeometry)
        }
        if options.interpolation == .nearest {
            return Volume<Target>(
                unchecked: Resampling.nearest(voxels, to: newSize, outputs: outputs) {
                    Target(resampled: $0.doubleValue)
                }, newGeometry)
        }
        let separate = try geometry.separateAxis(
            from: size, toSize: newSize, targetSpacing: targetSpacing, options: options)
        let array: NDArray<Target> = Resampling.specialized(
            voxels, to: newSize, outputs: outputs, separateAxis: separate, options: options)
        return Volume<Target>(unchecked: array, newGeometry)
    }

    /// The volume resampled to `spacing` (mm, x y z); the size per axis is nnU-Net's `compute_new_shape`.
    /// - Throws: `VolumeError.invalidResampling` (see `resampled(toSize:targetSpacing:options:)`).
    public func resampled(
        toSpacing spacing: SIMD3<Double>, options: ResampleOptions = ResampleOptions()
    )
        throws(VolumeError) -> Volume<Float>
    {
        let newSize = try VolumeGeometry.resampledSize(size: size, spacing: geometry.spacing, targetSpacing: spacing)
        return try resampled(toSize: newSize, targetSpacing: spacing, options: options)
    }

    /// The volume resampled to `newSize` with nearest neighbour, keeping the voxel type (label maps).
    /// - Throws: `VolumeError.invalidResampling` for an empty input or an invalid target size.
    public func resampledNearest(
        toSize newSize: SIMD3<Int>, maximumVoxelCount: Int = 1 << 32
    ) throws(VolumeError)
        -> Volume
    {
        try Resampling.validate(from: size, to: newSize, maximumVoxelCount: maximumVoxelCount)
        let newGeometry = geometry.resampled(from: size, to: newSize)
        if newSize == size { return Volume(unchecked: voxels, newGeometry) }
        return Volume(
            unchecked: Resampling.nearest(voxels, to: newSize, outputs: Resampling.ranges(IndexBox(size: newSize))) {
                $0
            }, newGeometry)
    }

    /// The volume resampled to `spacing` (mm) with nearest neighbour, keeping the voxel type.
    public func resampledNearest(toSpacing spacing: SIMD3<Double>) throws(VolumeError) -> Volume {
        try resampledNearest(
            toSize: VolumeGeometry.resampledSize(size: size, spacing: geometry.spacing, targetSpacing: spacing))
    }
}

extension VolumeGeometry {
    /// The smallest box of the output grid of `Volume.resampled(toSize:targetSpacing:options:)` on a volume of
    /// `size` voxels with this geometry (x y z indices) whose voxels read any input voxel inside `box`
    /// (zero-weight taps counted): every output voxel outside it is a weighted sum of input voxels outside
    /// `box` only. `nil` when no output voxel reads the box.
    /// - Throws: `VolumeError.invalidResampling` as `resampled(toSize:...)`, and for cubic interpolation (a
    ///   spline output reads whole lines).
    public func resampledFootprint(
        of box: IndexBox, size: SIMD3<Int>, toSize newSize: SIMD3<Int>, targetSpacing: SIMD3<Double>? = nil,
        options: ResampleOptions = ResampleOptions()
    ) throws(VolumeError) -> IndexBox? {
        try Resampling.validate(from: size, to: newSize, maximumVoxelCount: options.maximumVoxelCount)
        if let targetSpacing { try Resampling.validate(spacing: targetSpacing) }
        guard options.interpolation != .cubicBSpline else {
            throw VolumeError(.invalidResampling, "a cubic B-spline output reads whole lines: no footprint")
        }
        let separate =
            options.interpolation == .nearest
            ? nil : try separateAxis(from: size, toSize: newSize, targetSpacing: targetSpacing, options: options)
        var lower = SIMD3<Int>.zero, upper = SIMD3<Int>.zero
        for axis in 0..<3 {
            let reads = Resampling.reads(
                inputLength: size[axis], outputLength: newSize[axis], interpolation: options.interpolation,
                separate: separate == axis)
            let inputs = box.lower[axis]..<box.upper[axis]
            guard let first = reads.firstIndex(where: { $0.overlaps(inputs) }),
                let last = reads.lastIndex(where: { $0.overlaps(inputs) })
            else { return nil }
            (lower[axis], upper[axis]) = (first, last + 1)
        }
        return IndexBox(lower: lower, upper: upper)
    }

    /// The separate axis (index axis, nil for joint) of a resampling from `size` to `newSize`.
    func separateAxis(
        from size: SIMD3<Int>, toSize newSize: SIMD3<Int>, targetSpacing: SIMD3<Double>?, options: ResampleOptions
    ) throws(VolumeError) -> Int? {
        let separate = options.separateZ.separateAxis(
            currentSpacing: spacing, targetSpacing: targetSpacing ?? resampled(from: size, to: newSize).spacing)
        if let separate, !(0..<3).contains(separate) {
            throw VolumeError(.invalidResampling, "separate axis \(separate) is not 0 (x), 1 (y) or 2 (z)")
        }
        return separate
    }

    /// Geometry of a grid of `newSize` voxels covering the same box as a grid of `size` voxels with this
    /// geometry: spacing · size/newSize per axis, same direction, origin moved so the outer edges stay put.
    public func resampled(from size: SIMD3<Int>, to newSize: SIMD3<Int>) -> VolumeGeometry {
        let oldCount = SIMD3<Double>(Double(size.x), Double(size.y), Double(size.z))
        let newCount = SIMD3<Double>(Double(newSize.x), Double(newSize.y), Double(newSize.z))
        let newSpacing = spacing * oldCount / newCount
        // Centre of new voxel 0 sits at continuous old index 0.5·n/m − 0.5 on each axis.
        let start = 0.5 * oldCount / newCount - 0.5
        return VolumeGeometry(unchecked: newSpacing, worldPoint(atIndex: start), direction)
    }

    /// nnU-Net's `compute_new_shape`: `round(spacing / targetSpacing · size)` per axis, evaluated in Double in
    /// that order, rounding half to even (Python `round`).
    /// - Throws: `VolumeError.invalidResampling` for a non-positive or non-finite spacing, or a size that
    ///   rounds to 0 or exceeds 2^20 voxels per axis.
    public static func resampledSize(
        size: SIMD3<Int>, spacing: SIMD3<Double>, targetSpacing: SIMD3<Double>
    )
        throws(VolumeError) -> SIMD3<Int>
    {
        try Resampling.validate(spacing: spacing)
        try Resampling.validate(spacing: targetSpacing)
        var result = SIMD3<Int>.zero
        for axis in 0..<3 {
            let value = (spacing[axis] / targetSpacing[axis] * Double(size[axis])).rounded(.toNearestOrEven)
            guard value >= 1, value <= Double(maximumResampledAxisLength) else {
                throw VolumeError(
                    .invalidResampling,
                    "target spacing \(targetSpacing) from spacing \(spacing) and size \(size) gives \(value) voxels "
                        + "on axis \(axis); need 1...\(maximumResampledAxisLength)")
            }
            result[axis] = Int(value)
        }
        return result
    }
}

/// The resampling steps behind the `Volume` API.
enum Resampling {
    static func validate(from size: SIMD3<Int>, to newSize: SIMD3<Int>, maximumVoxelCount: Int) throws(VolumeError) {
        guard size.x > 0, size.y > 0, size.z > 0 else {
            throw VolumeError(.invalidResampling, "cannot resample an empty volume of size \(size)")
        }
        guard (0..<3).allSatisfy({ newSize[$0] > 0 && newSize[$0] <= maximumResampledAxisLength }) else {
            throw VolumeError(
                .invalidResampling, "target size \(newSize) needs 1...\(maximumResampledAxisLength) voxels per axis")
        }
        let (xy, overflowXY) = newSize.x.multipliedReportingOverflow(by: newSize.y)
        let (xyz, overflowXYZ) = xy.multipliedReportingOverflow(by: newSize.z)
        guard !overflowXY, !overflowXYZ, xyz <= maximumVoxelCount else {
            throw VolumeError(
                .invalidResampling, "target size \(newSize) exceeds the limit of \(maximumVoxelCount) voxels")
        }
    }

    static func validate(spacing: SIMD3<Double>) throws(VolumeError) {
        guard (0..<3).allSatisfy({ spacing[$0] > 0 && spacing[$0].isFinite }) else {
            throw VolumeError(.invalidResampling, "spacing \(spacing) must be positive and finite on every axis")
        }
    }

    static func validate(window: IndexBox, in size: SIMD3<Int>, interpolation: Interpolation) throws(VolumeError) {
        guard !window.isEmpty, (0..<3).allSatisfy({ window.lower[$0] >= 0 && window.upper[$0] <= size[$0] }) else {
            throw VolumeError(
                .invalidResampling,
                "window \(window.lower)..<\(window.upper) is empty or outside the output grid of size \(size)")
        }
        guard interpolation != .cubicBSpline || window == IndexBox(size: size) else {
            throw VolumeError(.invalidResampling, "a cubic B-spline resampling has no windows: it reads whole lines")
        }
    }

    /// Array shape `[z, y, x]` of a size (x, y, z).
    static func shape(_ size: SIMD3<Int>) -> [Int] { [size.z, size.y, size.x] }

    /// Array-order ranges `[z, y, x]` of a box (x, y, z).
    static func ranges(_ box: IndexBox) -> [Range<Int>] {
        [box.lower.z..<box.upper.z, box.lower.y..<box.upper.y, box.lower.x..<box.upper.x]
    }

    /// The part of `array` (`[z][y][x]`) inside `ranges`; the array itself when they cover it.
    static func cropped<Element>(_ array: NDArray<Element>, to ranges: [Range<Int>]) -> NDArray<Element> {
        if ranges.indices.allSatisfy({ ranges[$0] == 0..<array.shape[$0] }) { return array }
        let (sy, sx) = (array.shape[1], array.shape[2])
        var elements = [Element]()
        elements.reserveCapacity(ranges.map(\.count).reduce(1, *))
        array.elements.withUnsafeBufferPointer { source in
            for k in ranges[0] {
                for j in ranges[1] {
                    let row = (k * sy + j) * sx
                    elements.append(contentsOf: source[(row + ranges[2].lowerBound)..<(row + ranges[2].upperBound)])
                }
            }
        }
        return NDArray(uncheckedShape: ranges.map(\.count), elements: elements)
    }

    /// Lowest...highest input index each output sample reads along one axis (zero-weight taps included); a
    /// separate axis reads its nearest slice and the slice after it (the in-plane pass's zero-weight tap).
    static func reads(
        inputLength n: Int, outputLength m: Int, interpolation: Interpolation, separate: Bool
    ) -> [ClosedRange<Int>] {
        if separate {
            return AxisTaps(inputLength: n, outputLength: m, interpolation: .nearest).indices.map {
                $0...min($0 + 1, n - 1)
            }
        }
        let taps = AxisTaps(inputLength: n, outputLength: m, interpolation: interpolation)
        return (0..<m).map { o in
            let slots = taps.indices[(o * taps.tapCount)..<((o + 1) * taps.tapCount)]
            return slots.min()!...slots.max()!
        }
    }

    /// Nearest-neighbour gather on every axis, for the outputs in `outputs` (array order).
    static func nearest<Source: Scalar, Target>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, outputs: [Range<Int>], convert: (Source) -> Target
    ) -> NDArray<Target> {
        let newShape = shape(newSize)
        let axes = (0..<3).map {
            AxisTaps(inputLength: voxels.shape[$0], outputLength: newShape[$0], interpolation: .nearest)
                .restricted(to: outputs[$0])
        }
        let source = cropped(voxels, to: axes.map(\.inputs))
        let tables = axes.map(\.taps.indices)
        let elements = [Target](unsafeUninitializedCapacity: outputs.map(\.count).reduce(1, *)) { buffer, count in
            source.elements.withUnsafeBufferPointer { values in
                NearestGather.run(
                    source: values, sourceShape: source.shape, tables: tables, target: buffer
                ) { value, _ in convert(value) }
            }
            count = buffer.count
        }
        return NDArray(uncheckedShape: outputs.map(\.count), elements: elements)
    }

    /// Calls `joint` or `separate` with the concrete voxel type, so that the kernels are specialised even when
    /// the public generic entry point is called from another module (it is not `@inlinable`).
    static func specialized<Source: Scalar, Target: ResampledElement>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, outputs: [Range<Int>], separateAxis: Int?,
        options: ResampleOptions
    ) -> NDArray<Target> {
        func run<S: Scalar>(_ voxels: NDArray<S>) -> NDArray<Target> {
            if let separateAxis {
                return separate(voxels, to: newSize, outputs: outputs, axis: separateAxis, options: options)
            }
            return joint(voxels, to: newSize, outputs: outputs, options: options)
        }
        // The casts always succeed: `Source.kind` names `Source`.
        switch Source.kind {
        case .uint8: return run(voxels as! NDArray<UInt8>)
        case .int8: return run(voxels as! NDArray<Int8>)
        case .uint16: return run(voxels as! NDArray<UInt16>)
        case .int16: return run(voxels as! NDArray<Int16>)
        case .uint32: return run(voxels as! NDArray<UInt32>)
        case .int32: return run(voxels as! NDArray<Int32>)
        case .uint64: return run(voxels as! NDArray<UInt64>)
        case .int64: return run(voxels as! NDArray<Int64>)
        case .float32: return run(voxels as! NDArray<Float>)
        case .float64: return run(voxels as! NDArray<Double>)
        }
    }

    /// All axes resampled together (no separate axis); output clipped to the input's range. `outputs` (array
    /// order) is the whole grid for cubic interpolation (validated by the caller).
    static func joint<Source: Scalar, Target: ResampledElement>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, outputs: [Range<Int>], options: ResampleOptions
    )
        -> NDArray<Target>
    {
        let newShape = shape(newSize)
        let clip = options.clipToInputRange ? valueRange(voxels.elements[...]) : nil
        if options.interpolation == .linear {
            let axes = (0..<3).map {
                AxisTaps(inputLength: voxels.shape[$0], outputLength: newShape[$0], interpolation: .linear)
                    .restricted(to: outputs[$0])
            }
            return linear(cropped(voxels, to: axes.map(\.inputs)), taps: axes.map(\.taps), clip: clip)
        }
        let axes = passOrder(shape: voxels.shape, newShape: newShape, axes: [0, 1, 2])
        return runPasses(voxels, axes: axes, newShape: newShape, interpolation: options.interpolation, clip: clip)
    }

    /// nnU-Net's separate-z: 2-D resampling of each slice across `axis` (index axis, 0 = x), clipped to that
    /// slice's input range, then nearest neighbour along `axis`. Only the input slices the outputs in `outputs`
    /// (array order; the whole grid for cubic interpolation) gather are resampled.
    static func separate<Source: Scalar, Target: ResampledElement>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, outputs: [Range<Int>], axis: Int, options: ResampleOptions
    ) -> NDArray<Target> {
        let sliceAxis = 2 - axis  // array axis
        let newShape = shape(newSize)
        let slices = AxisTaps(
            inputLength: voxels.shape[sliceAxis], outputLength: newShape[sliceAxis], interpolation: .nearest
        ).restricted(to: outputs[sliceAxis])
        var planeShape = newShape
        planeShape[sliceAxis] = voxels.shape[sliceAxis]
        var planeOutputs = outputs
        planeOutputs[sliceAxis] = slices.inputs
        let ranges: [ClosedRange<Double>?] =
            options.clipToInputRange
            ? Array(sliceRanges(voxels, axis: sliceAxis)[slices.inputs])
            : Array(repeating: nil, count: slices.inputs.count)
        let inPlane = passOrder(shape: voxels.shape, newShape: planeShape, axes: [0, 1, 2].filter { $0 != sliceAxis })
        var tables = outputs.map { Array(0..<$0.count) }
        tables[sliceAxis] = slices.taps.indices
        let gatherTables = tables
        let outputShape = outputs.map(\.count)
        func gather<Element: Scalar>(_ planes: NDArray<Element>) -> NDArray<Target> {
            let elements = [Target](unsafeUninitializedCapacity: outputShape.reduce(1, *)) { buffer, count in
                planes.elements.withUnsafeBufferPointer { source in
                    NearestGather.run(
                        source: source, sourceShape: planes.shape, tables: gatherTables, target: buffer,
                        sliceAxis: sliceAxis
                    ) { value, slice in
                        let v = value.doubleValue
                        guard let range = ranges[slice] else { return Target(resampled: v) }
                        return Target(resampled: Swift.min(Swift.max(v, range.lowerBound), range.upperBound))
                    }
                }
                count = buffer.count
            }
            return NDArray(uncheckedShape: outputShape, elements: elements)
        }
        if inPlane.isEmpty { return gather(cropped(voxels, to: planeOutputs)) }
        if options.interpolation == .linear {
            let axes = (0..<3).map {
                AxisTaps(inputLength: voxels.shape[$0], outputLength: planeShape[$0], interpolation: .linear)
                    .restricted(to: planeOutputs[$0])
            }
            let planes: NDArray<Double> = linear(
                cropped(voxels, to: axes.map(\.inputs)), taps: axes.map(\.taps), clip: nil)
            return gather(planes)
        }
        let planes: NDArray<Double> = runPasses(
            voxels, axes: inPlane, newShape: planeShape, interpolation: options.interpolation, clip: nil)
        return gather(planes)
    }

    /// Direct trilinear resampling in scipy's summation order (see `LinearInterpolator`) with the given taps
    /// per array axis.
    static func linear<Source: Scalar, Target: ResampledElement>(
        _ voxels: NDArray<Source>, taps: [AxisTaps], clip: ClosedRange<Double>?
    ) -> NDArray<Target> {
        let newShape = taps.map(\.outputLength)
        let elements = [Target](unsafeUninitializedCapacity: newShape.reduce(1, *)) { buffer, count in
            voxels.elements.withUnsafeBufferPointer { source in
                LinearInterpolator.run(source: source, shape: voxels.shape, taps: taps, target: buffer, clip: clip)
            }
            count = buffer.count
        }
        return NDArray(uncheckedShape: newShape, elements: elements)
    }

    /// Runs one axis pass per entry of `axes` (array axes), storing the last one as `Target` with `clip`.
    static func runPasses<Source: Scalar, Target: ResampledElement>(
        _ voxels: NDArray<Source>, axes: [Int], newShape: [Int], interpolation: Interpolation,
        clip: ClosedRange<Double>?
    ) -> NDArray<Target> {
        var shape = voxels.shape
        var intermediate: [Double] = []
        for (step, axis) in axes.enumerated() {
            var next = shape
            next[axis] = newShape[axis]
            let taps = AxisTaps(inputLength: shape[axis], outputLength: next[axis], interpolation: interpolation)
            let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
            let isLast = step == axes.count - 1
            func pass<S: Scalar, T: ResampledElement>(_ source: [S], clip: ClosedRange<Double>?) -> [T] {
                [T](unsafeUninitializedCapacity: next.reduce(1, *)) { buffer, count in
                    source.withUnsafeBufferPointer { src in
                        AxisResampler.run(
                            source: src, outer: outer, inner: inner, taps: taps, target: buffer, clip: clip)
                    }
                    count = buffer.count
                }
            }
            if isLast {
                let result: [Target] = step == 0 ? pass(voxels.elements, clip: clip) : pass(intermediate, clip: clip)
                return NDArray(uncheckedShape: next, elements: result)
            }
            intermediate = step == 0 ? pass(voxels.elements, clip: nil) : pass(intermediate, clip: nil)
            shape = next
        }
        // No axis changes size: only the conversion remains.
        let converted = voxels.elements.map { value -> Target in
            let v = value.doubleValue
            guard let clip else { return Target(resampled: v) }
            return Target(resampled: Swift.min(Swift.max(v, clip.lowerBound), clip.upperBound))
        }
        return NDArray(uncheckedShape: shape, elements: converted)
    }

    /// The order of the axes (among `axes`, those whose size changes) that minimises the voxels written by
    /// the passes; ties keep the fastest axis first.
    static func passOrder(shape: [Int], newShape: [Int], axes: [Int]) -> [Int] {
        let changing = axes.filter { shape[$0] != newShape[$0] }.sorted(by: >)
        var best = changing, bestCost = Int.max
        for order in permutations(changing) {
            var current = shape, cost = 0
            for axis in order {
                current[axis] = newShape[axis]
                cost += current.reduce(1, *)
            }
            if cost < bestCost { (best, bestCost) = (order, cost) }
        }
        return best
    }

    private static func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// [min, max] of the values, NaN ignored (skimage uses nanmin/nanmax when NaN is present); nil if none.
    static func valueRange<C: Collection>(_ values: C) -> ClosedRange<Double>? where C.Element: Scalar {
        var low = Double.infinity, high = -Double.infinity
        for value in values {
            let v = value.doubleValue
            if v < low { low = v }
            if v > high { high = v }
        }
        return low <= high ? low...high : nil
    }

    /// Value range of each slice across array axis `axis`.
    static func sliceRanges<Source: Scalar>(_ voxels: NDArray<Source>, axis: Int) -> [ClosedRange<Double>?] {
        let shape = voxels.shape
        var low = [Double](repeating: .infinity, count: shape[axis])
        var high = [Double](repeating: -.infinity, count: shape[axis])
        var position = 0
        voxels.elements.withUnsafeBufferPointer { values in
            for k in 0..<shape[0] {
                for j in 0..<shape[1] {
                    for i in 0..<shape[2] {
                        let slice = axis == 0 ? k : (axis == 1 ? j : i)
                        let v = values[position].doubleValue
                        if v < low[slice] { low[slice] = v }
                        if v > high[slice] { high[slice] = v }
                        position += 1
                    }
                }
            }
        }
        return zip(low, high).map { $0 <= $1 ? $0...$1 : nil }
    }
}
