// The mask-step contract (api/mask-step.openapi.json): how the gateway drives a stage service. Every stage
// (image, post, mesh, or any step in any language listed in the gateway's configuration) implements
//   PUT /internal/v1/tasks/{taskId}   body TaskRequest → 202 TaskStatus (idempotent: a known id answers its status)
//   GET /internal/v1/tasks/{taskId}   → 200 TaskStatus, 404 when the service does not know the task
//   DELETE /internal/v1/tasks/{taskId} → stops a running task; 200 TaskStatus once it has ended (`cancelled`),
//                                        202 while it is still stopping, 404 when the service does not know it
// Inputs and outputs are storage keys; a step reads masks by key and writes its results under `outputPrefix`.

/// Path prefix of the stage services' task routes.
public enum TaskRoutes {
    public static let tasks = "/internal/v1/tasks"
}

/// Headers of signed internal calls and of the job id that follows a job across services.
public enum InternalHeaders {
    /// Seconds since 1970 when the gateway signed the call.
    public static let timestamp = "X-Organa-Timestamp"
    /// Hex HMAC-SHA256 over `METHOD\nPATH\nTIMESTAMP\nhex(SHA256(body))` with the shared secret.
    public static let signature = "X-Organa-Signature"
    /// The job a call belongs to (logged by every service).
    public static let jobID = "X-Organa-Job-Id"
}

/// What a stage is asked to do.
public struct TaskRequest: Codable, Sendable, Hashable {
    public var jobID: String
    /// Role → storage key (`ct`, `labels`, `fatCandidate`, `correctedLabels`).
    public var inputs: [String: String]
    /// Where results go (`jobs/{id}/`); keys the step writes start with it.
    public var outputPrefix: String
    public var options: JobOptions

    public init(jobID: String, inputs: [String: String], outputPrefix: String, options: JobOptions) {
        self.jobID = jobID
        self.inputs = inputs
        self.outputPrefix = outputPrefix
        self.options = options
    }
}

/// `running`, `done`, `failed`, `cancelled` (stopped by a DELETE; it writes nothing more).
public enum TaskState: String, Codable, Sendable {
    case running, done, failed, cancelled
}

/// Something a stage reports while it runs: progress, or a result that now exists in storage.
public struct TaskEvent: Codable, Sendable, Hashable {
    /// `progress` or `artifact`.
    public var type: String
    public var stage: String?
    public var done: Int?
    public var total: Int?
    public var artifact: Artifact?

    public init(type: String, stage: String? = nil, done: Int? = nil, total: Int? = nil, artifact: Artifact? = nil) {
        self.type = type
        self.stage = stage
        self.done = done
        self.total = total
        self.artifact = artifact
    }

    public static func progress(_ stage: String, done: Int, total: Int) -> TaskEvent {
        TaskEvent(type: "progress", stage: stage, done: done, total: total)
    }

    public static func artifact(_ artifact: Artifact) -> TaskEvent { TaskEvent(type: "artifact", artifact: artifact) }
}

/// A task's state and every event so far (the gateway reads those past what it already has).
public struct TaskStatus: Codable, Sendable, Hashable {
    public var taskID: String
    public var state: TaskState
    public var events: [TaskEvent]
    /// Why it failed; `errorCode` is `invalidInput` when retrying cannot help.
    public var error: String?
    public var errorCode: String?

    public init(
        taskID: String, state: TaskState, events: [TaskEvent] = [], error: String? = nil, errorCode: String? = nil
    ) {
        self.taskID = taskID
        self.state = state
        self.events = events
        self.error = error
        self.errorCode = errorCode
    }
}
