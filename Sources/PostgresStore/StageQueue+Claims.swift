// The worker's side of the stage queue: claim, renew, record events, finish (the SQL and why: StageQueue.swift).
import Foundation
import PostgresNIO
public import ServiceContracts
public import ServiceSupport

extension StageQueue {
    /// What admission returns: what to release when the task ends.
    public typealias Admit = @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void)

    /// A claimed task and what to release when it ends.
    public typealias Claimed = (claim: StageClaim, release: @Sendable () -> Void)

    /// What a renewal found.
    public enum Renewal: Sendable, Equatable {
        /// The lease is extended; `cancelRequested` when the gateway asked the task to stop.
        case held(cancelRequested: Bool)
        /// Another attempt owns the task now (or it ended): this attempt must stop and write nothing.
        case lost
    }

    /// Claims the oldest open task of `stages` that `admit` accepts; nil when there is none (or it cannot be
    /// admitted now). A task `admit` refuses for good (not `.unavailable`) ends `failed` with its message.
    public func claim(
        stages: [String], workerID: String, admit: Admit
    ) async throws(ServiceError) -> Claimed? {
        try await database.transaction("claim a task of \(stages.joined(separator: ","))") { connection -> Claimed? in
            guard let (taskID, stage, body) = try await Self.lockNext(stages, connection: connection) else {
                return nil
            }
            let release: @Sendable () -> Void
            let request: TaskRequest
            do throws(ServiceError) {
                request = try Self.decode(body, taskID: taskID)
                release = try admit(request)
            } catch {
                // Not now (budget full, models loading): the task stays queued for this or another replica.
                if error.code == .unavailable { return nil }
                try await Self.refuse(taskID, error, connection: connection)
                return nil
            }
            do {
                let attempt = try await self.start(taskID, workerID: workerID, connection: connection)
                return (
                    StageClaim(taskID: taskID, stage: stage, attempt: attempt, request: request),
                    release
                )
            } catch {
                release()
                throw error
            }
        }
    }

    /// A queued task's request; `.unprocessable` when it does not decode (the task then fails, not the queue).
    private static func decode(_ body: String, taskID: String) throws(ServiceError) -> TaskRequest {
        do {
            return try JSONDecoder().decode(TaskRequest.self, from: Data(body.utf8))
        } catch {
            throw ServiceError(.unprocessable, "task \(taskID): the request does not decode (\(error))")
        }
    }

    /// Locks the oldest claimable task (see the file header of StageQueue.swift).
    private static func lockNext(
        _ stages: [String], connection: PostgresConnection
    ) async throws -> (String, String, String)? {
        let rows = try await connection.query(
            """
            SELECT id, stage, request FROM stage_task
            WHERE stage = ANY(\(stages)) AND NOT cancel_requested
              AND (state = 'queued' OR (state = 'running' AND lease_until < now()))
            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
            """, logger: quiet)
        for try await row in rows.decode((String, String, String).self) { return row }
        return nil
    }

    /// Starts a new attempt of the locked task; its number.
    private func start(_ taskID: String, workerID: String, connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            UPDATE stage_task SET state = 'running', attempt = attempt + 1, worker_id = \(workerID),
                lease_until = now() + make_interval(secs => \(leaseSeconds))
            WHERE id = \(taskID) RETURNING attempt
            """, logger: Self.quiet)
        var attempt = 0
        for try await value in rows.decode(Int.self) { attempt = value }
        try await connection.query(
            """
            UPDATE stage_run SET ended_at = clock_timestamp(), outcome = 'expired'
            WHERE task_id = \(taskID) AND ended_at IS NULL
            """, logger: Self.quiet)
        try await connection.query(
            "INSERT INTO stage_run (task_id, attempt, worker_id) VALUES (\(taskID), \(attempt), \(workerID))",
            logger: Self.quiet)
        return attempt
    }

    /// Ends a task that can never be admitted (`invalidInput` when the input is at fault).
    private static func refuse(_ taskID: String, _ error: ServiceError, connection: PostgresConnection) async throws {
        let code = error.code == .unprocessable ? "invalidInput" : "failed"
        try await connection.query(
            """
            UPDATE stage_task SET state = 'failed', error = \(error.message), error_code = \(code)
            WHERE id = \(taskID)
            """, logger: quiet)
    }

    /// Extends the claim's lease; says whether the attempt still holds the task and whether it should stop.
    public func renew(_ claim: StageClaim) async throws(ServiceError) -> Renewal {
        let rows = try await database.rows(
            "renew the lease of \(claim.taskID)",
            """
            UPDATE stage_task SET lease_until = now() + make_interval(secs => \(leaseSeconds))
            WHERE id = \(claim.taskID) AND attempt = \(claim.attempt) AND state = 'running'
            RETURNING cancel_requested
            """)
        guard let cancel = rows.first.flatMap({ try? $0.decode(Bool.self) }) else { return .lost }
        return .held(cancelRequested: cancel)
    }

    /// Appends an event to the claim's attempt; false when the attempt is stale (nothing written).
    public func record(_ event: TaskEvent, claim: StageClaim) async throws(ServiceError) -> Bool {
        let payload = String(decoding: try JobStore.encode(event), as: UTF8.self)
        let rows = try await database.rows(
            "record an event of \(claim.taskID)",
            """
            INSERT INTO stage_task_event (task_id, attempt, sequence, payload)
            SELECT \(claim.taskID), \(claim.attempt), COALESCE(MAX(sequence), 0) + 1, \(payload)
            FROM stage_task_event WHERE task_id = \(claim.taskID) AND attempt = \(claim.attempt)
            HAVING EXISTS (
                SELECT 1 FROM stage_task
                WHERE id = \(claim.taskID) AND attempt = \(claim.attempt) AND state = 'running')
            RETURNING sequence
            """)
        return !rows.isEmpty
    }

    /// Gives the claim's task back to the queue at once (its replica is shutting down): the lease is made to have
    /// expired, so the next claim by any replica takes the task as a new attempt, and this attempt's run ends
    /// `handed-back`. False when the attempt is stale or the task has ended.
    public func handBack(_ claim: StageClaim) async throws(ServiceError) -> Bool {
        try await database.transaction("hand back task \(claim.taskID)") { connection in
            let rows = try await connection.query(
                """
                UPDATE stage_task SET lease_until = now() - interval '1 second'
                WHERE id = \(claim.taskID) AND attempt = \(claim.attempt) AND state = 'running' RETURNING id
                """, logger: Self.quiet)
            var handedBack = false
            for try await _ in rows { handedBack = true }
            guard handedBack else { return false }
            try await connection.query(
                """
                UPDATE stage_run SET ended_at = clock_timestamp(), outcome = 'handed-back'
                WHERE task_id = \(claim.taskID) AND attempt = \(claim.attempt)
                """, logger: Self.quiet)
            return true
        }
    }

    /// Ends the claim's attempt (`done`, `failed` or `cancelled`); false when the attempt is stale.
    public func finish(
        _ claim: StageClaim, state: TaskState, error: String? = nil, errorCode: String? = nil
    ) async throws(ServiceError) -> Bool {
        try await database.transaction("end task \(claim.taskID)") { connection in
            let rows = try await connection.query(
                """
                UPDATE stage_task SET state = \(state.rawValue), error = \(error), error_code = \(errorCode),
                    lease_until = NULL
                WHERE id = \(claim.taskID) AND attempt = \(claim.attempt) AND state = 'running' RETURNING id
                """, logger: Self.quiet)
            var ended = false
            for try await _ in rows { ended = true }
            guard ended else { return false }
            try await connection.query(
                """
                UPDATE stage_run SET ended_at = clock_timestamp(), outcome = \(state.rawValue)
                WHERE task_id = \(claim.taskID) AND attempt = \(claim.attempt)
                """, logger: Self.quiet)
            return true
        }
    }
}
