// Design: the cascade input of nnU-Net (a configuration with `previous_stage`, e.g. 3d_cascade_fullres after
// 3d_lowres): the previous stage's segmentation, on the input's grid, goes through the same preprocessing as
// the image and is appended to the network input as one-hot channels of the dataset's foreground labels
// (`DefaultPreprocessor.run_case_npy` with a seg, then `convert_labelmap_to_one_hot` + `np.vstack` in the
// data iterators). Steps, as nnunetv2 2.8 does them:
//   transpose_forward → crop to the image's non-zero box → voxels that are 0 and outside the (hole-filled)
//   non-zero mask become −1 (`crop_to_nonzero`'s nonzero_label) → `resampling_fn_seg` (batchgenerators 0.25's
//   `resize_segmentation`: each value's 0/1 indicator resampled with the configuration's order, 1 by default,
//   in float64; per voxel the value with the highest score wins, the lowest on a tie, unless the
//   nearest-neighbour sample's value shares the top score; separate-z as for the image, nearest along the
//   separate axis: order_z 0) → one-hot of the foreground labels (−1 and 0 give no channel).
// With separate z this equals nnU-Net's per-slice `resize_segmentation` followed by nearest-neighbour
// `map_coordinates` of the labels, because the nearest step copies whole slices.
// Limits: labels must be dataset labels (another value is an error, not silently dropped as numpy would).
public import ArrayCore
public import VolumeCore

/// The segmentation a cascade stage's previous stage produced for the case, on the image's grid.
public struct PreviousStageSegmentation: Sendable {
    public var segmentation: Volume<UInt8>
    /// The dataset's foreground labels, in channel order (`LabelManager.foreground_labels`).
    public var foregroundLabels: [Int]

    public init(segmentation: Volume<UInt8>, foregroundLabels: [Int]) {
        self.segmentation = segmentation
        self.foregroundLabels = foregroundLabels
    }
}

extension Preprocessor {
    /// A cascade configuration needs the previous stage's segmentation, any other refuses one; its labels must
    /// be background or foreground labels of the dataset.
    func checkPreviousStage(_ previousStage: PreviousStageSegmentation?) throws(NNUNetError) {
        switch (configuration.previousStage, previousStage) {
        case (nil, nil): return
        case (let previous?, nil):
            throw NNUNetError(
                .invalidInput,
                "configuration \(configuration.name) is a cascade stage: it needs the segmentation of its previous stage \(previous)"
            )
        case (nil, _?):
            throw NNUNetError(
                .invalidInput,
                "configuration \(configuration.name) is not a cascade stage: it takes no previous-stage segmentation")
        case (_, let given?):
            let allowed = Set(given.foregroundLabels.map(UInt8.init(clamping:)) + [0])
            if let unknown = Set(given.segmentation.voxels.elements).subtracting(allowed).min() {
                throw NNUNetError(
                    .invalidInput,
                    "the previous stage's segmentation has label \(unknown), which the dataset does not define (labels \(allowed.sorted()))"
                )
            }
        }
    }

    /// The previous stage's label map cropped and resampled as the image was (transposed axes; −1 outside the
    /// image's non-zero mask where the label was 0).
    func previousStageLabels(
        _ segmentation: Volume<UInt8>, imageSize: SIMD3<Int>, mask: [Bool], box: [Range<Int>], newShape: [Int],
        spacing: [Double], target: [Double]
    ) throws(NNUNetError) -> NDArray<Int16> {
        guard segmentation.size == imageSize else {
            throw NNUNetError(
                .invalidInput,
                "the previous stage's segmentation has size \(segmentation.size), the image \(imageSize)")
        }
        let transposed = Self.transposed(segmentation.voxels, plans.transposeForward)
        let shape = transposed.shape
        let filled = CropToNonzero.cropped(CropToNonzero.filledHoles(mask, shape: shape), shape: shape, to: box)
        var labels = CropToNonzero.cropped(transposed, to: box).elements.map { Int16($0) }
        for index in labels.indices where labels[index] == 0 && !filled[index] { labels[index] = -1 }
        return try Self.resampleSegmentation(
            NDArray(uncheckedShape: box.map(\.count), elements: labels), to: newShape, from: spacing, to: target,
            resampling: configuration.resamplingSegmentation)
    }

    /// nnU-Net's `resample_data_or_seg_to_shape(..., is_seg=True)` (batchgenerators' `resize_segmentation`):
    /// each value's indicator resampled with the entry's order and separate-z rule, in float64; a voxel takes
    /// the value with the highest score, the lowest such value on a tie, unless the nearest-neighbour sample's
    /// value shares the top score (`seg_tiebreak='nearest'`).
    public static func resampleSegmentation(
        _ labels: NDArray<Int16>, to newShape: [Int], from current: [Double], to new: [Double],
        resampling: ConfigurationPlan.Resampling
    ) throws(NNUNetError) -> NDArray<Int16> {
        if labels.shape == newShape { return labels }
        let values = Set(labels.elements).sorted()
        let count = newShape.reduce(1, *)
        guard values.count > 1 else {
            return NDArray(uncheckedShape: newShape, elements: [Int16](repeating: values.first ?? 0, count: count))
        }
        var indicatorResampling = resampling
        indicatorResampling.isSegmentation = false
        let options = try resampleOptions(indicatorResampling, current: current, new: new)
        let nearest = try labelResampling(labels, spacing: current, to: newShape) {
            (volume, size) throws(VolumeError) in
            try volume.resampledNearest(toSize: size).voxels.elements
        }
        var best = [Double](repeating: 0, count: count)
        var winner = [Int16](repeating: values[0], count: count)
        var nearestOnTop = [Bool](repeating: false, count: count)
        for (rank, value) in values.enumerated() {
            let indicator = labels.map { $0 == value ? Int16(1) : 0 }
            let scores = try labelResampling(indicator, spacing: current, to: newShape) {
                (volume, size) throws(VolumeError) in
                try volume.resampledInDouble(
                    toSize: size, targetSpacing: SIMD3(new[2], new[1], new[0]), options: options
                ).voxels.elements
            }
            for index in 0..<count {
                let score = scores[index], isNearest = nearest[index] == value
                if rank == 0 || score > best[index] {
                    best[index] = score
                    winner[index] = value
                    nearestOnTop[index] = isNearest && score > 0
                } else if score == best[index], score > 0, isNearest {
                    nearestOnTop[index] = true
                }
            }
        }
        let output = (0..<count).map { nearestOnTop[$0] ? nearest[$0] : winner[$0] }
        return NDArray(uncheckedShape: newShape, elements: output)
    }

    /// Runs a VolumeCore resampling of a `[s0, s1, s2]` Int16 array of `spacing` (array order) to `newShape`,
    /// mapping its error to one naming the shapes.
    private static func labelResampling<T>(
        _ array: NDArray<Int16>, spacing: [Double], to newShape: [Int],
        _ body: (Volume<Int16>, SIMD3<Int>) throws(VolumeError) -> [T]
    ) throws(NNUNetError) -> [T] {
        do {
            let geometry = try VolumeGeometry(spacing: SIMD3(spacing[2], spacing[1], spacing[0]))
            return try body(Volume(voxels: array, geometry: geometry), xyz(newShape))
        } catch {
            throw NNUNetError(
                .invalidInput, "resampling a label map \(array.shape) to \(newShape): \(error)", underlying: error)
        }
    }

    /// One float32 channel per foreground label (1 where the voxel has that label), `[F, s0, s1, s2]` flattened.
    public static func oneHot(_ labels: NDArray<Int16>, foregroundLabels: [Int]) -> [Float] {
        var channels = [Float](repeating: 0, count: foregroundLabels.count * labels.count)
        let position = Dictionary(uniqueKeysWithValues: foregroundLabels.enumerated().map { (Int16($1), $0) })
        for (index, label) in labels.elements.enumerated() {
            if let channel = position[label] { channels[channel * labels.count + index] = 1 }
        }
        return channels
    }
}
