// Design: the one-read job. The caller reads the CT once and hands the volume in; nothing here reads files
// but model folders. Order: fat-candidate mask (the only HU-derived product later steps need) → preview model
// on the whole image (its masks announced at once; its kidney ∪ tumour box is where `aroundKidneys` models
// run) → per resample group: the CT (or its kidney box) as float32, transposed/cropped/resampled once when
// the group shares resampling, then each model normalises, runs its folds and exports to the region's grid →
// its structures are pasted into per-structure masks and merged by the catalog's priority. Each model's
// arrays are released before the next one starts, so the peak is one model's step on top of the resident
// arrays (MemoryModel). Events go to a callback as they happen (services stream them): each model's masks the
// moment it ends. Weights come from a `LoadedModels` set when the caller has one (a service loads them once at
// start-up), else each model's checkpoints are read when it runs. A cancellation check runs before each model
// and each tile; a cancelled job throws `.cancelled` and announces nothing more.
public import ArrayCore
import Foundation
public import LabelOps
import NNUNetRuntime
public import VolumeCore

/// What the job reports while it runs.
public enum SegmentationEvent: Sendable {
    /// A stage began (`preview`, `fat candidate`, a group name, a model id).
    case started(stage: String)
    /// Sliding-window progress of a model: `done` of `total` tiles over all folds.
    case progress(model: String, done: Int, total: Int)
    /// A stage ended after `seconds`.
    case finished(stage: String, seconds: Double)
    /// The preview's label map (canonical values, original grid), handed over the moment it exists so that a
    /// service can store and mesh it while the full models still run.
    case previewReady(Volume<UInt8>)
    /// A full model ended: its structures' masks (cropped), final unless a later model gives the same
    /// structure. Handed over the moment the model ends so that a service can store and announce them.
    case modelFinished(model: String, masks: [StructureMask])
    /// A model's checkpoints were read from disk during the job (it was not among the loaded models).
    case modelLoaded(String)
}

/// A structure's mask, cropped to its bounding box (geometry adjusted so it lands in place).
public struct StructureMask: Sendable {
    public var structure: Structure
    /// Where `mask` lies in the original grid.
    public var box: IndexBox
    /// 0/1 on the box.
    public var mask: Volume<UInt8>
    /// Volume in mL.
    public var volumeML: Double
    /// Model that gave it.
    public var model: String
}

/// Everything the job produces.
public struct SegmentationResult: Sendable {
    /// All structures on the CT's grid, overlaps resolved by the catalog's priority.
    public var labels: Volume<UInt8>
    /// Per-structure masks before merging (each from its model), cropped.
    public var masks: [Structure: StructureMask]
    /// 1 where the CT's HU lies in the fat window: what the fat mask needs, so no later step reads the CT.
    public var fatCandidate: Volume<UInt8>
    /// The preview model's merged label map, when it ran.
    public var preview: Volume<UInt8>?
    /// The kidney box models were cropped to, when any.
    public var kidneyBox: IndexBox?
    /// Seconds per stage, in order.
    public var timings: [(stage: String, seconds: Double)]
    /// Notes for a reviewer (locator found nothing, ...).
    public var warnings: [String]
}

/// Runs a plan on a CT in memory.
public struct SegmentationJob: Sendable {
    public let plan: JobPlan
    public let catalog: ModelCatalog
    /// Models loaded before the job (nil: each planned model is loaded when it runs).
    public let models: LoadedModels?

    public init(plan: JobPlan, catalog: ModelCatalog, models: LoadedModels? = nil) {
        self.plan = plan
        self.catalog = catalog
        self.models = models
    }

    /// Runs every planned model on `ct` (HU, the grid the plan was made for). `isCancelled` is asked before
    /// each model and each tile.
    /// - Throws: `.invalidImage` when `ct` is not on the planned grid; `.model` when a model fails;
    ///   `.cancelled` once `isCancelled` answers true.
    public func run(
        _ ct: Volume<Int16>, events: @escaping @Sendable (SegmentationEvent) -> Void = { _ in },
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws(SegmentationError) -> SegmentationResult {
        guard ct.size == plan.image.size, ct.geometry.isApproximatelyEqual(to: plan.image.geometry) else {
            throw SegmentationError(
                .invalidImage,
                "the CT (size \(ct.size)) is not on the grid the job was planned for (\(plan.image.size))")
        }
        var state = JobState(ct: ct, priority: catalog.mergePriority, isCancelled: isCancelled, events: events)
        let window = plan.options.fatWindow
        state.timed("fat candidate") { (state: inout JobState) -> Void in
            state.fatCandidate = windowMask(ct, window: window)
        }
        if let preview = plan.preview {
            try state.timed("preview") { (state) throws(SegmentationError) in
                let labels = try runAlone(preview, on: ct, state: &state)
                state.preview = labels
                state.kidneyBox = Self.kidneyBox(labels, models: plan.models.filter(\.cropsToKidneys))
                if state.kidneyBox == nil, plan.models.contains(where: \.cropsToKidneys) {
                    state.warnings.append(
                        "the preview found no kidney: models meant for the kidney box ran on the whole image")
                }
            }
            if let labels = state.preview { events(.previewReady(labels)) }
        }
        for group in plan.groups {
            try state.timed(group.name) { (state) throws(SegmentationError) in
                try runGroup(group, state: &state)
            }
        }
        return state.result()
    }

    /// One model on the whole image (the preview): canonical label map.
    func runAlone(
        _ model: PlannedModel, on ct: Volume<Int16>, state: inout JobState
    ) throws(SegmentationError) -> Volume<UInt8> {
        try state.checkCancellation(model.entry.id)
        return try load(model, events: state.events).segment(
            ct, progress: Self.reporter(model.entry.id, state.events), isCancelled: state.isCancelled)
    }

    /// A planned model with the plan's mirroring and tile step: the loaded one when `models` has it, else read
    /// from its checkpoints (announced as `.modelLoaded`).
    func load(
        _ model: PlannedModel, events: @Sendable (SegmentationEvent) -> Void
    ) throws(SegmentationError) -> SegmentationModel {
        let mirroring = plan.options.mirroring
        let tileStep = plan.options.tileStep
        if let loaded = try models?.model(for: model.entry, mirroring: mirroring, tileStep: tileStep) {
            return loaded
        }
        let loaded = try SegmentationModel(
            entry: model.entry, catalog: catalog, mirroring: mirroring, tileStep: tileStep)
        events(.modelLoaded(model.entry.id))
        return loaded
    }

    /// The models of one group: shared resampling when the group allows it.
    func runGroup(_ group: ResampleGroup, state: inout JobState) throws(SegmentationError) {
        let box = group.models[0].cropsToKidneys ? state.kidneyBox : nil
        let region = try Self.region(state.ct, box: box)
        var shared: PreprocessedCase?
        for (index, model) in group.models.enumerated() {
            let isLast = index == group.models.count - 1
            try state.checkCancellation(model.entry.id)
            try state.timed(model.entry.id) { (state) throws(SegmentationError) in
                let loaded = try load(model, events: state.events)
                let isCancelled = state.isCancelled
                let labels: Volume<UInt8>
                let report = Self.reporter(model.entry.id, state.events)
                do {
                    if group.sharesResampling {
                        let preprocessor = Preprocessor(
                            plans: loaded.predictor.model.plans, configuration: loaded.predictor.configuration)
                        let exact = plan.options.sharing == .exact
                        var input: PreprocessedCase
                        if let existing = shared {
                            input = existing
                        } else if exact {
                            input = try preprocessor.run([region.converted(to: Float.self)])
                        } else {
                            input = try preprocessor.resampledWithoutNormalization([region.converted(to: Float.self)])
                        }
                        // The last model of the group takes the shared input over (lean: normalises it in place).
                        shared = isLast ? nil : input
                        let ready = exact ? input : try preprocessor.normalizedAfterResampling(consume input)
                        labels = try predict(loaded, ready, report: report, isCancelled: isCancelled)
                    } else {
                        labels = try loaded.segment(region, progress: report, isCancelled: isCancelled)
                    }
                } catch {
                    throw SegmentationError(modelFailure: error, model: model.entry.id)
                }
                state.add(labels, at: box?.lower ?? .zero, structures: model.structures, model: model.entry.id)
            }
        }
    }

    /// Sliding window and export of an already preprocessed case.
    func predict(
        _ model: SegmentationModel, _ input: PreprocessedCase, report: @escaping (PredictionProgress) -> Void,
        isCancelled: @escaping () -> Bool
    ) throws -> Volume<UInt8> {
        let logits = try model.predictor.predictLogits(input.data, progress: report, isCancelled: isCancelled)
        let exported = try model.predictor.export(logits, properties: input.properties)
        return model.canonical(try model.predictor.postprocessed(exported.segmentation))
    }

    /// Sliding-window progress of model `id` as job events (tiles counted over all folds).
    static func reporter(
        _ id: String, _ events: @escaping @Sendable (SegmentationEvent) -> Void
    ) -> (PredictionProgress) -> Void {
        { progress in
            if case .tile(let done, let total, let fold, let folds) = progress {
                events(.progress(model: id, done: fold * total + done, total: folds * total))
            }
        }
    }

    /// The CT, or its part inside `box`.
    static func region(_ ct: Volume<Int16>, box: IndexBox?) throws(SegmentationError) -> Volume<Int16> {
        guard let box else { return ct }
        do {
            return try ct.cropped(to: box)
        } catch {
            throw SegmentationError(.invalidImage, "cropping the CT to the kidney box: \(error)", underlying: error)
        }
    }

    /// Kidney ∪ tumour box of the preview, grown by the largest margin the cropping models ask for and to at
    /// least their largest patch along each axis (clamped to the image).
    static func kidneyBox(_ preview: Volume<UInt8>, models: [PlannedModel]) -> IndexBox? {
        guard !models.isEmpty,
            let box = boundingBox(of: preview, values: [Structure.kidney.labelValue, Structure.tumor.labelValue])
        else { return nil }
        let spacing = preview.geometry.spacing
        var lower = box.lower
        var upper = box.upper
        for axis in 0..<3 {
            let margin =
                models.map { model -> Double in
                    if case .aroundKidneys(let margin) = model.entry.region { return margin[axis] }
                    return 0
                }.max() ?? 0
            let voxels = Int((margin / spacing[axis]).rounded(.up))
            lower[axis] = max(0, lower[axis] - voxels)
            upper[axis] = min(preview.size[axis], upper[axis] + voxels)
            let needed = Int(((models.map { $0.patchExtentMM[axis] }.max() ?? 0) / spacing[axis]).rounded(.up))
            while upper[axis] - lower[axis] < needed && (lower[axis] > 0 || upper[axis] < preview.size[axis]) {
                if lower[axis] > 0 { lower[axis] -= 1 }
                if upper[axis] - lower[axis] < needed && upper[axis] < preview.size[axis] { upper[axis] += 1 }
            }
        }
        return IndexBox(lower: lower, upper: upper)
    }
}
