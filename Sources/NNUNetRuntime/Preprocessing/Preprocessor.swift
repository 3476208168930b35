// Design: nnU-Net's `DefaultPreprocessor.run_case_npy` (preprocessing/preprocessors/default_preprocessor.py;
// research §3): float32 → transpose_forward → crop to non-zero → target shape → normalise → resample.
// Normalisation runs before resampling, on the cropped original-resolution data. The target shape is Python's
// `round(old_spacing / new_spacing · old_shape)` (half to even) per axis; 2-D configurations keep the input's
// spacing along the first (transposed) axis. Resampling is `resample_data_or_seg_to_shape` through VolumeCore
// (order 3 cubic B-spline, order 1 linear, order 0 nearest; separate-z decided by nnU-Net's rule, including
// `force_separate_z`, with nearest neighbour along the separate axis: order_z 0).
// A cascade stage's input (the previous stage's segmentation as one-hot channels) is PreviousStage.swift.
// Limits: one image per call; `resample_torch_fornnunet` and order_z ≠ 0 are rejected.
public import ArrayCore
public import VolumeCore

/// Runs nnU-Net's preprocessing of one configuration.
public struct Preprocessor: Sendable {
    public let plans: Plans
    public let configuration: ConfigurationPlan
    /// Largest accepted voxel count of the resampled case (per channel).
    public var maximumVoxelCount: Int = 1 << 31

    public init(plans: Plans, configuration: ConfigurationPlan) {
        self.plans = plans
        self.configuration = configuration
    }

    /// Preprocesses one case given as one float32 volume per input channel (same grid for all); for a cascade
    /// configuration also the previous stage's segmentation, which becomes one-hot channels after the image's.
    /// - Throws: `NNUNetError.invalidInput` for a channel count or grid mismatch, a missing or unexpected
    ///   previous stage, a label the dataset lacks; `.unsupportedArchitecture` for a normalisation or resampling
    ///   this runtime does not implement, `.limitExceeded` for a too large target.
    public func run(
        _ channels: [Volume<Float>], previousStage: PreviousStageSegmentation? = nil
    ) throws(NNUNetError) -> PreprocessedCase {
        try run(channels, normalizing: true, previousStage: previousStage)
    }

    func run(
        _ channels: [Volume<Float>], normalizing: Bool, previousStage: PreviousStageSegmentation? = nil
    ) throws(NNUNetError) -> PreprocessedCase {
        try checkPreviousStage(previousStage)
        guard let first = channels.first else { throw NNUNetError(.invalidInput, "no input channel") }
        guard channels.count == configuration.normalizationSchemes.count else {
            throw NNUNetError(
                .invalidInput,
                "the model expects \(configuration.normalizationSchemes.count) input channel(s), got \(channels.count)")
        }
        for (index, channel) in channels.enumerated() where channel.size != first.size {
            throw NNUNetError(
                .invalidInput, "channel \(index) has size \(channel.size), channel 0 has \(first.size)")
        }
        let permutation = plans.transposeForward
        guard permutation.count == 3 else {
            throw NNUNetError(.invalidJSON, "plans.json.transpose_forward \(permutation) must have 3 entries")
        }
        let spacing = [first.geometry.spacing.z, first.geometry.spacing.y, first.geometry.spacing.x]
        let transposedSpacing = permutation.map { spacing[$0] }
        var arrays = channels.map { Self.transposed($0.voxels, permutation) }
        let shapeBefore = arrays[0].shape
        let mask = CropToNonzero.nonzeroMask(arrays)
        let box = CropToNonzero.boundingBox(mask, shape: shapeBefore)
        arrays = arrays.map { CropToNonzero.cropped($0, to: box) }
        let shapeAfter = arrays[0].shape
        let target = try targetSpacing(transposedSpacing)
        let newShape = try Self.newShape(shapeAfter, spacing: transposedSpacing, target: target)
        let schemes = try (0..<channels.count).map { (channel) throws(NNUNetError) in
            try NormalizationScheme(configuration: configuration, plans: plans, channel: channel)
        }
        let croppedMask: [Bool]? =
            normalizing && schemes.contains(where: \.needsMask)
            ? CropToNonzero.cropped(CropToNonzero.filledHoles(mask, shape: shapeBefore), shape: shapeBefore, to: box)
            : nil
        try Self.checkCount(newShape, channels: channels.count, limit: maximumVoxelCount)
        var output: [Float] = []
        output.reserveCapacity(channels.count * newShape.reduce(1, *))
        for (index, scheme) in schemes.enumerated() {
            var values = arrays[index].elements
            arrays[index] = NDArray(shape: [0], repeating: 0)
            if normalizing { try scheme.apply(&values, mask: croppedMask) }
            let resampled = try Self.resample(
                NDArray(uncheckedShape: shapeAfter, elements: values), to: newShape, from: transposedSpacing,
                to: target, resampling: configuration.resamplingData)
            output.append(contentsOf: resampled.elements)
        }
        if let previousStage {
            let labels = try previousStageLabels(
                previousStage.segmentation, imageSize: first.size, mask: mask, box: box, newShape: newShape,
                spacing: transposedSpacing, target: target)
            output.append(contentsOf: Self.oneHot(labels, foregroundLabels: previousStage.foregroundLabels))
        }
        let inputChannels = channels.count + (previousStage?.foregroundLabels.count ?? 0)
        let properties = CaseProperties(
            geometry: first.geometry, spacing: spacing, transposedSpacing: transposedSpacing,
            shapeBeforeCropping: shapeBefore, boundingBox: box, shapeAfterCropping: shapeAfter, targetSpacing: target)
        return PreprocessedCase(
            data: NDArray(uncheckedShape: [inputChannels] + newShape, elements: output), properties: properties)
    }

    /// The lean path's first half: transpose, crop and resample without normalising, so that several models
    /// with the same target grid share one resampling (`normalizedAfterResampling` finishes each model's
    /// input). Differs from `run` only where the CT clip bounds are crossed: `run` clips before the cubic
    /// B-spline, this clips after it.
    /// - Throws: as `run`.
    public func resampledWithoutNormalization(_ channels: [Volume<Float>]) throws(NNUNetError) -> PreprocessedCase {
        try run(channels, normalizing: false)
    }

    /// The lean path's second half: this model's normalisation of data that `resampledWithoutNormalization`
    /// resampled (with a configuration of the same target spacing).
    /// - Throws: `.unsupportedArchitecture` for a scheme that needs the non-zero mask (z-score with mask).
    public func normalizedAfterResampling(
        _ resampled: consuming PreprocessedCase
    ) throws(NNUNetError) -> PreprocessedCase {
        let shape = resampled.data.shape
        let channels = shape[0]
        guard channels == configuration.normalizationSchemes.count else {
            throw NNUNetError(
                .invalidInput,
                "the model expects \(configuration.normalizationSchemes.count) input channel(s), got \(channels)")
        }
        let schemes = try (0..<channels).map { (channel) throws(NNUNetError) in
            let scheme = try NormalizationScheme(configuration: configuration, plans: plans, channel: channel)
            guard !scheme.needsMask else {
                throw NNUNetError(
                    .unsupportedArchitecture,
                    "channel \(channel) normalises with the non-zero mask; it cannot share resampling with other models"
                )
            }
            return scheme
        }
        // Normalise in place when the caller hands its only reference over (`consume`).
        var output = resampled.data.elements
        resampled.data = NDArray(shape: [0], repeating: 0)
        if channels == 1 {
            try schemes[0].apply(&output, mask: nil)
        } else {
            let count = output.count / channels
            for (channel, scheme) in schemes.enumerated() {
                var values = Array(output[(channel * count)..<((channel + 1) * count)])
                try scheme.apply(&values, mask: nil)
                output.replaceSubrange((channel * count)..<((channel + 1) * count), with: values)
            }
        }
        return PreprocessedCase(
            data: NDArray(uncheckedShape: shape, elements: output), properties: resampled.properties)
    }

    /// Target spacing and shape (transposed axes) of an input of `size` voxels (x, y, z) of `spacing` mm
    /// (x, y, z), before any crop to non-zero: what a planner knows from the header alone.
    public func plannedGrid(
        size: SIMD3<Int>, spacing: SIMD3<Double>
    ) throws(NNUNetError) -> (
        spacing: [Double], shape: [Int]
    ) {
        let permutation = plans.transposeForward
        guard permutation.count == 3, Set(permutation) == [0, 1, 2] else {
            throw NNUNetError(.invalidJSON, "plans.json.transpose_forward \(permutation) must permute 0, 1, 2")
        }
        let shape = permutation.map { [size.z, size.y, size.x][$0] }
        let current = permutation.map { [spacing.z, spacing.y, spacing.x][$0] }
        let target = try targetSpacing(current)
        return (target, try Self.newShape(shape, spacing: current, target: target))
    }

    /// The configuration's spacing, with the input's first-axis spacing prepended for 2-D configurations.
    func targetSpacing(_ transposedSpacing: [Double]) throws(NNUNetError) -> [Double] {
        let spacing = configuration.spacing
        if spacing.count == 3 { return spacing }
        return [transposedSpacing[0]] + spacing
    }

    /// nnU-Net's `compute_new_shape`: `round(old / new · size)` per axis in Double, half to even.
    public static func newShape(_ shape: [Int], spacing: [Double], target: [Double]) throws(NNUNetError) -> [Int] {
        try (0..<shape.count).map { (axis) throws(NNUNetError) -> Int in
            let value = (spacing[axis] / target[axis] * Double(shape[axis])).rounded(.toNearestOrEven)
            guard value >= 1, value <= Double(1 << 20) else {
                throw NNUNetError(
                    .limitExceeded,
                    "resampling \(shape) voxels from spacing \(spacing) to \(target) mm gives \(value) voxels on axis \(axis)"
                )
            }
            return Int(value)
        }
    }

    static func checkCount(_ shape: [Int], channels: Int, limit: Int) throws(NNUNetError) {
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? .max : $0 * $1 }
        guard count <= limit / max(1, channels) else {
            throw NNUNetError(
                .limitExceeded, "preprocessed shape \(shape) × \(channels) channel(s) exceeds \(limit) voxels")
        }
    }

    /// `[s0, s1, s2]` permuted so that output axis k is input axis `permutation[k]`.
    public static func transposed<T: Sendable>(_ array: NDArray<T>, _ permutation: [Int]) -> NDArray<T> {
        if permutation == [0, 1, 2] { return array }
        let shape = array.shape
        let strides = [shape[1] * shape[2], shape[2], 1]
        let newShape = permutation.map { shape[$0] }
        let step = permutation.map { strides[$0] }
        var elements: [T] = []
        elements.reserveCapacity(array.count)
        for a in 0..<newShape[0] {
            for b in 0..<newShape[1] {
                let base = a * step[0] + b * step[1]
                for c in 0..<newShape[2] { elements.append(array.elements[base + c * step[2]]) }
            }
        }
        return NDArray(uncheckedShape: newShape, elements: elements)
    }

    /// nnU-Net's separate-z decision (`determine_do_sep_z_and_axis`) as an array axis (0 = first transposed axis).
    public static func separateAxis(
        current: [Double], new: [Double], forced: Bool?, threshold: Double = 3
    ) -> Int? {
        func lowResolutionAxis(_ spacing: [Double]) -> Int? {
            let largest = spacing.max() ?? 0
            let axes = spacing.indices.filter { largest / spacing[$0] == 1 }
            return axes.count == 1 ? axes[0] : nil
        }
        func anisotropic(_ spacing: [Double]) -> Bool { (spacing.max() ?? 1) / (spacing.min() ?? 1) > threshold }
        if let forced { return forced ? lowResolutionAxis(current) : nil }
        if anisotropic(current) { return lowResolutionAxis(current) }
        if anisotropic(new) { return lowResolutionAxis(new) }
        return nil
    }

    /// `resample_data_or_seg_to_shape` of one `[s0, s1, s2]` channel, float32 out (computed in Double); with
    /// `window` (ranges of the new grid), that part alone, each voxel equal to the whole output's (linear and
    /// nearest resamplings only).
    public static func resample(
        _ array: NDArray<Float>, to newShape: [Int], from current: [Double], to new: [Double],
        resampling: ConfigurationPlan.Resampling, window: [Range<Int>]? = nil
    ) throws(NNUNetError) -> NDArray<Float> {
        if array.shape == newShape, window == nil { return array }
        let options = try resampleOptions(resampling, current: current, new: new)
        do {
            return try volume(array, spacing: current).resampled(
                toSize: xyz(newShape), targetSpacing: SIMD3(new[2], new[1], new[0]), options: options,
                window: window.map { IndexBox(lower: xyz($0.map(\.lowerBound)), upper: xyz($0.map(\.upperBound))) }
            ).voxels
        } catch {
            throw NNUNetError(.invalidInput, "resampling \(array.shape) to \(newShape): \(error)", underlying: error)
        }
    }

    /// The ranges of the new grid of `resample(...)` whose voxels read any voxel of `box` (ranges of the
    /// `shape` grid): every voxel outside them is a weighted sum of voxels outside `box`. nil when none does.
    public static func resampledFootprint(
        of box: [Range<Int>], shape: [Int], to newShape: [Int], from current: [Double], to new: [Double],
        resampling: ConfigurationPlan.Resampling
    ) throws(NNUNetError) -> [Range<Int>]? {
        let options = try resampleOptions(resampling, current: current, new: new)
        let source = IndexBox(lower: xyz(box.map(\.lowerBound)), upper: xyz(box.map(\.upperBound)))
        do {
            let geometry = try VolumeGeometry(spacing: SIMD3(current[2], current[1], current[0]))
            let footprint = try geometry.resampledFootprint(
                of: source, size: xyz(shape), toSize: xyz(newShape), targetSpacing: SIMD3(new[2], new[1], new[0]),
                options: options)
            return footprint.map { [$0.lower.z..<$0.upper.z, $0.lower.y..<$0.upper.y, $0.lower.x..<$0.upper.x] }
        } catch {
            throw NNUNetError(
                .invalidInput, "footprint of \(box) resampled to \(newShape): \(error)", underlying: error)
        }
    }

    /// A `[s0, s1, s2]` array as a volume (x = s2) with `spacing` in array order.
    static func volume(_ array: NDArray<Float>, spacing: [Double]) throws -> Volume<Float> {
        try Volume(voxels: array, geometry: VolumeGeometry(spacing: SIMD3(spacing[2], spacing[1], spacing[0])))
    }

    /// Array-order `[s0, s1, s2]` values as (x, y, z).
    static func xyz(_ values: [Int]) -> SIMD3<Int> { SIMD3(values[2], values[1], values[0]) }

    /// VolumeCore options for a plans resampling entry (the separate axis decided here, as nnU-Net does).
    static func resampleOptions(
        _ resampling: ConfigurationPlan.Resampling, current: [Double], new: [Double]
    ) throws(NNUNetError) -> ResampleOptions {
        guard resampling.function == "resample_data_or_seg_to_shape", !resampling.isSegmentation else {
            throw NNUNetError(
                .unsupportedArchitecture,
                "resampling function \(resampling.function) (is_seg \(resampling.isSegmentation)) is not implemented")
        }
        let interpolation: Interpolation
        switch resampling.order {
        case 0: interpolation = .nearest
        case 1: interpolation = .linear
        case 3: interpolation = .cubicBSpline
        default:
            throw NNUNetError(
                .unsupportedArchitecture, "resampling order \(resampling.order) is not implemented (0, 1, 3)")
        }
        guard resampling.orderZ == 0 else {
            throw NNUNetError(
                .unsupportedArchitecture, "resampling order_z \(resampling.orderZ) is not implemented (0)")
        }
        let axis = separateAxis(current: current, new: new, forced: resampling.forceSeparateZ)
        return ResampleOptions(
            interpolation: interpolation, separateZ: axis.map { .axis(2 - $0) } ?? .never, clipToInputRange: true)
    }
}
