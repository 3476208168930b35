// Design: the weights of a catalog's models, read from their checkpoints once and shared by every job (the
// house style's "heavy resources load once, before serving"). A service loads the models that are available
// at start-up and hands the set to each `SegmentationJob`; a job asks it for a model with the job's mirroring
// and tile step (the networks are shared, only the sliding-window settings differ) and reads a checkpoint
// itself only for a model the set lacks, which it announces (`SegmentationEvent.modelLoaded`). `organa run`
// passes no set: each run loads what it plans.

/// Catalog models with their weights in memory, keyed by catalog id.
public struct LoadedModels: Sendable {
    /// Loaded models by catalog id (mirroring on, tile step 0.5; `model(for:)` adapts them per job).
    public let models: [String: SegmentationModel]

    /// Wraps already loaded models.
    public init(_ models: [SegmentationModel]) {
        self.models = Dictionary(models.map { ($0.entry.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Loads every model of `catalog` that `isAvailable` accepts (default: its folder holds the entry's folds);
    /// `loaded` is told each id as its checkpoints have been read.
    /// - Throws: `.model` naming the first model whose folder, checkpoint or labels cannot be loaded.
    public static func load(
        _ catalog: ModelCatalog, loaded: (String) -> Void = { _ in },
        isAvailable: (@Sendable (CatalogEntry) -> Bool)? = nil
    ) throws(SegmentationError) -> LoadedModels {
        let selector = ModelSelector(catalog: catalog, isAvailable: isAvailable)
        var models: [SegmentationModel] = []
        for entry in catalog.models where selector.isAvailable(entry) {
            models.append(try SegmentationModel(entry: entry, catalog: catalog))
            loaded(entry.id)
        }
        return LoadedModels(models)
    }

    /// Catalog ids of the loaded models, sorted.
    public var ids: [String] { models.keys.sorted() }

    /// The loaded model of `entry` with the given sliding-window settings, or nil when it is not loaded (or was
    /// loaded from another catalog entry of the same id, e.g. a changed catalog).
    public func model(
        for entry: CatalogEntry, mirroring: Bool, tileStep: Double
    ) throws(SegmentationError) -> SegmentationModel? {
        guard let model = models[entry.id], model.entry == entry else { return nil }
        return try model.reconfigured(mirroring: mirroring, tileStep: tileStep)
    }
}
