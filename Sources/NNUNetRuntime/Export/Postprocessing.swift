// Design: nnU-Net's optional post-processing (nnunetv2/postprocessing/remove_connected_components.py), which
// `nnUNetv2_find_best_configuration` writes into a results folder (`postprocessing.pkl` and
// `postprocessing.json`) and `nnUNetv2_apply_postprocessing` applies to predicted label maps. Its only step,
// `remove_all_but_largest_component_from_segmentation(seg, labels_or_regions)`: the union of the given labels
// (a label, a region tuple or a list of them: all mean the union of the label values they hold) is labelled
// into connected components with skimage's default full connectivity (26: the label maps are 3-D, also
// for 2-D models; `acvl_utils` `label_with_component_sizes(connectivity=None)`), every component of the largest size is kept (ties: all of
// them) and the rest set to background; the steps run in order. Organa reads the JSON file (the pickle would
// name Python functions); a function other than this one is an error, not skipped.
public import ArrayCore
import Foundation
import LabelOps
public import VolumeCore

/// nnU-Net's post-processing of a results folder.
public struct NNUNetPostprocessing: Sendable, Equatable {
    /// The label sets of each keep-the-largest-component step, in order.
    public var steps: [Set<UInt8>]

    public init(steps: [Set<UInt8>]) {
        self.steps = steps
    }

    /// The file nnunetv2 writes next to `postprocessing.pkl`.
    public static let fileName = "postprocessing.json"

    /// Reads `postprocessing.json`.
    /// - Throws: `NNUNetError.invalidJSON` for a malformed file or a label outside 1...255,
    ///   `.unsupportedArchitecture` for a function other than nnU-Net's largest-component filter.
    public static func load(_ path: String) throws(NNUNetError) -> NNUNetPostprocessing {
        let data = try readFile(path)
        do {
            return try NNUNetPostprocessing(json: data)
        } catch {
            throw error.at(path)
        }
    }

    /// Decodes the content of a `postprocessing.json`.
    public init(json data: Data) throws(NNUNetError) {
        let root = JSONField(try JSONValue.parse(data, what: Self.fileName), path: Self.fileName)
        let functions = try root["postprocessing_fns"].array()
        let arguments = try root["postprocessing_kwargs"].array()
        guard functions.count == arguments.count else {
            throw NNUNetError(
                .invalidJSON, "\(Self.fileName) lists \(functions.count) functions but \(arguments.count) kwargs")
        }
        var steps: [Set<UInt8>] = []
        for (function, argument) in zip(functions, arguments) {
            let name = try function.string()
            guard name == "remove_all_but_largest_component_from_segmentation" else {
                throw NNUNetError(.unsupportedArchitecture, "post-processing function \(name) is not implemented")
            }
            steps.append(try Self.labels(argument["labels_or_regions"]))
        }
        self.steps = steps
    }

    /// Every label value in a label, a region (array) or a list of them.
    private static func labels(_ field: JSONField) throws(NNUNetError) -> Set<UInt8> {
        if case .array = field.value {
            var union = Set<UInt8>()
            for item in try field.array() { union.formUnion(try labels(item)) }
            return union
        }
        let value = try field.int()
        guard (1...255).contains(value) else {
            throw NNUNetError(.invalidJSON, "\(field.path) is label \(value); expected 1...255")
        }
        return [UInt8(value)]
    }

    /// The label map with every step applied.
    /// - Throws: `NNUNetError.limitExceeded` for a grid too large for 32-bit component ids.
    public func apply(to labels: Volume<UInt8>) throws(NNUNetError) -> Volume<UInt8> {
        var result = labels
        for step in steps { try Self.keepLargest(step, in: &result) }
        return result
    }

    /// Sets to 0 every voxel of `values` outside the largest connected component(s) of their union.
    static func keepLargest(_ values: Set<UInt8>, in labels: inout Volume<UInt8>) throws(NNUNetError) {
        let mask = labels.map { values.contains($0) ? UInt8(1) : 0 }
        let components: ComponentLabeling
        do {
            components = try connectedComponents(mask, connectivity: .twentySix)
        } catch {
            throw NNUNetError(.limitExceeded, "post-processing: \(error.message)", underlying: error)
        }
        guard components.count > 1 else { return }
        var sizes = [Int](repeating: 0, count: components.count + 1)
        for id in components.labels.voxels.elements { sizes[Int(id)] += 1 }
        let largest = sizes.dropFirst().max() ?? 0
        let ids = components.labels.voxels.elements
        labels.voxels.elements.withUnsafeMutableBufferPointer { voxels in
            for index in voxels.indices where ids[index] != 0 && sizes[Int(ids[index])] != largest {
                voxels[index] = 0
            }
        }
    }
}
