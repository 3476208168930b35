import Foundation

/// What nnU-Net v2 raw dataset to write from phantoms.
///
/// The folder is `Dataset{id:03d}_{name}/` with `imagesTr/{case}_0000.nii.gz`, `labelsTr/{case}.nii.gz` and
/// `dataset.json`, exactly as `nnUNetv2_plan_and_preprocess` expects it. Case n (from 0) is the phantom of
/// seed `firstSeed + n` on the grid of `phantom`.
public struct NNUNetDatasetOptions: Sendable, Hashable {
    /// nnU-Net dataset id, 1…999.
    public var id: Int
    /// Dataset name: letters, digits, `-` and `_`.
    public var name: String
    /// Number of training cases, 1…10000.
    public var caseCount: Int
    /// Structures to keep, in order: `labels[n]` becomes label n + 1; every other structure becomes background.
    public var labels: [PhantomLabel]
    /// Grid, noise and tumour options of every case (its seed is replaced by `firstSeed + n`).
    public var phantom: PhantomOptions
    /// Seed of case 0.
    public var firstSeed: UInt64
    /// Case identifiers are `{casePrefix}_{n:03d}`.
    public var casePrefix: String

    public init(
        id: Int, name: String, caseCount: Int, labels: [PhantomLabel] = PhantomLabel.structures,
        phantom: PhantomOptions = PhantomOptions(), firstSeed: UInt64 = 1, casePrefix: String = "phantom"
    ) {
        self.id = id
        self.name = name
        self.caseCount = caseCount
        self.labels = labels
        self.phantom = phantom
        self.firstSeed = firstSeed
        self.casePrefix = casePrefix
    }

    /// `Dataset{id:03d}_{name}`.
    public var folderName: String { "Dataset\(String(format: "%03d", id))_\(name)" }

    /// Identifier of case `index`.
    public func caseIdentifier(_ index: Int) -> String { "\(casePrefix)_\(String(format: "%03d", index))" }

    /// The `dataset.json` these options produce.
    public var datasetDescription: NNUNetDatasetDescription {
        NNUNetDatasetDescription(
            channelNames: ["0": "CT"],
            labels: [("background", 0)] + labels.enumerated().map { ($1.name, $0 + 1) },
            numTraining: caseCount, fileEnding: ".nii.gz", name: folderName,
            description:
                "Organa synthetic abdominal CT phantoms, seeds \(firstSeed)...\(firstSeed + UInt64(max(caseCount - 1, 0)))"
        )
    }

    /// Checks every option and reports all problems at once.
    /// - Throws: `PhantomError.invalidOption` listing each bad option.
    public func validate() throws(PhantomError) {
        var problems: [String] = []
        if !(1...999).contains(id) { problems.append("dataset id \(id) must be in 1...999") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        if name.isEmpty || !name.allSatisfy(allowed.contains) {
            problems.append("dataset name '\(name)' must be non-empty letters, digits, '-' or '_'")
        }
        if casePrefix.isEmpty || !casePrefix.allSatisfy(allowed.contains) {
            problems.append("case prefix '\(casePrefix)' must be non-empty letters, digits, '-' or '_'")
        }
        if !(1...10_000).contains(caseCount) { problems.append("case count \(caseCount) must be in 1...10000") }
        if labels.isEmpty { problems.append("at least one label must be included") }
        if labels.contains(.background) { problems.append("background is always label 0; do not list it") }
        if Set(labels).count != labels.count { problems.append("labels \(labels) contain a duplicate") }
        do {
            try phantom.validate()
        } catch {
            problems.append(error.message)
        }
        guard problems.isEmpty else { throw PhantomError(.invalidOption, problems.joined(separator: "; ")) }
    }

    /// Maps a `PhantomLabel` raw value to the dataset's label value (0 for structures not included).
    var remapTable: [UInt8] {
        var table = [UInt8](repeating: 0, count: 256)
        for (index, label) in labels.enumerated() { table[Int(label.rawValue)] = UInt8(index + 1) }
        return table
    }
}

/// nnU-Net v2's `dataset.json` (the keys `nnUNetv2_plan_and_preprocess` reads, plus `name`/`description`);
/// decoded with `JSONDecoder`, written as `jsonText` (JSON objects have no order, but people read this file).
public struct NNUNetDatasetDescription: Decodable, Sendable, Equatable {
    public var channelNames: [String: String]
    /// Label name → value, background first; encoded in this order.
    public var labels: [(name: String, value: Int)]
    public var numTraining: Int
    public var fileEnding: String
    public var name: String?
    public var description: String?

    public init(
        channelNames: [String: String], labels: [(String, Int)], numTraining: Int, fileEnding: String,
        name: String? = nil, description: String? = nil
    ) {
        self.channelNames = channelNames
        self.labels = labels.map { (name: $0.0, value: $0.1) }
        self.numTraining = numTraining
        self.fileEnding = fileEnding
        self.name = name
        self.description = description
    }

    /// The labels as a dictionary, name → value.
    public var labelValues: [String: Int] {
        Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    enum CodingKeys: String, CodingKey {
        case channelNames = "channel_names"
        case labels
        case numTraining
        case fileEnding = "file_ending"
        case name
        case description
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        channelNames = try container.decode([String: String].self, forKey: .channelNames)
        let values = try container.decode([String: Int].self, forKey: .labels)
        labels = values.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map { (name: $0.key, value: $0.value) }
        numTraining = try container.decode(Int.self, forKey: .numTraining)
        fileEnding = try container.decode(String.self, forKey: .fileEnding)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
    }

    /// The file's text: nnU-Net's key order, labels in value order, 4-space indentation.
    public var jsonText: String {
        var fields = [
            "\"channel_names\": {\n"
                + channelNames.sorted { $0.key < $1.key }.map {
                    "        \(jsonString($0.key)): \(jsonString($0.value))"
                }
                .joined(separator: ",\n") + "\n    }",
            "\"labels\": {\n"
                + labels.map { "        \(jsonString($0.name)): \($0.value)" }.joined(separator: ",\n") + "\n    }",
            "\"numTraining\": \(numTraining)",
            "\"file_ending\": \(jsonString(fileEnding))",
        ]
        if let name { fields.append("\"name\": \(jsonString(name))") }
        if let description { fields.append("\"description\": \(jsonString(description))") }
        return "{\n" + fields.map { "    " + $0 }.joined(separator: ",\n") + "\n}"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.channelNames == rhs.channelNames && lhs.labels.map(\.name) == rhs.labels.map(\.name)
            && lhs.labels.map(\.value) == rhs.labels.map(\.value) && lhs.numTraining == rhs.numTraining
            && lhs.fileEnding == rhs.fileEnding && lhs.name == rhs.name && lhs.description == rhs.description
    }
}

/// Writes an nnU-Net v2 raw dataset of phantoms into `parent` (the `nnUNet_raw` folder) and returns the
/// dataset folder's path. `progress` is called with each finished case index (0-based).
/// - Throws: `PhantomError.invalidOption` for bad options, `.writeFailed` naming the file that failed.
@discardableResult
public func writeNNUNetDataset(
    _ options: NNUNetDatasetOptions, into parent: String, progress: (Int) -> Void = { _ in }
) throws(PhantomError) -> String {
    try options.validate()
    let root = URL(fileURLWithPath: parent).appendingPathComponent(options.folderName)
    let images = root.appendingPathComponent("imagesTr")
    let labels = root.appendingPathComponent("labelsTr")
    try createFolder(images)
    try createFolder(labels)
    let remap = options.remapTable
    for index in 0..<options.caseCount {
        var phantomOptions = options.phantom
        phantomOptions.seed = options.firstSeed &+ UInt64(index)
        let phantom = try generatePhantom(phantomOptions)
        let identifier = options.caseIdentifier(index)
        try writeNifti(phantom.ct, to: images.appendingPathComponent("\(identifier)_0000.nii.gz").path)
        try writeNifti(
            phantom.labels.map { remap[Int($0)] }, to: labels.appendingPathComponent("\(identifier).nii.gz").path)
        progress(index)
    }
    try writeText(options.datasetDescription.jsonText, to: root.appendingPathComponent("dataset.json"))
    return root.path
}
