// The gateway's job records in PostgreSQL (queue mode): the SQLite `JobStore`'s semantics on the `job`,
// `event` and `cursor` tables. Every write to a job's log runs in one transaction that first locks the job's
// row (`FOR UPDATE`), so writers of one job (the image and preview stages copy events at once) number its
// events one after the other, and a transition and its `state` event commit together. `changes` is signalled
// in this process after each write, as the SQLite store does.
import Foundation
import Logging
import PostgresNIO
public import ServiceContracts
public import ServiceSupport

public final class PostgresJobStore: JobRecords {
    let database: PostgresBackend
    public let changes = ChangeSignal()

    /// The store on a running, migrated database (`PostgresBackend.withRunning`).
    public init(database: PostgresBackend) {
        self.database = database
    }

    public func create(id: String, options: JobOptions) async throws(ServiceError) -> JobResource {
        let now = Date().timeIntervalSince1970
        let encoded = String(decoding: try JobStore.encode(options), as: UTF8.self)
        let queued = JobState.queued.rawValue
        try await database.transaction("create job \(id)") { connection in
            try await connection.query(
                """
                INSERT INTO job (id, state, options, created_at, updated_at)
                VALUES (\(id), \(queued), \(encoded), \(now), \(now))
                """, logger: self.database.logger)
            _ = try await Self.insert(
                JobEvent(type: "state", state: .queued), jobID: id, dedupe: "state:queued", connection: connection)
        }
        guard let job = try await job(id) else { throw ServiceError(.database, "job \(id) vanished after insert") }
        return job
    }

    public func job(_ id: String) async throws(ServiceError) -> JobResource? {
        try await database.transaction("read job \(id)") { try await Self.resource(id, connection: $0) }
    }

    public func unfinished() async throws(ServiceError) -> [JobResource] {
        try await database.transaction("list unfinished jobs") { connection in
            var ids: [String] = []
            for try await id in try await connection.query(
                "SELECT id FROM job WHERE state NOT IN ('done', 'failed') ORDER BY created_at",
                logger: self.database.logger
            ).decode(String.self) {
                ids.append(id)
            }
            var jobs: [JobResource] = []
            for id in ids {
                if let job = try await Self.resource(id, connection: connection) { jobs.append(job) }
            }
            return jobs
        }
    }

    public func counts() async throws(ServiceError) -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        for row in try await database.rows("count jobs", "SELECT state, COUNT(*) FROM job GROUP BY state") {
            guard let (state, count) = try? row.decode((String, Int).self) else { continue }
            if let state = JobState(rawValue: state) { counts[state] = count }
        }
        return counts
    }

    public func transition(_ id: String, to state: JobState, error: String?) async throws(ServiceError) -> JobEvent? {
        defer { changes.signal(id) }
        return try await database.transaction("move job \(id) to \(state.rawValue)") { connection in
            guard let current = try await Self.lock(id, connection: connection) else {
                throw ServiceError(.notFound, "no job \(id)")
            }
            let from = JobState(rawValue: current) ?? .failed
            guard !from.isTerminal, from != state else { return nil }
            try await connection.query(
                """
                UPDATE job SET state = \(state.rawValue), updated_at = \(Date().timeIntervalSince1970),
                error = \(error) WHERE id = \(id)
                """, logger: self.database.logger)
            return try await Self.insert(
                JobEvent(type: "state", state: state, message: error), jobID: id, dedupe: "state:\(state.rawValue)",
                connection: connection)
        }
    }

    public func appendTaskEvents(
        _ events: [TaskEvent], jobID: String, stage: String, through consumed: Int
    ) async throws(ServiceError) -> [JobEvent] {
        defer { changes.signal(jobID) }
        return try await database.transaction("append events of job \(jobID)") { connection in
            guard try await Self.lock(jobID, connection: connection) != nil else {
                throw ServiceError(.notFound, "no job \(jobID)")
            }
            var added: [JobEvent] = []
            for event in events {
                let (jobEvent, dedupe) = event.jobLogEntry(stage: stage)
                if let inserted = try await Self.insert(jobEvent, jobID: jobID, dedupe: dedupe, connection: connection)
                {
                    added.append(inserted)
                }
            }
            try await connection.query(
                """
                INSERT INTO cursor (job_id, stage, consumed) VALUES (\(jobID), \(stage), \(consumed))
                ON CONFLICT (job_id, stage) DO UPDATE SET consumed = EXCLUDED.consumed
                """, logger: self.database.logger)
            return added
        }
    }

    public func consumed(jobID: String, stage: String) async throws(ServiceError) -> Int {
        let rows = try await database.rows(
            "read cursor of job \(jobID)", "SELECT consumed FROM cursor WHERE job_id = \(jobID) AND stage = \(stage)")
        return rows.first.flatMap { try? $0.decode(Int.self) } ?? 0
    }

    public func events(_ id: String, after: Int) async throws(ServiceError) -> [JobEvent] {
        let rows = try await database.rows(
            "read events of job \(id)",
            "SELECT payload FROM event WHERE job_id = \(id) AND sequence > \(after) ORDER BY sequence")
        do {
            return try rows.map { try JSONDecoder().decode(JobEvent.self, from: Data(try $0.decode(String.self).utf8)) }
        } catch {
            throw ServiceError(.database, "job store: an event of job \(id) does not decode", underlying: error)
        }
    }

    public func delete(_ id: String) async throws(ServiceError) -> Bool {
        defer { changes.forget(id) }
        let rows = try await database.rows("delete job \(id)", "DELETE FROM job WHERE id = \(id) RETURNING id")
        return !rows.isEmpty
    }

    /// Locks the job's row for the transaction; its state, or nil when there is no such job.
    private static func lock(_ id: String, connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.query("SELECT state FROM job WHERE id = \(id) FOR UPDATE", logger: quiet)
        for try await state in rows.decode(String.self) { return state }
        return nil
    }

    private static func insert(
        _ event: JobEvent, jobID: String, dedupe: String?, connection: PostgresConnection
    ) async throws -> JobEvent? {
        if let dedupe {
            let seen = try await connection.query(
                "SELECT 1 FROM event WHERE job_id = \(jobID) AND dedupe = \(dedupe)", logger: quiet)
            for try await _ in seen { return nil }
        }
        var last = 0
        let rows = try await connection.query(
            "SELECT COALESCE(MAX(sequence), 0) FROM event WHERE job_id = \(jobID)", logger: quiet)
        for try await value in rows.decode(Int.self) { last = value }
        var numbered = event
        numbered.sequence = last + 1
        let payload = String(decoding: try JobStore.encode(numbered), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO event (job_id, sequence, payload, dedupe)
            VALUES (\(jobID), \(numbered.sequence), \(payload), \(dedupe))
            """, logger: quiet)
        return numbered
    }

    private static func resource(_ id: String, connection: PostgresConnection) async throws -> JobResource? {
        let jobs = try await connection.query(
            "SELECT state, options, created_at, updated_at, error FROM job WHERE id = \(id)", logger: quiet)
        var found: (String, String, Double, Double, String?)?
        for try await row in jobs.decode((String, String, Double, Double, String?).self) { found = row }
        guard let (state, options, created, updated, error) = found else { return nil }
        let payloads = try await connection.query(
            "SELECT payload FROM event WHERE job_id = \(id) AND dedupe LIKE 'artifact:%' ORDER BY sequence",
            logger: quiet)
        var artifacts: [Artifact] = []
        for try await payload in payloads.decode(String.self) {
            if let artifact = try JSONDecoder().decode(JobEvent.self, from: Data(payload.utf8)).artifact {
                artifacts.append(artifact)
            }
        }
        return JobResource(
            id: id, state: JobState(rawValue: state) ?? .failed,
            options: try JSONDecoder().decode(JobOptions.self, from: Data(options.utf8)), createdAt: created,
            updatedAt: updated, error: error, artifacts: artifacts)
    }

    /// Queries inside a transaction log nothing of their own (the transaction's errors say what failed).
    static let quiet = Logger(label: "organa.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
}
