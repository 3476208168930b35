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
// (new spacing − old spacing)/2 along each axis. Linear/cubic compute in Double and store Float; nearest keeps
// the voxel type. Parity (tests, fixtures from nnunetv2 2.8.1 / scipy 1.17.1 / skimage 0.26.0): float32
// output bit-identical to nnU-Net in the fixture cases.
// Limits: one channel per call (call per channel for multi-channel data); the whole output is in memory.

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
    /// - Returns: a volume with geometry `geometry.resampled(from: size, to: newSize)`.
    /// - Throws: `VolumeError.invalidResampling` for an empty input, a zero, negative or too large target size,
    ///   an invalid target spacing or separate axis.
    public func resampled(
        toSize newSize: SIMD3<Int>, targetSpacing: SIMD3<Double>? = nil, options: ResampleOptions = ResampleOptions()
    ) throws(VolumeError) -> Volume<Float> {
        try Resampling.validate(from: size, to: newSize, maximumVoxelCount: options.maximumVoxelCount)
        if let targetSpacing { try Resampling.validate(spacing: targetSpacing) }
        let newGeometry = geometry.resampled(from: size, to: newSize)
        if newSize == size { return Volume<Float>(unchecked: voxels.converted(to: Float.self), newGeometry) }
        if options.interpolation == .nearest {
            return Volume<Float>(
                unchecked: Resampling.nearest(voxels, to: newSize) { Float($0.doubleValue) }, newGeometry)
        }
        let separate = options.separateZ.separateAxis(
            currentSpacing: geometry.spacing, targetSpacing: targetSpacing ?? newGeometry.spacing)
        let array: NDArray<Float>
        if let separate {
            guard (0..<3).contains(separate) else {
                throw VolumeError(.invalidResampling, "separate axis \(separate) is not 0 (x), 1 (y) or 2 (z)")
            }
            array = Resampling.specialized(voxels, to: newSize, separateAxis: separate, options: options)
        } else {
            array = Resampling.specialized(voxels, to: newSize, separateAxis: nil, options: options)
        }
        return Volume<Float>(unchecked: array, newGeometry)
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
        return Volume(unchecked: Resampling.nearest(voxels, to: newSize) { $0 }, newGeometry)
    }

    /// The volume resampled to `spacing` (mm) with nearest neighbour, keeping the voxel type.
    public func resampledNearest(toSpacing spacing: SIMD3<Double>) throws(VolumeError) -> Volume {
        try resampledNearest(
            toSize: VolumeGeometry.resampledSize(size: size, spacing: geometry.spacing, targetSpacing: spacing))
    }
}

extension VolumeGeometry {
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

    /// Array shape `[z, y, x]` of a size (x, y, z).
    static func shape(_ size: SIMD3<Int>) -> [Int] { [size.z, size.y, size.x] }

    /// Nearest-neighbour gather on every axis.
    static func nearest<Source: Scalar, Target>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, convert: (Source) -> Target
    ) -> NDArray<Target> {
        let newShape = shape(newSize)
        let tables = (0..<3).map { NearestGather.indexTable(inputLength: voxels.shape[$0], outputLength: newShape[$0]) }
        let elements = [Target](unsafeUninitializedCapacity: newShape.reduce(1, *)) { buffer, count in
            voxels.elements.withUnsafeBufferPointer { source in
                NearestGather.run(
                    source: source, sourceShape: voxels.shape, tables: tables, target: buffer
                ) { value, _ in convert(value) }
            }
            count = buffer.count
        }
        return NDArray(uncheckedShape: newShape, elements: elements)
    }

    /// Calls `joint` or `separate` with the concrete voxel type, so that the kernels are specialised even when
    /// the public generic entry point is called from another module (it is not `@inlinable`).
    static func specialized<Source: Scalar>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, separateAxis: Int?, options: ResampleOptions
    ) -> NDArray<Float> {
        func run<S: Scalar>(_ voxels: NDArray<S>) -> NDArray<Float> {
            if let separateAxis { return separate(voxels, to: newSize, axis: separateAxis, options: options) }
            return joint(voxels, to: newSize, options: options)
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

    /// All axes resampled together (no separate axis); output clipped to the input's range.
    static func joint<Source: Scalar>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, options: ResampleOptions
    )
        -> NDArray<Float>
    {
        let newShape = shape(newSize)
        let clip = options.clipToInputRange ? valueRange(voxels.elements[...]) : nil
        if options.interpolation == .linear { return linear(voxels, to: newShape, clip: clip) }
        let axes = passOrder(shape: voxels.shape, newShape: newShape, axes: [0, 1, 2])
        return runPasses(voxels, axes: axes, newShape: newShape, interpolation: options.interpolation, clip: clip)
    }

    /// nnU-Net's separate-z: 2-D resampling of each slice across `axis` (index axis, 0 = x), clipped to that
    /// slice's input range, then nearest neighbour along `axis`.
    static func separate<Source: Scalar>(
        _ voxels: NDArray<Source>, to newSize: SIMD3<Int>, axis: Int, options: ResampleOptions
    ) -> NDArray<Float> {
        let sliceAxis = 2 - axis  // array axis
        let newShape = shape(newSize)
        var planeShape = newShape
        planeShape[sliceAxis] = voxels.shape[sliceAxis]
        let ranges: [ClosedRange<Double>?] =
            options.clipToInputRange
            ? sliceRanges(voxels, axis: sliceAxis) : Array(repeating: nil, count: voxels.shape[sliceAxis])
        let inPlane = passOrder(shape: voxels.shape, newShape: planeShape, axes: [0, 1, 2].filter { $0 != sliceAxis })
        var tables = (0..<3).map { Array(0..<newShape[$0]) }
        tables[sliceAxis] = NearestGather.indexTable(
            inputLength: voxels.shape[sliceAxis], outputLength: newShape[sliceAxis])
        let gatherTables = tables
        func gather<Element: Scalar>(_ planes: NDArray<Element>) -> NDArray<Float> {
            let elements = [Float](unsafeUninitializedCapacity: newShape.reduce(1, *)) { buffer, count in
                planes.elements.withUnsafeBufferPointer { source in
                    NearestGather.run(
                        source: source, sourceShape: planes.shape, tables: gatherTables, target: buffer,
                        sliceAxis: sliceAxis
                    ) { value, slice in
                        let v = value.doubleValue
                        guard let range = ranges[slice] else { return Float(v) }
                        return Float(Swift.min(Swift.max(v, range.lowerBound), range.upperBound))
                    }
                }
                count = buffer.count
            }
            return NDArray(uncheckedShape: newShape, elements: elements)
        }
        if inPlane.isEmpty { return gather(voxels) }
        let planes: NDArray<Double> =
            options.interpolation == .linear
            ? linear(voxels, to: planeShape, clip: nil)
            : runPasses(voxels, axes: inPlane, newShape: planeShape, interpolation: options.interpolation, clip: nil)
        return gather(planes)
    }

    /// Direct trilinear resampling in scipy's summation order (see `LinearInterpolator`).
    static func linear<Source: Scalar, Target: ResampledElement>(
        _ voxels: NDArray<Source>, to newShape: [Int], clip: ClosedRange<Double>?
    ) -> NDArray<Target> {
        let taps = (0..<3).map {
            AxisTaps(inputLength: voxels.shape[$0], outputLength: newShape[$0], interpolation: .linear)
        }
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
