// Drives each job through its stages: image → post → mesh (and configured mask steps beside mesh) → done.
// Every stage is a task on a stage service (mask-step contract): the driver asks for its status, PUTs it when
// the service does not know it (first time, or the service restarted and lost it), and copies new task events
// into the job's log (persisted before SSE clients see them). Status requests long-poll (`after`, `wait`): the
// stage answers the moment its task has a new event or ends; a step that answers at once instead is asked
// again after `pollInterval`. A service that does not answer is retried with
// backoff; a restarted gateway calls `resume()` and drives every unfinished job on from its persisted state.
import Foundation
import Logging
import ServiceContracts
import ServiceSupport

actor JobDriver {
    let configuration: GatewayConfiguration
    let store: JobStore
    let client: InternalClient
    let logger: Logger
    let metrics: GatewayMetrics
    private var running: [String: Task<Void, Never>] = [:]

    init(configuration: GatewayConfiguration, store: JobStore, logger: Logger, metrics: GatewayMetrics) {
        self.configuration = configuration
        self.store = store
        self.client = InternalClient(signer: RequestSigner(secret: configuration.service.secret))
        self.logger = logger
        self.metrics = metrics
    }

    /// Starts driving every job the store has not finished.
    func resume() throws {
        for job in try store.unfinished() { start(job.id) }
    }

    /// Starts driving a job (no-op when it is already driven).
    func start(_ id: String) {
        guard running[id] == nil else { return }
        running[id] = Task { [self] in
            await drive(id)
            await finished(id)
        }
    }

    /// Stops driving a job (it is being deleted).
    func cancel(_ id: String) {
        running[id]?.cancel()
        running[id] = nil
    }

    var activeCount: Int { running.count }

    /// Every stage a job may have a task on: image, preview meshing, post, mesh and the mask steps.
    nonisolated var stages: [StepEndpoint] {
        [
            StepEndpoint(name: "image", url: configuration.image),
            StepEndpoint(name: "preview-mesh", url: configuration.mesh),
            StepEndpoint(name: "post", url: configuration.post), StepEndpoint(name: "mesh", url: configuration.mesh),
        ] + configuration.maskSteps
    }

    /// Asks every stage to stop the job's task (signed `DELETE /internal/v1/tasks/{job}-{stage}`, all at once);
    /// each answers once its task has ended. Unknown tasks (404) and unreachable services are skipped: a
    /// service that is down runs nothing.
    nonisolated func stopTasks(_ id: String) async {
        await withTaskGroup(of: Void.self) { group in
            for step in stages {
                group.addTask {
                    let path = "\(TaskRoutes.tasks)/\(id)-\(step.name)"
                    do {
                        let (status, _) = try await self.client.send("DELETE", base: step.url, path: path, jobID: id)
                        if status == 200 || status == 202 {
                            self.logger.info("stage \(step.name) task stopped", metadata: ["job_id": "\(id)"])
                        }
                    } catch {
                        self.logger.notice(
                            "stage \(step.name) not told to stop: \(error)", metadata: ["job_id": "\(id)"])
                    }
                }
            }
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
            while !Task.isCancelled, let job = try store.job(id), !job.state.isTerminal {
                let prefix = "jobs/\(id)/"
                let started = Date()
                switch job.state {
                case .queued:
                    try announce(id, .segmenting, logger: logger)
                case .segmenting:
                    let ct = try await inputKey(id)
                    try await withThrowingTaskGroup(of: String.self) { group in
                        group.addTask {
                            try await self.runStage(
                                StepEndpoint(name: "image", url: self.configuration.image), job: job,
                                inputs: ["ct": ct], prefix: prefix, logger: logger)
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
                            if finished == "image", try !hasArtifact(id, key: prefix + "preview_labels.nii.gz") {
                                group.cancelAll()
                            }
                        }
                    }
                    try announce(id, job.options.segmentOnly ? .done : .postprocessing, logger: logger)
                case .postprocessing:
                    try await runStage(
                        StepEndpoint(name: "post", url: configuration.post), job: job,
                        inputs: ["labels": prefix + "labels.nii.gz", "fatCandidate": prefix + "fat_candidate.nii.gz"],
                        prefix: prefix, logger: logger)
                    try announce(id, .meshing, logger: logger)
                case .meshing:
                    let inputs = [
                        "labels": prefix + "post/labels_corrected.nii.gz",
                        "fatCandidate": prefix + "fat_candidate.nii.gz",
                    ]
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await self.runStage(
                                StepEndpoint(name: "mesh", url: self.configuration.mesh), job: job, inputs: inputs,
                                prefix: prefix, logger: logger)
                        }
                        for step in configuration.maskSteps {
                            group.addTask {
                                try await self.runStage(
                                    step, job: job, inputs: inputs, prefix: prefix + "steps/\(step.name)/",
                                    logger: logger)
                            }
                        }
                        try await group.waitForAll()
                    }
                    try announce(id, .done, logger: logger)
                case .done, .failed:
                    break
                }
                metrics.recordStage(job.state.rawValue, seconds: Date().timeIntervalSince(started))
            }
        } catch let failure as StageFailure {
            logger.error("job failed: \(failure.message)")
            _ = try? store.transition(id, to: .failed, error: failure.message)
        } catch is CancellationError {
            logger.info("job no longer driven (cancelled)")
        } catch {
            logger.error("job driver stopped: \(error)")
            _ = try? store.transition(id, to: .failed, error: "\(error)")
        }
    }

    /// Meshes the preview's label map as soon as the image service has stored it (`preview/meshes/…`), while
    /// the full models still run.
    nonisolated func meshPreview(_ job: JobResource, prefix: String, logger: Logger) async throws {
        let key = prefix + "preview_labels.nii.gz"
        while true {
            let generation = store.changes.generation(job.id)
            if try hasArtifact(job.id, key: key) { break }
            // Woken by the job's next event (or after `pollInterval`).
            await store.changes.wait(
                job.id, since: generation, until: .now + .milliseconds(Int(configuration.pollInterval * 1000)))
            if Task.isCancelled { return }  // segmentation ended without a preview
        }
        try await runStage(
            StepEndpoint(name: "preview-mesh", url: configuration.mesh), job: job, inputs: ["labels": key],
            prefix: prefix + "preview/", logger: logger)
    }

    nonisolated func hasArtifact(_ id: String, key: String) throws -> Bool {
        try store.job(id)?.artifacts.contains { $0.key == key } == true
    }

    nonisolated func announce(_ id: String, _ state: JobState, logger: Logger) throws {
        if try store.transition(id, to: state) != nil { logger.info("job is \(state.rawValue)") }
    }

    nonisolated func inputKey(_ id: String) async throws -> String {
        let store = try ObjectStore(configuration: configuration.service)
        for name in ["ct.nii.gz", "ct.nii"] where try await store.exists("jobs/\(id)/input/\(name)") {
            return "jobs/\(id)/input/\(name)"
        }
        throw StageFailure(message: "the job's CT is missing from storage")
    }

    /// Appends a task's events past `consumed` to the job's log; returns how many of its events are in it now.
    nonisolated func copyEvents(of task: TaskStatus, consumed: Int, jobID: String, stage: String) throws -> Int {
        var consumed = consumed
        if task.events.count < consumed { consumed = 0 }  // the service restarted and ran it again
        if task.events.count > consumed {
            _ = try store.appendTaskEvents(
                Array(task.events[consumed...]), jobID: jobID, stage: stage, through: task.events.count)
        }
        return task.events.count
    }

    /// Runs one stage to its end, surviving restarts of its service (and of the gateway: the task id is stable).
    nonisolated func runStage(
        _ step: StepEndpoint, job: JobResource, inputs: [String: String], prefix: String, logger: Logger
    ) async throws {
        let taskID = "\(job.id)-\(step.name)"
        let path = "\(TaskRoutes.tasks)/\(taskID)"
        let request = TaskRequest(jobID: job.id, inputs: inputs, outputPrefix: prefix, options: job.options)
        let body = try JobStore.encode(request)
        var consumed = try store.consumed(jobID: job.id, stage: step.name)
        var backoff = configuration.pollInterval
        while true {
            try Task.checkCancellation()
            do {
                let poll = "\(path)?after=\(consumed)&wait=\(configuration.statusWait)"
                let (status, data) = try await client.send("GET", base: step.url, path: poll, jobID: job.id)
                try Task.checkCancellation()  // the job was deleted while the stage held the answer
                switch status {
                case 200:
                    let task = try JSONDecoder().decode(TaskStatus.self, from: data)
                    let before = consumed
                    consumed = try copyEvents(of: task, consumed: consumed, jobID: job.id, stage: step.name)
                    switch task.state {
                    case .done: return
                    case .failed: throw StageFailure(message: "\(step.name): \(task.error ?? "failed")")
                    case .cancelled: throw StageFailure(message: "\(step.name): the task was cancelled")
                    case .running:
                        backoff = configuration.pollInterval
                        if consumed != before { continue }  // news: ask again at once
                    }
                case 404:
                    let (put, answer) = try await client.send(
                        "PUT", base: step.url, path: path, body: body, jobID: job.id)
                    if put == 202 || put == 200 {
                        logger.info("stage \(step.name) started")
                        continue
                    }
                    let message = (try? JSONDecoder().decode(ErrorBody.self, from: answer))?.error.message
                    if (400..<500).contains(put) {
                        throw StageFailure(message: "\(step.name) refused the task: \(message ?? "HTTP \(put)")")
                    }
                    logger.notice("stage \(step.name) busy (HTTP \(put)): \(message ?? ""); retrying")
                    backoff = min(backoff * 2, 2)
                default:
                    logger.notice("stage \(step.name) answered HTTP \(status); retrying")
                    backoff = min(backoff * 2, 2)
                }
            } catch let error as ServiceError where error.code == .unavailable {
                logger.notice("stage \(step.name) unreachable; retrying in \(backoff) s")
                backoff = min(backoff * 2, 2)
            }
            try await Task.sleep(nanoseconds: UInt64(backoff * 1e9))
        }
    }
}
