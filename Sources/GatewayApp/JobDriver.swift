// Drives each job through its stages: image → post → mesh (and configured mask steps beside mesh) → done.
// Every stage is a task on a stage service (mask-step contract) or, in queue mode, a built-in stage's row in the
// PostgreSQL queue (`StageTransport`): the driver asks for its status, starts it when the stage does not know it
// (first time, or the service restarted and lost it), and copies new task events into the job's log (persisted
// before SSE clients see them). HTTP status requests long-poll (`after`, `wait`): the stage answers the moment
// its task has a new event or ends; a stage that answers at once instead (a queued task, a step without
// long-polling) is asked again after `pollInterval`. A service that does not answer is retried with
// backoff; a restarted gateway calls `resume()` and drives every unfinished job on from its persisted state.
import Foundation
import Logging
import PostgresStore
import ServiceContracts
import ServiceSupport

actor JobDriver {
    let configuration: GatewayConfiguration
    let store: any JobRecords
    /// The gateway's object store (the job's input; its cache in S3 mode).
    let objects: ObjectStore
    let logger: Logger
    let metrics: GatewayMetrics
    /// How each stage is reached, by stage name.
    let transports: [String: any StageTransport]
    /// The stage queue in queue mode.
    let queue: StageQueue?
    private var running: [String: Task<Void, Never>] = [:]

    init(
        configuration: GatewayConfiguration, store: any JobRecords, objects: ObjectStore, queue: StageQueue?,
        logger: Logger, metrics: GatewayMetrics
    ) throws(ServiceError) {
        self.configuration = configuration
        self.store = store
        self.objects = objects
        self.queue = queue
        self.logger = logger
        self.metrics = metrics
        transports = try Self.transports(configuration, queue: queue)
    }

    /// Built-in stages through the queue when there is one, else over HTTP; mask steps over HTTP.
    static func transports(
        _ configuration: GatewayConfiguration, queue: StageQueue?
    ) throws(ServiceError) -> [String: any StageTransport] {
        let client = InternalClient(signer: RequestSigner(secret: configuration.service.secret))
        let http = { (step: StepEndpoint) in
            HTTPStageTransport(step: step, client: client, statusWait: configuration.statusWait)
        }
        var transports: [String: any StageTransport] = [:]
        let builtIn = [
            "image": configuration.image, "preview-mesh": configuration.mesh, "post": configuration.post,
            "mesh": configuration.mesh,
        ]
        for (name, url) in builtIn {
            if let queue {
                transports[name] = QueueStageTransport(stage: name, queue: queue)
            } else if let url {
                transports[name] = http(StepEndpoint(name: name, url: url))
            } else {
                throw ServiceError(.configuration, "no URL for the \(name) stage (and no database for queue mode)")
            }
        }
        for step in configuration.maskSteps { transports[step.name] = http(step) }
        return transports
    }

    /// Starts driving every job the store has not finished.
    func resume() async throws {
        for job in try await store.unfinished() { start(job.id) }
    }

    /// Starts driving a job (no-op when it is already driven).
    func start(_ id: String) {
        guard running[id] == nil else { return }
        running[id] = Task { [self] in
            await drive(id)
            // S3 mode: the job's uploaded CT leaves the gateway's cache once the job has ended.
            objects.dropCached(under: "jobs/\(id)")
            finished(id)
        }
    }

    /// Stops driving a job (it is being deleted).
    func cancel(_ id: String) {
        running[id]?.cancel()
        running[id] = nil
    }

    var activeCount: Int { running.count }

    /// Asks every stage to stop the job's task, all at once, and returns once they have ended: HTTP stages
    /// (signed `DELETE /internal/v1/tasks/{job}-{stage}`, answered when the task has ended) and, in queue mode,
    /// the job's queued tasks (`cancel_requested`, seen at the worker's next renewal; waited for up to
    /// `cancelWait` seconds, then the rows are removed).
    nonisolated func stopTasks(_ id: String) async {
        await withTaskGroup(of: Void.self) { group in
            for (name, transport) in transports {
                guard let http = transport as? HTTPStageTransport else { continue }
                group.addTask {
                    if await http.stop("\(id)-\(name)", jobID: id) {
                        self.logger.info("stage \(name) task stopped", metadata: ["job_id": "\(id)"])
                    }
                }
            }
            if let queue {
                group.addTask { await self.stopQueued(id, queue: queue) }
            }
        }
    }

    /// How long, in seconds, a deleted job waits for its queued tasks' workers to stop.
    static let cancelWait: Double = 20

    nonisolated func stopQueued(_ id: String, queue: StageQueue) async {
        do {
            try await queue.cancel(jobID: id)
            let deadline = ContinuousClock.now + .seconds(Self.cancelWait)
            while try await queue.isRunning(jobID: id), ContinuousClock.now < deadline {
                try await Task.sleep(nanoseconds: UInt64(configuration.pollInterval * 1e9))
            }
            try await queue.remove(jobID: id)
        } catch {
            logger.notice("queued tasks not stopped: \(error)", metadata: ["job_id": "\(id)"])
        }
    }

    private func finished(_ id: String) { running[id] = nil }

    /// A permanent failure: the job fails with this message.
    struct StageFailure: Error { var message: String }

    nonisolated func drive(_ id: String) async {
        let logger = {
            var logger = self.logger
            logger[metadataKey: "job_id"] = "\(id)"
            return logger
        }()
        do {
            while !Task.isCancelled, let job = try await store.job(id), !job.state.isTerminal {
                let prefix = "jobs/\(id)/"
                let started = Date()
                switch job.state {
                case .queued:
                    try await announce(id, .segmenting, logger: logger)
                case .segmenting:
                    let ct = try await inputKey(id)
                    try await withThrowingTaskGroup(of: String.self) { group in
                        group.addTask {
                            try await self.runStage(
                                "image", job: job, inputs: ["ct": ct], prefix: prefix, logger: logger)
                            return "image"
                        }
                        if job.options.preview {
                            group.addTask {
                                try await self.meshPreview(job, prefix: prefix, logger: logger)
                                return "preview"
                            }
                        }
                        // No preview map once segmentation is over: nothing to mesh early.
                        while let finished = try await group.next() {
                            if finished == "image", try await !hasArtifact(id, key: prefix + "preview_labels.nii.gz") {
                                group.cancelAll()
                            }
                        }
                    }
                    try await announce(id, job.options.segmentOnly ? .done : .postprocessing, logger: logger)
                case .postprocessing:
                    try await runStage(
                        "post", job: job,
                        inputs: ["labels": prefix + "labels.nii.gz", "fatCandidate": prefix + "fat_candidate.nii.gz"],
                        prefix: prefix, logger: logger)
                    try await announce(id, .meshing, logger: logger)
                case .meshing:
                    let inputs = [
                        "labels": prefix + "post/labels_corrected.nii.gz",
                        "fatCandidate": prefix + "fat_candidate.nii.gz",
                    ]
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await self.runStage(
                                "mesh", job: job, inputs: inputs, prefix: prefix, logger: logger)
                        }
                        for step in configuration.maskSteps {
                            group.addTask {
                                try await self.runStage(
                                    step.name, job: job, inputs: inputs, prefix: prefix + "steps/\(step.name)/",
                                    logger: logger)
                            }
                        }
                        try await group.waitForAll()
                    }
                    try await announce(id, .done, logger: logger)
                case .done, .failed:
                    break
                }
                metrics.recordStage(job.state.rawValue, seconds: Date().timeIntervalSince(started))
            }
        } catch let failure as StageFailure {
            logger.error("job failed: \(failure.message)")
            _ = try? await store.transition(id, to: .failed, error: failure.message)
        } catch is CancellationError {
            logger.info("job no longer driven (cancelled)")
        } catch {
            logger.error("job driver stopped: \(error)")
            _ = try? await store.transition(id, to: .failed, error: "\(error)")
        }
    }

    /// Meshes the preview's label map as soon as the image service has stored it (`preview/meshes/…`), while
    /// the full models still run.
    nonisolated func meshPreview(_ job: JobResource, prefix: String, logger: Logger) async throws {
        let key = prefix + "preview_labels.nii.gz"
        while true {
            let generation = store.changes.generation(job.id)
            if try await hasArtifact(job.id, key: key) { break }
            // Woken by the job's next event (or after `pollInterval`).
            await store.changes.wait(
                job.id, since: generation, until: .now + .milliseconds(Int(configuration.pollInterval * 1000)))
            if Task.isCancelled { return }  // segmentation ended without a preview
        }
        try await runStage(
            "preview-mesh", job: job, inputs: ["labels": key],
            prefix: prefix + "preview/", logger: logger)
    }

    nonisolated func hasArtifact(_ id: String, key: String) async throws -> Bool {
        try await store.job(id)?.artifacts.contains { $0.key == key } == true
    }

    nonisolated func announce(_ id: String, _ state: JobState, logger: Logger) async throws {
        if try await store.transition(id, to: state) != nil { logger.info("job is \(state.rawValue)") }
    }

    nonisolated func inputKey(_ id: String) async throws -> String {
        for name in ["ct.nii.gz", "ct.nii"] where try await objects.exists("jobs/\(id)/input/\(name)") {
            return "jobs/\(id)/input/\(name)"
        }
        throw StageFailure(message: "the job's CT is missing from storage")
    }

    /// Appends a task's events past `consumed` to the job's log; returns how many of its events are in it now.
    nonisolated func copyEvents(
        of task: TaskStatus, consumed: Int, jobID: String, stage: String
    ) async throws -> Int {
        var consumed = consumed
        if task.events.count < consumed { consumed = 0 }  // the service restarted and ran it again
        if task.events.count > consumed {
            _ = try await store.appendTaskEvents(
                Array(task.events[consumed...]), jobID: jobID, stage: stage, through: task.events.count)
        }
        return task.events.count
    }

    /// Runs one stage to its end, surviving restarts of its service (and of the gateway: the task id is stable).
    nonisolated func runStage(
        _ stage: String, job: JobResource, inputs: [String: String], prefix: String, logger: Logger
    ) async throws {
        guard let transport = transports[stage] else { throw StageFailure(message: "no stage \(stage)") }
        let taskID = "\(job.id)-\(stage)"
        let request = TaskRequest(jobID: job.id, inputs: inputs, outputPrefix: prefix, options: job.options)
        var consumed = try await store.consumed(jobID: job.id, stage: stage)
        var backoff = configuration.pollInterval
        while true {
            try Task.checkCancellation()
            do {
                let poll = try await transport.poll(taskID, request: request, after: consumed)
                try Task.checkCancellation()  // the job was deleted while the stage held the answer
                switch poll {
                case .status(let task):
                    let before = consumed
                    consumed = try await copyEvents(of: task, consumed: consumed, jobID: job.id, stage: stage)
                    switch task.state {
                    case .done: return
                    case .failed: throw StageFailure(message: "\(stage): \(task.error ?? "failed")")
                    case .cancelled: throw StageFailure(message: "\(stage): the task was cancelled")
                    case .running:
                        backoff = configuration.pollInterval
                        if consumed != before { continue }  // news: ask again at once
                    }
                case .started:
                    logger.info("stage \(stage) started")
                    continue
                case .busy(let reason):
                    logger.notice("stage \(stage) \(reason); retrying")
                    backoff = min(backoff * 2, 2)
                }
            } catch let error as ServiceError where error.code == .unavailable {
                logger.notice("stage \(stage) unreachable; retrying in \(backoff) s")
                backoff = min(backoff * 2, 2)
            }
            try await Task.sleep(nanoseconds: UInt64(backoff * 1e9))
        }
    }
}
