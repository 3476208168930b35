import Foundation

/// The fields of an nnU-Net `dataset.json` that inference uses (nnunetv2 `LabelManager`, research §1.2).
public struct DatasetDescription: Sendable, Equatable {
    /// One output label: its name in dataset.json and the label value(s) it covers (more than one for regions).
    public struct Label: Sendable, Equatable {
        public var name: String
        public var values: [Int]
    }

    /// Input channel names in channel order (`channel_names`, legacy `modality`).
    public var channelNames: [String]
    /// Labels as listed, ordered by their first value; `ignore` is kept out of this list.
    public var labels: [Label]
    /// The `ignore` label's value, when the dataset defines one.
    public var ignoreLabel: Int?
    /// For region-based models: the label value written for each output channel.
    public var regionsClassOrder: [Int]?
    /// File extension of images, e.g. `.nii.gz`.
    public var fileEnding: String
    /// `name`, when present.
    public var name: String?

    /// Number of input channels of the network.
    public var inputChannelCount: Int { channelNames.count }
    /// True when some label lists more than one value (region-based training, sigmoid outputs).
    public var isRegionBased: Bool { labels.contains { $0.values.count > 1 } }
    /// Sorted distinct label values (background included), as nnunetv2's `all_labels`.
    public var allLabels: [Int] { Array(Set(labels.flatMap(\.values))).sorted() }
    /// Labels without background.
    public var foregroundLabels: [Int] { allLabels.filter { $0 != 0 } }
    /// Number of network output channels: all labels, or the non-background regions.
    public var segmentationHeadCount: Int {
        isRegionBased ? labels.filter { $0.values != [0] }.count : allLabels.count
    }

    /// Reads `dataset.json` from a file.
    public static func load(_ path: String) throws(NNUNetError) -> DatasetDescription {
        let data = try readFile(path)
        do {
            return try DatasetDescription(json: data)
        } catch {
            throw error.at(path)
        }
    }

    /// Decodes the content of a `dataset.json`.
    public init(json data: Data) throws(NNUNetError) {
        let root = JSONField(try JSONValue.parse(data, what: "dataset.json"), path: "dataset.json")
        let modern = try root.optional("channel_names")
        let legacy = try root.optional("modality")
        guard let channels = modern ?? legacy else {
            throw NNUNetError(.invalidJSON, "dataset.json has neither \"channel_names\" nor \"modality\"")
        }
        channelNames = try Self.indexedNames(channels)
        var labels: [Label] = []
        var ignore: Int?
        for (name, field) in try root["labels"].object() {
            let values: [Int]
            if case .array = field.value { values = try field.intArray() } else { values = [try field.int()] }
            guard !values.isEmpty, values.allSatisfy({ $0 >= 0 }) else {
                throw NNUNetError(.invalidJSON, "\(field.path) must be a non-negative label value or list of them")
            }
            if name == "ignore" {
                guard values.count == 1 else {
                    throw NNUNetError(.invalidJSON, "\(field.path): the ignore label must be a single value")
                }
                ignore = values[0]
            } else {
                labels.append(Label(name: name, values: values))
            }
        }
        self.labels = labels.sorted { ($0.values.first!, $0.name) < ($1.values.first!, $1.name) }
        ignoreLabel = ignore
        regionsClassOrder = try root.optional("regions_class_order")?.intArray()
        fileEnding = try root.optional("file_ending")?.string() ?? ".nii.gz"
        name = try root.optional("name")?.string()
        guard !channelNames.isEmpty else {
            throw NNUNetError(.invalidJSON, "dataset.json.channel_names is empty")
        }
        if isRegionBased, regionsClassOrder == nil {
            throw NNUNetError(
                .invalidJSON, "dataset.json defines region labels but no \"regions_class_order\"")
        }
    }

    /// `{"0": "CT", "1": "T2"}` → ["CT", "T2"], checking that the keys are exactly 0..<n.
    private static func indexedNames(_ field: JSONField) throws(NNUNetError) -> [String] {
        var byIndex: [Int: String] = [:]
        for (key, value) in try field.object() {
            guard let index = Int(key), index >= 0 else {
                throw NNUNetError(.invalidJSON, "\(field.path) has a non-integer key \"\(key)\"")
            }
            byIndex[index] = try value.string()
        }
        return try (0..<byIndex.count).map { (index) throws(NNUNetError) -> String in
            guard let name = byIndex[index] else {
                throw NNUNetError(.invalidJSON, "\(field.path) is missing channel \"\(index)\"")
            }
            return name
        }
    }
}

/// Reads a whole (small) file, mapping failures to `NNUNetError.io`.
func readFile(_ path: String) throws(NNUNetError) -> Data {
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw NNUNetError(.io, "cannot read \(path): \(error.localizedDescription)", path: path)
    }
}
