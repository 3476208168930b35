public import ServiceContracts

/// What the gateway keeps about jobs: their state, event log and stage cursors. Implemented by `JobStore`
/// (SQLite, the default) and by the PostgreSQL store of queue mode, with the same semantics: a transition and
/// its `state` event are written in one transaction; a terminal job stays terminal; artifact events are unique
/// per key; every write to a job's log signals `changes` (job id) for readers in this process.
public protocol JobRecords: Sendable {
    /// Signalled (job id) after each write to a job's log in this process: new events, a transition, deletion.
    var changes: ChangeSignal { get }
    /// Records a new `queued` job (and its first event).
    func create(id: String, options: JobOptions) async throws(ServiceError) -> JobResource
    /// The job with its artifacts, or nil.
    func job(_ id: String) async throws(ServiceError) -> JobResource?
    /// Jobs that are neither done nor failed, oldest first.
    func unfinished() async throws(ServiceError) -> [JobResource]
    /// Number of jobs per state.
    func counts() async throws(ServiceError) -> [JobState: Int]
    /// Moves the job to `state` and appends the `state` event, in one transaction; nil when nothing changed
    /// (the job is terminal or already there). `.notFound` for an unknown job.
    func transition(_ id: String, to state: JobState, error: String?) async throws(ServiceError) -> JobEvent?
    /// Appends a stage's task events and records that `through` of them are consumed, in one transaction;
    /// returns the events added (an artifact whose key is already announced is skipped).
    func appendTaskEvents(
        _ events: [TaskEvent], jobID: String, stage: String, through consumed: Int
    ) async throws(ServiceError) -> [JobEvent]
    /// How many of a stage's task events are already in the log.
    func consumed(jobID: String, stage: String) async throws(ServiceError) -> Int
    /// Events with a sequence above `after`, in order.
    func events(_ id: String, after: Int) async throws(ServiceError) -> [JobEvent]
    /// Deletes the job and its log; false when there was none.
    func delete(_ id: String) async throws(ServiceError) -> Bool
}

extension JobRecords {
    /// `transition(_:to:error:)` without an error message.
    @discardableResult
    public func transition(_ id: String, to state: JobState) async throws(ServiceError) -> JobEvent? {
        try await transition(id, to: state, error: nil)
    }
}

extension JobStore: JobRecords {}

extension TaskEvent {
    /// This task event as the job log records it for `stage`, and its dedupe key: an artifact is announced once
    /// per key, so a retried stage does not announce it twice.
    public func jobLogEntry(stage: String) -> (event: JobEvent, dedupe: String?) {
        (
            JobEvent(type: type, stage: self.stage ?? stage, done: done, total: total, artifact: artifact),
            artifact.map { "artifact:\($0.key)" }
        )
    }
}
