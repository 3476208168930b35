// Design: one catalog model as a plain function from a CT volume to a label map of canonical structure
// values on the same grid: the Predictor (nnU-Net's preprocessing, sliding window, export) followed by a
// lookup table from the model's dataset.json label values to `Structure.labelValue` (labels the catalog does
// not map become background). The job calls its steps separately to share resampling between models; a
// caller or a test can call `segment` alone.
public import ArrayCore
public import NNUNetRuntime
public import VolumeCore

/// A loaded catalog model.
public struct SegmentationModel: Sendable {
    public let entry: CatalogEntry
    public let predictor: Predictor
    /// Model label value → canonical label value (0 for unmapped labels).
    let lookup: [UInt8]

    /// Loads the entry's folds.
    /// - Throws: `.model` when the folder, a fold or the configuration cannot be loaded, or when a label the
    ///   catalog maps is not in the model's dataset.json.
    public init(
        entry: CatalogEntry, catalog: ModelCatalog, mirroring: Bool = true, tileStep: Double = 0.5
    )
        throws(SegmentationError)
    {
        let path = catalog.folderPath(entry)
        do {
            let folder = try ModelFolder(path: path)
            let predictor = try Predictor(
                model: folder, options: PredictionOptions(folds: entry.folds, tileStep: tileStep, mirroring: mirroring))
            guard predictor.configuration.name == entry.configuration else {
                throw SegmentationError(
                    .model,
                    "model \(entry.id): the checkpoint in \(path) was trained as \(predictor.configuration.name), the catalog says \(entry.configuration)"
                )
            }
            self.entry = entry
            self.predictor = predictor
            lookup = try Self.lookup(entry: entry, dataset: folder.dataset)
        } catch let error as SegmentationError {
            throw error
        } catch {
            throw SegmentationError(.model, "model \(entry.id) (\(path)): \(error)", underlying: error)
        }
    }

    private init(entry: CatalogEntry, predictor: Predictor, lookup: [UInt8]) {
        self.entry = entry
        self.predictor = predictor
        self.lookup = lookup
    }

    /// The same loaded networks with another tile step and mirroring (no checkpoint is read again).
    /// - Throws: `.invalidRequest` for a tile step outside (0, 1].
    public func reconfigured(mirroring: Bool, tileStep: Double) throws(SegmentationError) -> SegmentationModel {
        guard predictor.options.mirroring != mirroring || predictor.options.tileStep != tileStep else { return self }
        do {
            return SegmentationModel(
                entry: entry, predictor: try predictor.reconfigured(tileStep: tileStep, mirroring: mirroring),
                lookup: lookup)
        } catch {
            throw SegmentationError(.invalidRequest, "model \(entry.id): \(error)", underlying: error)
        }
    }

    static func lookup(entry: CatalogEntry, dataset: DatasetDescription) throws(SegmentationError) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 256)
        for (name, structure) in entry.labels {
            guard let label = dataset.labels.first(where: { $0.name == name }), label.values.count == 1,
                let value = label.values.first, (1...255).contains(value)
            else {
                let known = dataset.labels.map(\.name).joined(separator: ", ")
                throw SegmentationError(
                    .invalidCatalog,
                    "model \(entry.id): catalog label \(name) is not a single-value label of its dataset.json (labels: \(known))"
                )
            }
            table[value] = structure.labelValue
        }
        return table
    }

    /// Segments `ct` (HU): a label map of canonical values on `ct`'s grid. The same steps as
    /// `Predictor.predict`, with the float32 copy of the CT released as soon as it is preprocessed.
    /// `isCancelled` is asked before each tile (`.cancelled` when it answers true).
    public func segment(
        _ ct: Volume<Int16>, progress: ((PredictionProgress) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
    ) throws(SegmentationError) -> Volume<UInt8> {
        do {
            var preprocessed = try predictor.preprocess([ct.converted(to: Float.self)])
            progress?(.preprocessed(shape: preprocessed.data.shape))
            let logits = try predictor.predictLogits(preprocessed.data, progress: progress, isCancelled: isCancelled)
            preprocessed.data = NDArray(shape: [0], repeating: 0)
            progress?(.exporting)
            let exported = try predictor.export(logits, properties: preprocessed.properties)
            return canonical(try predictor.postprocessed(exported.segmentation))
        } catch {
            throw SegmentationError(modelFailure: error, model: entry.id)
        }
    }

    /// The model's label map with canonical values.
    func canonical(_ segmentation: Volume<UInt8>) -> Volume<UInt8> {
        let table = lookup
        return segmentation.map { table[Int($0)] }
    }
}
