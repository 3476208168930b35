// Design: the cascade input of nnU-Net (a configuration with `previous_stage`, e.g. 3d_cascade_fullres after
// 3d_lowres): the previous stage's segmentation, on the input's grid, goes through the same preprocessing as
// the image and is appended to the network input as one-hot channels of the dataset's foreground labels
// (`DefaultPreprocessor.run_case_npy` with a seg, then `convert_labelmap_to_one_hot` + `np.vstack` in the
// data iterators). Steps, as nnunetv2 2.8 does them:
//   transpose_forward → crop to the image's non-zero box → voxels that are 0 and outside the (hole-filled)
//   non-zero mask become −1 (`crop_to_nonzero`'s nonzero_label) → `resampling_fn_seg` (`resize_segmentation`:
//   for each value present, in ascending order, the 0/1 indicator is resampled with the configuration's order
//   (1 by default, in float64) and every voxel where it is ≥ 0.5 takes that value; separate-z as for the image,
//   nearest along the separate axis: order_z 0) → one-hot of the foreground labels (−1 and 0 give no channel).
// Resampling the indicator with separate z (linear in-plane, nearest across) and thresholding equals nnU-Net's
// per-slice `resize_segmentation` followed by nearest-neighbour `map_coordinates` of the labels, because the
// nearest step copies whole slices.
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

    /// nnU-Net's `resample_data_or_seg_to_shape(..., is_seg=True)`: per value present (ascending), the
    /// indicator resampled with the entry's order and separate-z rule, then `≥ 0.5` takes the value.
    public static func resampleSegmentation(
        _ labels: NDArray<Int16>, to newShape: [Int], from current: [Double], to new: [Double],
        resampling: ConfigurationPlan.Resampling
    ) throws(NNUNetError) -> NDArray<Int16> {
        if labels.shape == newShape { return labels }
        var indicatorResampling = resampling
        indicatorResampling.isSegmentation = false
        var output = [Int16](repeating: 0, count: newShape.reduce(1, *))
        for value in Set(labels.elements).sorted() {
            let indicator = NDArray(
                uncheckedShape: labels.shape, elements: labels.elements.map { $0 == value ? Float(1) : 0 })
            let resampled = try resample(
                indicator, to: newShape, from: current, to: new, resampling: indicatorResampling)
            for (index, weight) in resampled.elements.enumerated() where weight >= 0.5 { output[index] = value }
        }
        return NDArray(uncheckedShape: newShape, elements: output)
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
