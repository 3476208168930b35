// The stage queue of queue mode (design note 0008): the gateway inserts a built-in stage's task into
// `stage_task` (id `{job}-{stage}`, as on the HTTP contract); every image/post/mesh replica claims tasks of its
// stages, runs them and writes their events and end state back. Several replicas share the load, and a crashed
// replica's task is taken again once its lease has expired.
//
// Claim, in one transaction:
//   SELECT id, request FROM stage_task
//   WHERE stage = ANY($stages) AND NOT cancel_requested
//     AND (state = 'queued' OR (state = 'running' AND lease_until < now()))
//   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
// then admission (the image service's memory budget) and
//   UPDATE stage_task SET state = 'running', attempt = attempt + 1, worker_id = $me,
//     lease_until = now() + $lease WHERE id = $id RETURNING attempt
// plus a `stage_run` row (task, attempt, worker, started) and the end of the previous attempt's row (`expired`).
// SKIP LOCKED: two claimers never block on, nor take, the same row; the loser moves on to the next task. The
// SELECT and the UPDATE are two statements (not the note's one UPDATE … RETURNING) because admission sits
// between them: a task the replica cannot admit now is left as it was when the transaction ends (no attempt is
// spent), and another replica, or this one later, takes it.
//
// Leases: the worker renews `lease_until` every third of the lease while the work runs; the renewal answers
// `cancel_requested` (set by the gateway's DELETE), which the work sees through `isCancelled`. Every write of
// an attempt (its events, its end) carries `attempt = $mine AND state = 'running'`: once another replica has
// claimed the task again, the stale attempt's writes change nothing and it stops.
import Foundation
import Logging
import PostgresNIO
public import ServiceContracts
public import ServiceSupport

/// A task a worker holds: its attempt's writes are accepted while `attempt` is the task's current one.
public struct StageClaim: Sendable {
    public var taskID: String
    public var stage: String
    public var attempt: Int
    public var request: TaskRequest
}

public final class StageQueue: Sendable {
    public let database: PostgresBackend
    /// How long, in seconds, a claim holds a task without being renewed.
    public let leaseSeconds: Double

    public init(database: PostgresBackend, leaseSeconds: Double = 30) {
        self.database = database
        self.leaseSeconds = leaseSeconds
    }

    // MARK: The gateway's side

    /// Queues the task unless it is known (idempotent: a restarted gateway enqueues again).
    public func enqueue(_ taskID: String, stage: String, request: TaskRequest) async throws(ServiceError) {
        let body = String(decoding: try JobStore.encode(request), as: UTF8.self)
        _ = try await database.rows(
            "queue task \(taskID)",
            """
            INSERT INTO stage_task (id, job_id, stage, request) VALUES (\(taskID), \(request.jobID), \(stage), \(body))
            ON CONFLICT (id) DO NOTHING
            """)
    }

    /// The task's status with its current attempt's events (a queued task is `running` with none); nil for an
    /// unknown task.
    public func status(_ taskID: String) async throws(ServiceError) -> TaskStatus? {
        try await database.transaction("read task \(taskID)") { connection in
            let rows = try await connection.query(
                "SELECT state, attempt, error, error_code FROM stage_task WHERE id = \(taskID)", logger: Self.quiet)
            var found: (String, Int, String?, String?)?
            for try await row in rows.decode((String, Int, String?, String?).self) { found = row }
            guard let (state, attempt, error, code) = found else { return nil }
            let payloads = try await connection.query(
                """
                SELECT payload FROM stage_task_event WHERE task_id = \(taskID) AND attempt = \(attempt)
                ORDER BY sequence
                """, logger: Self.quiet)
            var events: [TaskEvent] = []
            for try await payload in payloads.decode(String.self) {
                events.append(try JSONDecoder().decode(TaskEvent.self, from: Data(payload.utf8)))
            }
            return TaskStatus(
                taskID: taskID, state: TaskState(rawValue: state) ?? .running, events: events, error: error,
                errorCode: code)
        }
    }

    /// Asks the job's tasks to stop: queued ones end `cancelled` at once, running ones at their worker's next
    /// renewal.
    public func cancel(jobID: String) async throws(ServiceError) {
        _ = try await database.rows(
            "cancel the tasks of job \(jobID)",
            """
            UPDATE stage_task SET cancel_requested = true,
                state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END
            WHERE job_id = \(jobID)
            """)
    }

    /// Whether a live worker still runs one of the job's tasks (running with a lease not yet expired).
    public func isRunning(jobID: String) async throws(ServiceError) -> Bool {
        let rows = try await database.rows(
            "look at the tasks of job \(jobID)",
            "SELECT 1 FROM stage_task WHERE job_id = \(jobID) AND state = 'running' AND lease_until >= now() LIMIT 1")
        return !rows.isEmpty
    }

    /// Removes the job's tasks, their attempts and events.
    public func remove(jobID: String) async throws(ServiceError) {
        _ = try await database.rows(
            "remove the tasks of job \(jobID)", "DELETE FROM stage_task WHERE job_id = \(jobID)")
    }

    static let quiet = PostgresJobStore.quiet
}
