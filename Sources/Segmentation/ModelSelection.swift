// Design: selection turns a request (structures, version pins, preview) and the image's header properties
// into the list of catalog models to run, with a sentence for every decision so `organa models` can explain
// it. Per requested structure, in canonical order: if a chosen model already gives it, done; otherwise the
// families that give it are tried (a pinned family first, then by id), and within a family the pinned version
// or else the newest version whose conditions hold and whose files are present. A structure no model can give
// is an error before any voxel is read. The preview model, when asked, is chosen the same way among
// `role: preview` entries and runs first.
import NNUNetRuntime
public import VolumeCore

/// What a caller asks for.
public struct SegmentationRequest: Sendable, Hashable, Codable {
    /// Structures wanted; all the catalog's structures when empty.
    public var structures: [Structure]
    /// family → version to use instead of the newest.
    public var pins: [String: Int]
    /// Also run the coarse preview model first.
    public var preview: Bool

    public init(structures: [Structure] = [], pins: [String: Int] = [:], preview: Bool = false) {
        self.structures = structures
        self.pins = pins
        self.preview = preview
    }
}

/// The header facts selection and planning need (no voxels).
public struct ImageInfo: Sendable, Hashable, Codable {
    public var size: SIMD3<Int>
    public var geometry: VolumeGeometry

    public init(size: SIMD3<Int>, geometry: VolumeGeometry) {
        self.size = size
        self.geometry = geometry
    }

    /// Slice thickness: the spacing along z (mm).
    public var sliceThickness: Double { geometry.spacing.z }
    /// Extent along each axis (mm).
    public var fieldOfView: SIMD3<Double> { SIMD3<Double>(size) * geometry.spacing }
    public var voxelCount: Int { size.x * size.y * size.z }
}

/// A model chosen for a request, with the structures it is used for (it may give more).
public struct SelectedModel: Sendable, Hashable {
    public var entry: CatalogEntry
    public var structures: [Structure]
}

/// The models chosen for a request and why.
public struct ModelSelection: Sendable, Hashable {
    /// The preview model, when asked for and available.
    public var preview: CatalogEntry?
    /// Models to run, in the order they were chosen.
    public var models: [SelectedModel]
    /// One line per decision, in order.
    public var reasons: [String]
}

/// Chooses models from a catalog.
public struct ModelSelector: Sendable {
    public let catalog: ModelCatalog
    /// Whether an entry's files are present (default: the folder loads and has a checkpoint for every fold).
    public var isAvailable: @Sendable (CatalogEntry) -> Bool

    public init(catalog: ModelCatalog, isAvailable: (@Sendable (CatalogEntry) -> Bool)? = nil) {
        self.catalog = catalog
        self.isAvailable =
            isAvailable ?? { entry in
                guard let folder = try? ModelFolder(path: catalog.folderPath(entry)) else { return false }
                return Set(entry.folds).isSubset(of: folder.folds)
            }
    }

    /// Selects the models for `request` on an image with `image`'s header.
    /// - Throws: `.invalidRequest` for an unknown family or version pin, `.noModelFits` when a structure has
    ///   no usable model (the message lists why each candidate was rejected).
    public func select(_ request: SegmentationRequest, image: ImageInfo) throws(SegmentationError) -> ModelSelection {
        try checkPins(request.pins)
        let standard = catalog.models.filter { $0.role == .standard }
        let offered = Set(standard.flatMap(\.structures))
        let wanted = request.structures.isEmpty ? offered.sorted() : Array(Set(request.structures)).sorted()
        var selection = ModelSelection(preview: nil, models: [], reasons: [])
        for structure in wanted {
            if let index = selection.models.firstIndex(where: { $0.entry.structures.contains(structure) }) {
                selection.models[index].structures.append(structure)
                selection.reasons.append("\(structure.rawValue): also from \(selection.models[index].entry.id)")
                continue
            }
            let candidates = standard.filter { $0.structures.contains(structure) }
            guard !candidates.isEmpty else {
                throw SegmentationError(.noModelFits, "no model in the catalog segments \(structure.rawValue)")
            }
            let (entry, reason) = try choose(
                among: candidates, for: structure.rawValue, pins: request.pins, image: image)
            selection.models.append(SelectedModel(entry: entry, structures: [structure]))
            selection.reasons.append(reason)
        }
        if request.preview {
            let previews = catalog.models.filter { $0.role == .preview }
            guard !previews.isEmpty else {
                throw SegmentationError(.noModelFits, "a preview was asked for but the catalog has no preview model")
            }
            let (entry, reason) = try choose(among: previews, for: "preview", pins: request.pins, image: image)
            selection.preview = entry
            selection.reasons.insert(reason, at: 0)
        }
        return selection
    }

    /// Every pinned family exists and has the pinned version.
    func checkPins(_ pins: [String: Int]) throws(SegmentationError) {
        for (family, version) in pins.sorted(by: { $0.key < $1.key }) {
            let versions = catalog.models.filter { $0.family == family }.map(\.version).sorted()
            guard !versions.isEmpty else {
                let families = Set(catalog.models.map(\.family)).sorted().joined(separator: ", ")
                throw SegmentationError(.invalidRequest, "unknown model family \(family) (catalog: \(families))")
            }
            guard versions.contains(version) else {
                throw SegmentationError(
                    .invalidRequest,
                    "family \(family) has no version \(version) (versions: \(versions.map(String.init).joined(separator: ", ")))"
                )
            }
        }
    }

    /// The best candidate: pinned families first, then by family name; within a family the pinned version or
    /// the newest usable one.
    func choose(
        among candidates: [CatalogEntry], for what: String, pins: [String: Int], image: ImageInfo
    ) throws(SegmentationError) -> (CatalogEntry, String) {
        let families = Set(candidates.map(\.family)).sorted {
            (pins[$0] != nil ? 0 : 1, $0) < (pins[$1] != nil ? 0 : 1, $1)
        }
        var rejections: [String] = []
        for family in families {
            var versions = candidates.filter { $0.family == family }.sorted { $0.version > $1.version }
            if let pinned = pins[family] { versions = versions.filter { $0.version == pinned } }
            for entry in versions {
                if let problem = unusable(entry, image: image) {
                    rejections.append("\(entry.id): \(problem)")
                    continue
                }
                let why =
                    pins[family] != nil
                    ? "version \(entry.version) pinned"
                    : versions.first == entry
                        ? "newest \(family) version (\(entry.version))"
                        : "newest usable \(family) version (\(entry.version))"
                let skipped = rejections.isEmpty ? "" : "; skipped " + rejections.joined(separator: "; ")
                return (entry, "\(what): \(entry.id) — \(why)\(skipped)")
            }
        }
        throw SegmentationError(
            .noModelFits, "no model can give \(what) for this image: " + rejections.joined(separator: "; "))
    }

    /// Why `entry` cannot run on this image, or nil when it can.
    func unusable(_ entry: CatalogEntry, image: ImageInfo) -> String? {
        let c = entry.conditions
        let thickness = image.sliceThickness
        if let maximum = c.maxSliceThicknessMM, thickness > maximum {
            return "slices of \(format(thickness)) mm are thicker than its \(format(maximum)) mm limit"
        }
        if let minimum = c.minSliceThicknessMM, thickness < minimum {
            return "slices of \(format(thickness)) mm are thinner than its \(format(minimum)) mm minimum"
        }
        if let coverage = c.minCoverageZMM, image.fieldOfView.z < coverage {
            return "the image covers \(format(image.fieldOfView.z)) mm along z, it needs \(format(coverage)) mm"
        }
        if !isAvailable(entry) {
            return
                "not installed (no checkpoint for folds \(entry.folds.joined(separator: ", ")) in \(catalog.folderPath(entry)))"
        }
        return nil
    }
}

/// A number with at most two decimals, for messages.
func format(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
