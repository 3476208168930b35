// The image service: the one stage that reads the CT. A task (mask-step contract, input `ct`) plans the job
// from the CT's header, admits it only within the memory budget, reads the CT once, runs the one-read
// segmentation job and writes the label map, the fat-candidate mask, the preview and one cropped mask per
// structure under `outputPrefix`; each becomes an `artifact` event once it is stored (a model's masks the
// moment the model ends). The catalog's available models are loaded once, after the service starts
// listening: `/ready` answers 503 and tasks are refused (503, the gateway retries) until they are; jobs reuse
// the loaded networks. A DELETE of a task stops its job before the next model or tile, and nothing more is
// written.
public import Foundation
public import Hummingbird
public import Logging
import NiftiIO
public import Segmentation
public import ServiceContracts
public import ServiceSupport
import VolumeCore

/// What the image service needs beyond every service's settings.
public struct ImageServiceConfiguration: Sendable {
    public var service: ServiceConfiguration
    /// The model catalog (JSON); model folders resolve against its folder.
    public var catalogPath: String
    /// Jobs whose planned peak memory would take the service's total over this are refused (503, retried).
    public var memoryBudgetBytes: Int

    public init(service: ServiceConfiguration, catalogPath: String, memoryBudgetBytes: Int = 8 << 30) {
        self.service = service
        self.catalogPath = catalogPath
        self.memoryBudgetBytes = memoryBudgetBytes
    }
}

/// Memory the running jobs have reserved (their planned peaks), against the budget.
final class MemoryBudget: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var reserved = 0

    var inUse: Int { lock.withLock { reserved } }

    init(limit: Int) { self.limit = limit }

    func reserve(_ bytes: Int) throws(ServiceError) {
        let granted = lock.withLock {
            guard reserved == 0 || reserved + bytes <= limit else { return false }
            reserved += bytes
            return true
        }
        guard granted else {
            throw ServiceError(
                .unavailable, "memory budget: \(bytes) bytes planned, \(limit - inUse) of \(limit) free; retry later")
        }
    }

    func release(_ bytes: Int) { lock.withLock { reserved -= bytes } }
}

/// An error raised inside an event callback, rethrown after the job returns.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    var error: (any Error)? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

public struct ImageService: Sendable {
    public let configuration: ImageServiceConfiguration
    public let catalog: ModelCatalog
    public let store: ObjectStore
    /// False until the models are loaded.
    public let readiness = Readiness(ready: false)
    let budget: MemoryBudget
    let models = ModelShelf()

    /// Loads and checks the catalog (the models' weights load in `loadModels`).
    public init(configuration: ImageServiceConfiguration) throws {
        try configuration.service.validate()
        self.configuration = configuration
        catalog = try ModelCatalog.load(configuration.catalogPath)
        store = try ObjectStore(configuration: configuration.service)
        budget = MemoryBudget(limit: configuration.memoryBudgetBytes)
    }

    /// Loads every available model of the catalog (its checkpoints read once), then reports ready. On a
    /// failure the service stays not ready and refuses tasks with the reason.
    public func loadModels(logger: Logger) {
        let started = Date()
        do {
            let loaded = try LoadedModels.load(catalog) { id in
                models.countCheckpointRead()
                logger.info("model loaded", metadata: ["model": "\(id)"])
            }
            models.set(loaded)
            readiness.isReady = true
            logger.info(
                "models loaded",
                metadata: [
                    "models": "\(loaded.ids.joined(separator: ","))",
                    "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))",
                ])
        } catch {
            models.fail("\(error)")
            logger.error("models failed to load: \(error)")
        }
    }

    /// Starts `loadModels` on its own thread (CPU-bound: it must not hold a cooperative thread).
    public func startLoadingModels(logger: Logger) {
        let thread = Thread { loadModels(logger: logger) }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// A task's work, as the task board and the queue worker run it.
    public var work: TaskBoard.CancellableWork {
        { request, emit, isCancelled in
            defer { self.store.dropCached(under: "jobs/\(request.jobID)") }
            try self.run(request, emit: emit, isCancelled: isCancelled)
        }
    }

    /// Admission within the memory budget (`admit`), as the task board calls it: a job above the whole budget
    /// runs alone.
    public var admission: @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void) {
        { request throws(ServiceError) in try self.admit(request) }
    }

    /// Admission as the queue worker calls it: a job above the whole budget fails (design note 0008); one that
    /// does not fit beside the running jobs stays queued.
    public var queueAdmission: @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void) {
        { request throws(ServiceError) in try self.admit(request, refusingOverBudget: true) }
    }

    /// The router: probes, and the task routes behind the gateway's signature.
    public func router(logger: Logger) -> Router<ServiceRequestContext> {
        let board = TaskBoard(admit: admission, cancellable: work)
        let router = ServiceHost.stageRouter(
            board: board, secret: configuration.service.secret, store: store, readiness: readiness)
        router.get("/metrics") { _, _ -> Response in
            let text = [
                "# HELP organa_memory_budget_bytes The image service's memory budget.",
                "# TYPE organa_memory_budget_bytes gauge", "organa_memory_budget_bytes \(budget.limit)",
                "# HELP organa_memory_in_use_bytes Planned peak memory of the jobs running now.",
                "# TYPE organa_memory_in_use_bytes gauge", "organa_memory_in_use_bytes \(budget.inUse)",
                "# HELP organa_checkpoint_reads_total Models whose checkpoints were read (start-up and jobs).",
                "# TYPE organa_checkpoint_reads_total counter",
                "organa_checkpoint_reads_total \(models.checkpointReads)",
                "# HELP organa_models_loaded Models held in memory.", "# TYPE organa_models_loaded gauge",
                "organa_models_loaded \(models.loaded?.models.count ?? 0)",
            ].joined(separator: "\n")
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
        return router
    }

    /// Plans from the header and reserves the planned peak memory.
    /// With `refusingOverBudget` (queue mode), a job planned above the whole budget is refused for good
    /// (`.unprocessable`: no replica with this budget can take it) instead of running alone.
    func admit(
        _ request: TaskRequest, refusingOverBudget: Bool = false
    ) throws(ServiceError) -> @Sendable () -> Void {
        guard models.loaded != nil else {
            throw ServiceError(.unavailable, "the models are not loaded: \(models.failure ?? "still loading")")
        }
        let plan = try plan(request)
        if refusingOverBudget, plan.estimatedPeakBytes > budget.limit {
            throw ServiceError(
                .unprocessable,
                "job \(request.jobID) is planned to need \(plan.estimatedPeakBytes) bytes, more than the image "
                    + "service's whole memory budget of \(budget.limit) bytes")
        }
        try budget.reserve(plan.estimatedPeakBytes)
        let bytes = plan.estimatedPeakBytes
        return { [budget] in budget.release(bytes) }
    }

    func plan(_ request: TaskRequest) throws(ServiceError) -> JobPlan {
        guard let key = request.inputs["ct"] else { throw ServiceError(.unprocessable, "the task has no input ct") }
        let path = try store.localFile(for: key).path
        do {
            let header = try NiftiReader.readHeader(path)
            let image = ImageInfo(size: try header.gridSize(), geometry: try header.geometry())
            return try JobPlanner(catalog: catalog).plan(
                try Self.segmentationRequest(request.options), image: image,
                options: PlanningOptions(mirroring: request.options.mirroring, tileStep: request.options.tileStep))
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.unprocessable, "cannot plan job \(request.jobID): \(error)", underlying: error)
        }
    }

    /// The library's request from the API's options.
    public static func segmentationRequest(_ options: JobOptions) throws(ServiceError) -> SegmentationRequest {
        var structures: [Structure] = []
        for name in options.structures {
            guard let structure = Structure(name: name) else {
                let known = Structure.allCases.map(\.rawValue).joined(separator: ", ")
                throw ServiceError(.unprocessable, "unknown structure '\(name)' (known: \(known))")
            }
            structures.append(structure)
        }
        return SegmentationRequest(structures: structures, pins: options.pins, preview: options.preview)
    }

    /// Reads the CT once, runs the job with the loaded models, stores its products (each model's masks as
    /// it ends). Stops when `isCancelled` answers true, writing nothing more.
    func run(
        _ request: TaskRequest, emit: @escaping @Sendable (TaskEvent) -> Void,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws {
        let plan = try plan(request)
        let ct = try store.localFile(for: request.inputs["ct"]!).path
        let image = try NiftiReader.read(ct)
        let volume: Volume<Int16>
        if case .int16(let v) = image.volume {
            volume = v
        } else {
            volume = image.volume.converted(to: Double.self).map { Int16(clampingTruncating: $0.rounded()) }
        }
        emit(.progress("segmenting", done: 0, total: plan.models.count + (plan.preview == nil ? 0 : 1)))
        let prefix = request.outputPrefix
        let failure = FailureBox()
        let job = SegmentationJob(plan: plan, catalog: catalog, models: models.loaded)
        let result = try job.run(
            volume,
            events: { event in
                do {
                    try storeProducts(of: event, prefix: prefix, emit: emit, isCancelled: isCancelled)
                } catch { failure.error = failure.error ?? error }
            }, isCancelled: isCancelled)
        if let error = failure.error { throw error }
        try checkCancellation(isCancelled)
        try store.putLabelMap(result.labels, key: prefix + "labels.nii.gz", kind: "labels", emit: emit)
        try store.putLabelMap(
            result.fatCandidate, key: prefix + "fat_candidate.nii.gz", kind: "fat-candidate", emit: emit)
        try store.put(prefix + "segmentation.json", data: try JobStore.encode(Self.summary(plan, result)))
    }

    /// Handles a job event: progress is reported; the preview's label map and each finished model's masks are
    /// stored and announced at once (the gateway meshes the preview while the full models run).
    func storeProducts(
        of event: SegmentationEvent, prefix: String, emit: @escaping @Sendable (TaskEvent) -> Void,
        isCancelled: () -> Bool
    ) throws {
        switch event {
        case .progress(let model, let done, let total): emit(.progress(model, done: done, total: total))
        case .previewReady(let labels):
            try checkCancellation(isCancelled)
            try store.putLabelMap(labels, key: prefix + "preview_labels.nii.gz", kind: "preview", emit: emit)
        case .modelFinished(_, let masks):
            for mask in masks {
                try checkCancellation(isCancelled)
                try store.putLabelMap(
                    mask.mask, key: prefix + "masks/\(mask.structure.rawValue).nii.gz", kind: "mask",
                    structure: mask.structure.rawValue, emit: emit)
            }
        case .modelLoaded: models.countCheckpointRead()
        case .started, .finished: break
        }
    }

    func checkCancellation(_ isCancelled: () -> Bool) throws(ServiceError) {
        if isCancelled() { throw ServiceError(.unavailable, "the task was cancelled") }
    }

    static func summary(_ plan: JobPlan, _ result: SegmentationResult) -> [String: [String]] {
        [
            "models": plan.models.map(\.entry.id) + (plan.preview.map { [$0.entry.id] } ?? []),
            "notes": plan.notes, "warnings": result.warnings,
            "structures": result.masks.keys.map(\.rawValue).sorted(),
        ]
    }
}
