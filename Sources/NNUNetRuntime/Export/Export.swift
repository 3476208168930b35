public import ArrayCore
// Design: nnU-Net's export (`convert_predicted_logits_to_segmentation_with_correct_shape`,
// nnunetv2/inference/export_prediction.py; research §5), channel by channel to keep memory low:
// 1. each class's fp16 logits are resampled to the cropped input grid with `resampling_fn_probabilities`
//    (order 1, separate-z by nnU-Net's rule from the configuration spacing to the input spacing), computed in
//    Double and stored back as fp16, as nnU-Net's float64 → fp16 array does (VolumeCore rounds to float32 first:
//    a double rounding that can move a value by one fp16 ulp in rare ties; documented in the parity tests);
// 2. label models: a running argmax over the fp16 values (strictly greater wins, so the first maximal class is
//    kept, as numpy's argmax), or, with probabilities, softmax in float32 and the argmax of the probabilities;
//    region models: sigmoid in float32, `seg[p_i > 0.5] = regions_class_order[i]` in order;
// 3. the crop is pasted into a zero volume of the transposed input shape (probabilities: background 1 outside
//    for label models), transposed back, and given the input's geometry.
// Label maps (no probabilities, no regions) are computed only inside the footprint of the box where some
// class beats background on the network's grid: outside it the argmax is provably background (see
// `argmaxLabels`), so a model whose structures fill a small part of a large CT exports in a fraction of the
// time, with the same labels voxel for voxel.
// Memory: the whole-volume float64 copy nnU-Net makes is never built; without probabilities the resampled
// logits of one class on the window, the running maximum (fp16) and the label map are alive at a time.
import Foundation
public import VolumeCore

/// What export produces for one case.
public struct ExportedPrediction: Sendable {
    /// Label map on the input grid with the input's geometry.
    public var segmentation: Volume<UInt8>
    /// Per class (or region) probabilities `[K, z, y, x]` on the input grid, when requested.
    public var probabilities: NDArray<Float>?
}

/// Converts aggregated fp16 logits back to the input grid.
public struct Exporter: Sendable {
    public let plans: Plans
    public let configuration: ConfigurationPlan
    public let dataset: DatasetDescription

    public init(plans: Plans, configuration: ConfigurationPlan, dataset: DatasetDescription) {
        self.plans = plans
        self.configuration = configuration
        self.dataset = dataset
    }

    /// Exports `logits` (`[K, s0, s1, s2]`, the preprocessed grid) for a case preprocessed with `properties`.
    /// - Throws: `NNUNetError.invalidInput` when the logits do not fit the case or the model's labels,
    ///   `.unsupportedArchitecture` for a resampling this runtime does not implement.
    public func export(
        _ logits: NDArray<Float16>, properties: CaseProperties, probabilities wantProbabilities: Bool = false
    ) throws(NNUNetError) -> ExportedPrediction {
        let classCount = logits.shape.first ?? 0
        guard logits.rank == 4, classCount == dataset.segmentationHeadCount else {
            throw NNUNetError(
                .invalidInput,
                "logits \(logits.shape) should be [\(dataset.segmentationHeadCount), s0, s1, s2] for this model")
        }
        guard (dataset.regionsClassOrder ?? dataset.allLabels).allSatisfy({ $0 <= 255 }) else {
            throw NNUNetError(.unsupportedArchitecture, "label values above 255 need a uint16 label map")
        }
        let regions = dataset.isRegionBased
        let cropShape = properties.shapeAfterCropping
        guard wantProbabilities || regions else {
            let labels = try argmaxLabels(logits, properties: properties)
            return try uncropped(labels, probabilities: nil, classCount: classCount, properties: properties)
        }
        let cropVoxels = cropShape.reduce(1, *)
        let resampledAll = try (0..<classCount).map { (k) throws(NNUNetError) in
            try resampledChannel(logits, k, properties: properties, window: nil).elements.map { Float16($0) }
        }
        let values = regions ? Self.sigmoid(resampledAll) : Self.softmax(resampledAll)
        let labels = regions ? regionLabels(values, voxels: cropVoxels) : Self.argmax(values, voxels: cropVoxels)
        return try uncropped(
            labels, probabilities: wantProbabilities ? values : nil, classCount: classCount, properties: properties)
    }

    /// Class `k` of `logits` resampled to the cropped input grid (only `window` of it, when given).
    func resampledChannel(
        _ logits: NDArray<Float16>, _ k: Int, properties: CaseProperties, window: [Range<Int>]?
    ) throws(NNUNetError) -> NDArray<Float> {
        let shape = Array(logits.shape.dropFirst())
        let voxels = shape.reduce(1, *)
        let channel = NDArray(
            uncheckedShape: shape, elements: logits.elements[(k * voxels)..<((k + 1) * voxels)].map { Float($0) })
        return try Preprocessor.resample(
            channel, to: properties.shapeAfterCropping, from: properties.targetSpacing,
            to: properties.transposedSpacing, resampling: configuration.resamplingProbabilities, window: window)
    }

    /// The label map on the cropped input grid: a running argmax over the resampled fp16 logits (strictly
    /// greater wins), computed only where it can differ from background. A coarse voxel whose first maximal
    /// class is background has every class ≤ background; linear and nearest resampling are sums with
    /// non-negative weights, and rounded sums and products are monotone, so an output voxel reading only such
    /// voxels keeps every class ≤ background (NaN compares false and keeps background too). Outside the
    /// footprint of the coarse foreground's box the label is therefore 0 without computing it; inside, every
    /// value is the whole grid's (windowed resampling is voxel for voxel the same). Cubic resampling reads
    /// whole lines: then the window is the whole grid.
    func argmaxLabels(_ logits: NDArray<Float16>, properties: CaseProperties) throws(NNUNetError) -> [UInt8] {
        let cropShape = properties.shapeAfterCropping
        var labels = [UInt8](repeating: 0, count: cropShape.reduce(1, *))
        let coarseShape = Array(logits.shape.dropFirst())
        guard let foreground = Self.foregroundBox(logits) else { return labels }
        let window: [Range<Int>]
        if configuration.resamplingProbabilities.order == 3 {
            window = cropShape.map { 0..<$0 }
        } else {
            guard
                let footprint = try Preprocessor.resampledFootprint(
                    of: foreground, shape: coarseShape, to: cropShape, from: properties.targetSpacing,
                    to: properties.transposedSpacing, resampling: configuration.resamplingProbabilities)
            else { return labels }
            window = footprint
        }
        let windowVoxels = window.map(\.count).reduce(1, *)
        var maximum = [Float16]()
        var windowLabels = [UInt8](repeating: 0, count: windowVoxels)
        for k in 0..<(logits.shape.first ?? 0) {
            let resampled = try resampledChannel(logits, k, properties: properties, window: window).elements
            if k == 0 {
                maximum = resampled.map { Float16($0) }
                continue
            }
            for v in 0..<windowVoxels {
                let value = Float16(resampled[v])
                if value > maximum[v] {
                    maximum[v] = value
                    windowLabels[v] = UInt8(k)
                }
            }
        }
        let windowArray = NDArray(uncheckedShape: window.map(\.count), elements: windowLabels)
        labels = Self.inserted(windowArray, into: cropShape, at: window, fill: 0).elements
        return labels
    }

    /// Box (ranges per axis) of the coarse voxels of `[K, s0, s1, s2]` logits where some class beats
    /// background (the first maximal class is not 0); nil when there is none.
    static func foregroundBox(_ logits: NDArray<Float16>) -> [Range<Int>]? {
        let shape = Array(logits.shape.dropFirst())
        let voxels = shape.reduce(1, *)
        let classes = logits.shape.first ?? 0
        var low = shape, high = [-1, -1, -1]
        logits.elements.withUnsafeBufferPointer { values in
            for v in 0..<voxels {
                let background = values[v]
                guard (1..<max(1, classes)).contains(where: { values[$0 * voxels + v] > background }) else { continue }
                let index = [v / (shape[1] * shape[2]), (v / shape[2]) % shape[1], v % shape[2]]
                for axis in 0..<3 {
                    low[axis] = min(low[axis], index[axis])
                    high[axis] = max(high[axis], index[axis])
                }
            }
        }
        guard high[0] >= 0 else { return nil }
        return (0..<3).map { low[$0]..<(high[$0] + 1) }
    }

    /// Softmax over classes in float32 (per voxel: exp(x − max) / Σ).
    static func softmax(_ logits: [[Float16]]) -> [Float] {
        let classes = logits.count, voxels = logits.first?.count ?? 0
        var output = [Float](repeating: 0, count: classes * voxels)
        var e = [Float](repeating: 0, count: classes)
        for v in 0..<voxels {
            var largest = -Float.infinity
            for k in 0..<classes { largest = max(largest, Float(logits[k][v])) }
            var sum: Float = 0
            for k in 0..<classes {
                e[k] = Foundation.exp(Float(logits[k][v]) - largest)
                sum += e[k]
            }
            for k in 0..<classes { output[k * voxels + v] = e[k] / sum }
        }
        return output
    }

    /// Sigmoid per region in float32.
    static func sigmoid(_ logits: [[Float16]]) -> [Float] {
        logits.flatMap { channel in channel.map { 1 / (1 + Foundation.exp(-Float($0))) } }
    }

    /// First maximal class per voxel of `[K, V]` values.
    static func argmax(_ values: [Float], voxels: Int) -> [UInt8] {
        let classes = values.count / max(1, voxels)
        var labels = [UInt8](repeating: 0, count: voxels)
        for v in 0..<voxels {
            var best = values[v]
            for k in 1..<max(1, classes) where values[k * voxels + v] > best {
                best = values[k * voxels + v]
                labels[v] = UInt8(k)
            }
        }
        return labels
    }

    /// `seg[p_i > 0.5] = regions_class_order[i]`, later regions overwriting earlier ones.
    func regionLabels(_ values: [Float], voxels: Int) -> [UInt8] {
        var labels = [UInt8](repeating: 0, count: voxels)
        for (i, label) in (dataset.regionsClassOrder ?? []).enumerated() where (i + 1) * voxels <= values.count {
            for v in 0..<voxels where values[i * voxels + v] > 0.5 { labels[v] = UInt8(label) }
        }
        return labels
    }

    /// Crop reverted, transpose reverted, input geometry attached.
    func uncropped(
        _ labels: [UInt8], probabilities: [Float]?, classCount: Int, properties: CaseProperties
    ) throws(NNUNetError) -> ExportedPrediction {
        let full = properties.shapeBeforeCropping, box = properties.boundingBox
        let backward = plans.transposeBackward
        let crop = NDArray(uncheckedShape: properties.shapeAfterCropping, elements: labels)
        let segmentation = Preprocessor.transposed(Self.inserted(crop, into: full, at: box, fill: 0), backward)
        var probabilityArray: NDArray<Float>?
        if let probabilities {
            let cropVoxels = labels.count
            var channels: [Float] = []
            channels.reserveCapacity(classCount * full.reduce(1, *))
            for k in 0..<classCount {
                let part = NDArray(
                    uncheckedShape: properties.shapeAfterCropping,
                    elements: Array(probabilities[(k * cropVoxels)..<((k + 1) * cropVoxels)]))
                let outside: Float = (k == 0 && !dataset.isRegionBased) ? 1 : 0
                channels +=
                    Preprocessor.transposed(Self.inserted(part, into: full, at: box, fill: outside), backward)
                    .elements
            }
            probabilityArray = NDArray(uncheckedShape: [classCount] + segmentation.shape, elements: channels)
        }
        do {
            return ExportedPrediction(
                segmentation: try Volume(voxels: segmentation, geometry: properties.geometry),
                probabilities: probabilityArray)
        } catch {
            throw NNUNetError(.invalidInput, "segmentation grid: \(error)", underlying: error)
        }
    }

    /// `crop` pasted at `box` into an array of `shape` filled with `fill` (`insert_crop_into_image`).
    static func inserted<T: Sendable>(
        _ crop: NDArray<T>, into shape: [Int], at box: [Range<Int>], fill: T
    ) -> NDArray<T> {
        if crop.shape == shape { return crop }
        var elements = [T](repeating: fill, count: shape.reduce(1, *))
        let width = box[2].count
        for (i, a) in box[0].enumerated() {
            for (j, b) in box[1].enumerated() {
                let source = (i * box[1].count + j) * width
                let target = (a * shape[1] + b) * shape[2] + box[2].lowerBound
                for e in 0..<width { elements[target + e] = crop.elements[source + e] }
            }
        }
        return NDArray(uncheckedShape: shape, elements: elements)
    }
}
