// Design: planning reads only the NIfTI header facts (`ImageInfo`) and each selected model's plans.json /
// dataset.json (no weights, no voxels). Per model it computes nnU-Net's target spacing and shape (transposed
// axes) for this image; models with the same target grid, transpose, resampling settings and region form a
// group that preprocesses the CT once: in `.exact` sharing only models whose normalisation is identical too
// (the whole preprocessed input is shared: bit-identical to per-model preprocessing), in `.lean` sharing any
// mask-free normalisation (the resampling is shared and each model normalises after it: not bit-identical).
// Memory is estimated per step from array sizes (documented in `MemoryModel`) and the job's peak is the
// resident part (CT, merged labels, fat candidate, masks) plus the largest group step; a plan over the budget
// is refused before any voxel is read.
public import NNUNetRuntime
public import VolumeCore

/// How the job runs.
public struct PlanningOptions: Sendable, Hashable, Codable {
    /// How models with the same target grid share preprocessing.
    public var sharing: ResamplingSharing
    /// Run `aroundKidneys` models on the box around the kidneys the preview model found.
    public var cropToKidneys: Bool
    /// Refuse jobs whose estimated peak exceeds this many bytes (nil: no limit).
    public var memoryBudgetBytes: Int?
    /// Mirroring test-time augmentation.
    public var mirroring: Bool
    /// Sliding-window step (fraction of the patch).
    public var tileStep: Double
    /// HU window of the fat-candidate mask derived while the CT is in memory.
    public var fatWindow: ClosedRange<Int16>

    public init(
        sharing: ResamplingSharing = .exact, cropToKidneys: Bool = true, memoryBudgetBytes: Int? = nil,
        mirroring: Bool = true, tileStep: Double = 0.5, fatWindow: ClosedRange<Int16> = -190...(-30)
    ) {
        self.sharing = sharing
        self.cropToKidneys = cropToKidneys
        self.memoryBudgetBytes = memoryBudgetBytes
        self.mirroring = mirroring
        self.tileStep = tileStep
        self.fatWindow = fatWindow
    }
}

/// How models with the same target grid share preprocessing.
public enum ResamplingSharing: String, Sendable, Hashable, Codable, CaseIterable {
    /// Share the whole preprocessed input among models whose normalisation is identical too (same scheme and
    /// intensity properties): the same input nnunetv2 would make for each. The default.
    case exact
    /// Share the resampling among models with mask-free normalisations; each normalises after it. nnunetv2
    /// clips CT intensities before its cubic B-spline, this clips after: segmentations differ at boundaries
    /// that cross the clip bounds (99.8 % of voxels agreed in `JobTests`).
    case lean
    /// Every model preprocesses alone, as `nnUNetv2_predict` does.
    case off
}

/// One model's part of the plan.
public struct PlannedModel: Sendable, Hashable {
    public var entry: CatalogEntry
    /// Structures it is used for.
    public var structures: [Structure]
    /// nnU-Net target spacing and shape for this image (transposed axes), before any crop.
    public var targetSpacing: [Double]
    public var targetShape: [Int]
    /// Classes the network outputs (background included).
    public var classCount: Int
    /// Runs on the kidney box when the locator found one.
    public var cropsToKidneys: Bool
    /// The network's patch in mm along x, y, z: a kidney box is never smaller, so that no patch reaches
    /// into padding (a cut field of view lowered kidney Dice from 0.96 to 0.75–0.84 on phantoms).
    public var patchExtentMM: SIMD3<Double>
    /// Whether its normalisation can follow a shared resampling.
    public var canShareResampling: Bool
    /// Transpose and data-resampling settings: models share a resampling only when these match too.
    public var resamplingKey: String
    /// The normalisation schemes with their intensity properties (`.exact` sharing needs these equal).
    public var normalizationKey: String
    /// Estimated peak bytes of this model's step beyond the job's resident arrays.
    public var estimatedBytes: Int
}

/// Models that share one resampled input.
public struct ResampleGroup: Sendable, Hashable {
    /// E.g. `2.5×1.5×1.5 mm (z, y, x)` (`, kidney box` when cropped).
    public var name: String
    public var models: [PlannedModel]
    /// True when the CT is resampled once for all `models`.
    public var sharesResampling: Bool
}

/// The job as planned from the header.
public struct JobPlan: Sendable, Hashable {
    public var image: ImageInfo
    public var options: PlanningOptions
    /// The preview model (run first; also the kidney locator), when any.
    public var preview: PlannedModel?
    public var groups: [ResampleGroup]
    /// Arrays held for the whole job: CT, merged labels, fat candidate, masks.
    public var residentBytes: Int
    public var estimatedPeakBytes: Int
    /// Selection reasons and planning notes, one line each.
    public var notes: [String]

    public var models: [PlannedModel] { groups.flatMap(\.models) }
}

/// Plans jobs for one catalog.
public struct JobPlanner: Sendable {
    public let catalog: ModelCatalog
    public let selector: ModelSelector

    public init(catalog: ModelCatalog, selector: ModelSelector? = nil) {
        self.catalog = catalog
        self.selector = selector ?? ModelSelector(catalog: catalog)
    }

    /// Selects and plans. Throws before any voxel is read when the request is impossible or over budget.
    public func plan(
        _ request: SegmentationRequest, image: ImageInfo, options: PlanningOptions = .init()
    ) throws(SegmentationError) -> JobPlan {
        guard image.voxelCount > 0 else { throw SegmentationError(.invalidImage, "the image has no voxels") }
        let selection = try selector.select(request, image: image)
        var notes = selection.reasons
        let needsLocator = options.cropToKidneys && selection.models.contains { $0.entry.region != .whole }
        var previewEntry = selection.preview
        if previewEntry == nil, needsLocator,
            let locator = try? selector.choose(
                among: catalog.models.filter { $0.role == .preview }, for: "kidney locator", pins: request.pins,
                image: image)
        {
            previewEntry = locator.0
            notes.append(locator.1)
        }
        let preview = try previewEntry.map { (entry) throws(SegmentationError) in
            try plannedModel(entry, structures: entry.structures, image: image, options: options, crops: false)
        }
        let planned = try selection.models.map { (item) throws(SegmentationError) in
            try plannedModel(
                item.entry, structures: item.structures, image: image, options: options,
                crops: preview != nil && options.cropToKidneys && item.entry.region != .whole)
        }
        let groups = Self.grouped(planned, sharing: options.sharing)
        for group in groups where group.models.count > 1 {
            notes.append(
                group.sharesResampling
                    ? "\(group.name): one resampling for \(group.models.map(\.entry.id).joined(separator: ", "))"
                    : "\(group.name): same grid, resampled per model")
        }
        let resident = MemoryModel.residentBytes(image: image)
        let steps = ([preview].compactMap { $0 } + planned).map(\.estimatedBytes)
        let groupInputs = groups.map { group in
            group.sharesResampling ? MemoryModel.sharedInputBytes(group.models[0]) : 0
        }
        let peak =
            resident
            + zip(groups, groupInputs).map { group, input in
                input + (group.models.map(\.estimatedBytes).max() ?? 0)
            }.reduce(steps.max() ?? 0, max)
        let plan = JobPlan(
            image: image, options: options, preview: preview, groups: groups, residentBytes: resident,
            estimatedPeakBytes: peak, notes: notes)
        if let budget = options.memoryBudgetBytes, peak > budget {
            throw SegmentationError(
                .overBudget,
                "the job needs about \(describeBytes(peak)) at its peak, over the \(describeBytes(budget)) budget"
            )
        }
        return plan
    }

    func plannedModel(
        _ entry: CatalogEntry, structures: [Structure], image: ImageInfo, options: PlanningOptions, crops: Bool
    ) throws(SegmentationError) -> PlannedModel {
        let path = catalog.folderPath(entry)
        do {
            let folder = try ModelFolder(path: path)
            let configuration = try folder.plans.configuration(entry.configuration)
            let preprocessor = Preprocessor(plans: folder.plans, configuration: configuration)
            let grid = try preprocessor.plannedGrid(size: image.size, spacing: image.geometry.spacing)
            let architecture = try folder.architecture(entry.configuration)
            let schemes = try (0..<configuration.normalizationSchemes.count).map { (channel) throws(NNUNetError) in
                try NormalizationScheme(configuration: configuration, plans: folder.plans, channel: channel)
            }
            let patch = Array(repeating: 1, count: 3 - configuration.patchSize.count) + configuration.patchSize
            var extent = SIMD3<Double>(repeating: 0)  // x, y, z
            for (axis, original) in folder.plans.transposeForward.enumerated() where axis < 3 && original < 3 {
                extent[2 - original] = Double(patch[axis]) * grid.spacing[axis]
            }
            var model = PlannedModel(
                entry: entry, structures: structures, targetSpacing: grid.spacing, targetShape: grid.shape,
                classCount: architecture.classCount, cropsToKidneys: crops, patchExtentMM: extent,
                canShareResampling: !schemes.contains(where: \.needsMask),
                resamplingKey: "\(folder.plans.transposeForward) \(configuration.resamplingData)",
                normalizationKey: "\(schemes)", estimatedBytes: 0)
            model.estimatedBytes = MemoryModel.stepBytes(
                model, image: image, patchSize: configuration.patchSize, features: architecture.featuresPerStage)
            return model
        } catch {
            throw SegmentationError(.model, "model \(entry.id) (\(path)): \(error)", underlying: error)
        }
    }

    /// Models grouped by target grid and region (and normalisation for `.exact`), in first-appearance order.
    static func grouped(_ models: [PlannedModel], sharing: ResamplingSharing) -> [ResampleGroup] {
        var groups: [ResampleGroup] = []
        var keys: [String] = []
        for model in models {
            let spacing = model.targetSpacing.map { format($0) }.joined(separator: "×")
            let name = "\(spacing) mm (z, y, x)" + (model.cropsToKidneys ? ", kidney box" : "")
            var key = name + " " + model.resamplingKey
            if sharing == .exact { key += " " + model.normalizationKey }
            let shareable = sharing == .exact || (sharing == .lean && model.canShareResampling)
            if let index = keys.firstIndex(of: key),
                groups[index].models[0].canShareResampling == model.canShareResampling
            {
                groups[index].models.append(model)
                groups[index].sharesResampling = groups[index].sharesResampling && shareable
            } else {
                keys.append(key)
                // Same grid, different normalisation (`.exact`): a second group, named after its first model.
                let unique = groups.contains { $0.name == name } ? "\(name), \(model.entry.id)" : name
                groups.append(ResampleGroup(name: unique, models: [model], sharesResampling: shareable))
            }
        }
        for index in groups.indices where groups[index].models.count == 1 {
            groups[index].sharesResampling = false
        }
        return groups
    }
}
