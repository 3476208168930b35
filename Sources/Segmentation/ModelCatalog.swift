// Design: the model catalog is a small JSON file (models/catalog.json) that names, for each nnU-Net results
// folder, what it segments (its dataset labels mapped to canonical structures), which family and version it
// belongs to (e.g. ureter v1 and v2), when it applies (slice thickness, field of view) and the region it
// needs (the whole image, or a box around the kidneys found by a coarser locator model). Folders are resolved
// relative to the catalog file. Loading validates everything that does not need the model files themselves;
// availability (fold present) is checked when a request is planned, so a catalog can list a model that is
// not installed and explain that.
public import Foundation

/// One model of the catalog.
public struct CatalogEntry: Sendable, Hashable, Codable {
    /// Unique id, e.g. `ureter-v1`.
    public var id: String
    /// Models that do the same job in different versions share a family (`ureter`).
    public var family: String
    /// Version within the family; higher is newer.
    public var version: Int
    /// nnU-Net results folder, relative to the catalog file (or absolute).
    public var folder: String
    /// nnU-Net configuration to run (`3d_fullres`, `2d`, ...).
    public var configuration: String
    /// Folds to ensemble.
    public var folds: [String]
    /// dataset.json label name → canonical structure.
    public var labels: [String: Structure]
    /// When the model applies.
    public var conditions: Conditions
    /// The part of the image the model needs.
    public var region: Region
    /// `preview`: a coarse model run first (fast preview and kidney locator); `standard` otherwise.
    public var role: Role

    public enum Role: String, Sendable, Hashable, Codable { case standard, preview }

    /// Image properties a model needs; nil means no condition.
    public struct Conditions: Sendable, Hashable, Codable {
        /// Slices thicker than this (mm) are out of the model's range.
        public var maxSliceThicknessMM: Double?
        /// Slices thinner than this (mm) are out of the model's range.
        public var minSliceThicknessMM: Double?
        /// The image must cover at least this many mm along z.
        public var minCoverageZMM: Double?

        public init(
            maxSliceThicknessMM: Double? = nil, minSliceThicknessMM: Double? = nil, minCoverageZMM: Double? = nil
        ) {
            self.maxSliceThicknessMM = maxSliceThicknessMM
            self.minSliceThicknessMM = minSliceThicknessMM
            self.minCoverageZMM = minCoverageZMM
        }
    }

    /// Where the model runs.
    public enum Region: Sendable, Hashable, Codable {
        /// The whole image.
        case whole
        /// The box around the kidneys (kidney ∪ tumour of the preview) grown by `marginMM` (x, y, z); the whole
        /// image when no locator ran or it found no kidney.
        case aroundKidneys(marginMM: [Double])
    }

    public init(
        id: String, family: String, version: Int, folder: String, configuration: String, folds: [String],
        labels: [String: Structure], conditions: Conditions = .init(), region: Region = .whole,
        role: Role = .standard
    ) {
        self.id = id
        self.family = family
        self.version = version
        self.folder = folder
        self.configuration = configuration
        self.folds = folds
        self.labels = labels
        self.conditions = conditions
        self.region = region
        self.role = role
    }

    /// The structures the model gives, in canonical order.
    public var structures: [Structure] { Array(Set(labels.values)).sorted() }
}

/// The catalog: models plus the overlap priority of the merged label map.
public struct ModelCatalog: Sendable, Hashable, Codable {
    public var models: [CatalogEntry]
    /// Where two structures overlap in the merged label map, the earlier one wins.
    public var mergePriority: [Structure]
    /// Folder that relative model folders are resolved against (the catalog file's folder); not in the file.
    public var baseDirectory: String = ""

    enum CodingKeys: String, CodingKey { case models, mergePriority }

    public init(
        models: [CatalogEntry], mergePriority: [Structure], baseDirectory: String = ""
    ) throws(SegmentationError) {
        self.models = models
        self.mergePriority = mergePriority
        self.baseDirectory = baseDirectory
        try validate()
    }

    /// Reads and validates a catalog file; model folders resolve against the file's folder.
    public static func load(_ path: String) throws(SegmentationError) -> ModelCatalog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SegmentationError(
                .invalidCatalog, "cannot read the model catalog \(path): \(error)", underlying: error)
        }
        guard data.count <= 1 << 20 else {
            throw SegmentationError(.invalidCatalog, "model catalog \(path) is \(data.count) bytes (limit 1 MiB)")
        }
        var catalog: ModelCatalog
        do {
            catalog = try JSONDecoder().decode(ModelCatalog.self, from: data)
        } catch {
            throw SegmentationError(.invalidCatalog, "model catalog \(path): \(describe(error))", underlying: error)
        }
        catalog.baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try catalog.validate()
        return catalog
    }

    /// The entry with `id`, or nil.
    public func entry(_ id: String) -> CatalogEntry? { models.first { $0.id == id } }

    /// Absolute path of an entry's results folder.
    public func folderPath(_ entry: CatalogEntry) -> String {
        entry.folder.hasPrefix("/") || baseDirectory.isEmpty
            ? entry.folder : URL(fileURLWithPath: baseDirectory).appendingPathComponent(entry.folder).path
    }

    /// Checks ids, versions, folds, labels, margins and the merge priority, listing every problem.
    public func validate() throws(SegmentationError) {
        var problems: [String] = []
        var ids = Set<String>()
        var versions = Set<String>()
        for entry in models {
            if entry.id.isEmpty { problems.append("a model has an empty id") }
            if !ids.insert(entry.id).inserted { problems.append("model id \(entry.id) appears twice") }
            if !versions.insert("\(entry.family)@\(entry.version)").inserted {
                problems.append("family \(entry.family) has version \(entry.version) twice")
            }
            if entry.folds.isEmpty { problems.append("model \(entry.id) lists no folds") }
            if entry.labels.isEmpty { problems.append("model \(entry.id) maps no label to a structure") }
            if case .aroundKidneys(let margin) = entry.region,
                margin.count != 3 || margin.contains(where: { !($0.isFinite && $0 >= 0) })
            {
                problems.append("model \(entry.id): region margin \(margin) must be 3 finite values ≥ 0 (mm)")
            }
        }
        let given = Set(models.flatMap(\.structures))
        for structure in given.sorted() where !mergePriority.contains(structure) {
            problems.append("mergePriority lacks \(structure.rawValue)")
        }
        if Set(mergePriority).count != mergePriority.count { problems.append("mergePriority repeats a structure") }
        guard problems.isEmpty else {
            throw SegmentationError(.invalidCatalog, problems.joined(separator: "; "))
        }
    }
}

/// A decoding error in words (the JSON path and what was wrong).
func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return keys.isEmpty ? "top level" : keys
    }
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "\(path(context)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
        return "\(path(context)): missing key \(key.stringValue)"
    @unknown default:
        return "\(error)"
    }
}
