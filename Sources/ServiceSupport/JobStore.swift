// SQLite job store (GRDB, WAL): one row per job, its event log (state transitions, progress, artifacts) and
// how far the gateway has read each stage's task events. A transition and its `state` event are written in
// one transaction, before anyone is told, so a restarted gateway finds every job where it was left. Every write
// to a job's log then signals `changes` (keyed by job id), on which readers in this process (the SSE streams,
// the driver) wait instead of polling.
import Foundation
import GRDB
public import ServiceContracts

public final class JobStore: Sendable {
    private let database: DatabaseQueue
    /// Signalled (job id) after each write to a job's log in this process: new events, a transition, deletion.
    public let changes = ChangeSignal()

    /// Opens (creating and migrating) the store at `path`.
    public init(path: String) throws(ServiceError) {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(database)
        } catch {
            throw ServiceError(.database, "cannot open the job store at \(path)", underlying: error)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE job (
                        id TEXT PRIMARY KEY, state TEXT NOT NULL, options TEXT NOT NULL,
                        createdAt DOUBLE NOT NULL, updatedAt DOUBLE NOT NULL, error TEXT);
                    CREATE TABLE event (
                        jobID TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE, sequence INTEGER NOT NULL,
                        payload TEXT NOT NULL, dedupe TEXT,
                        PRIMARY KEY (jobID, sequence), UNIQUE (jobID, dedupe));
                    CREATE TABLE cursor (
                        jobID TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE, stage TEXT NOT NULL,
                        consumed INTEGER NOT NULL, PRIMARY KEY (jobID, stage));
                    """)
        }
        return migrator
    }

    private func access<T>(_ what: String, _ body: (Database) throws -> T) throws(ServiceError) -> T {
        do {
            return try database.write(body)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.database, "job store: cannot \(what)", underlying: error)
        }
    }

    /// Records a new `queued` job (and its first event).
    public func create(id: String, options: JobOptions) throws(ServiceError) -> JobResource {
        let now = Date().timeIntervalSince1970
        let encoded = String(decoding: try Self.encode(options), as: UTF8.self)
        try access("create job \(id)") { db in
            try db.execute(
                sql: "INSERT INTO job (id, state, options, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, JobState.queued.rawValue, encoded, now, now])
            _ = try Self.insert(JobEvent(type: "state", state: .queued), jobID: id, dedupe: "state:queued", db: db)
        }
        guard let job = try job(id) else { throw ServiceError(.database, "job \(id) vanished after insert") }
        return job
    }

    /// The job with its artifacts, or nil.
    public func job(_ id: String) throws(ServiceError) -> JobResource? {
        try access("read job \(id)") { db in try Self.resource(id, db: db) }
    }

    /// Jobs that are neither done nor failed (a restarted gateway drives them on).
    public func unfinished() throws(ServiceError) -> [JobResource] {
        try access("list unfinished jobs") { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM job WHERE state NOT IN ('done', 'failed') ORDER BY createdAt")
            return try ids.compactMap { try Self.resource($0, db: db) }
        }
    }

    /// Number of jobs per state.
    public func counts() throws(ServiceError) -> [JobState: Int] {
        try access("count jobs") { db in
            var counts: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// Moves the job to `state` and appends the `state` event, in one transaction. A terminal job stays
    /// where it is (nil: nothing changed).
    @discardableResult
    public func transition(_ id: String, to state: JobState, error: String? = nil) throws(ServiceError) -> JobEvent? {
        defer { changes.signal(id) }
        return try access("move job \(id) to \(state.rawValue)") { db in
            guard let current = try String.fetchOne(db, sql: "SELECT state FROM job WHERE id = ?", arguments: [id])
            else { throw ServiceError(.notFound, "no job \(id)") }
            let from = JobState(rawValue: current) ?? .failed
            guard !from.isTerminal, from != state else { return nil }
            try db.execute(
                sql: "UPDATE job SET state = ?, updatedAt = ?, error = ? WHERE id = ?",
                arguments: [state.rawValue, Date().timeIntervalSince1970, error, id])
            return try Self.insert(
                JobEvent(type: "state", state: state, message: error), jobID: id, dedupe: "state:\(state.rawValue)",
                db: db)
        }
    }

    /// Appends a stage's task events from index `from` on and records that `through` of them are consumed,
    /// in one transaction. Artifacts are unique per key (a retried stage does not announce them twice).
    public func appendTaskEvents(
        _ events: [TaskEvent], jobID: String, stage: String, through consumed: Int
    ) throws(ServiceError) -> [JobEvent] {
        defer { changes.signal(jobID) }
        return try access("append events of job \(jobID)") { db in
            var added: [JobEvent] = []
            for event in events {
                let (jobEvent, dedupe) = event.jobLogEntry(stage: stage)
                if let inserted = try Self.insert(jobEvent, jobID: jobID, dedupe: dedupe, db: db) {
                    added.append(inserted)
                }
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO cursor (jobID, stage, consumed) VALUES (?, ?, ?)",
                arguments: [jobID, stage, consumed])
            return added
        }
    }

    /// How many of a stage's task events are already in the log.
    public func consumed(jobID: String, stage: String) throws(ServiceError) -> Int {
        try access("read cursor of job \(jobID)") { db in
            try Int.fetchOne(
                db, sql: "SELECT consumed FROM cursor WHERE jobID = ? AND stage = ?", arguments: [jobID, stage]) ?? 0
        }
    }

    /// Forgets a stage's cursor (the stage's service lost the task and runs it again).
    public func resetCursor(jobID: String, stage: String) throws(ServiceError) {
        try access("reset cursor of job \(jobID)") { db in
            try db.execute(sql: "DELETE FROM cursor WHERE jobID = ? AND stage = ?", arguments: [jobID, stage])
        }
    }

    /// Events with a sequence above `after`, in order.
    public func events(_ id: String, after: Int) throws(ServiceError) -> [JobEvent] {
        try access("read events of job \(id)") { db in
            let rows = try String.fetchAll(
                db, sql: "SELECT payload FROM event WHERE jobID = ? AND sequence > ? ORDER BY sequence",
                arguments: [id, after])
            return try rows.map { try JSONDecoder().decode(JobEvent.self, from: Data($0.utf8)) }
        }
    }

    /// Deletes the job and its log; false when there was none.
    public func delete(_ id: String) throws(ServiceError) -> Bool {
        defer { changes.forget(id) }
        return try access("delete job \(id)") { db in
            try db.execute(sql: "DELETE FROM event WHERE jobID = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM cursor WHERE jobID = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM job WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    private static func insert(_ event: JobEvent, jobID: String, dedupe: String?, db: Database) throws -> JobEvent? {
        if let dedupe,
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM event WHERE jobID = ? AND dedupe = ?", arguments: [jobID, dedupe]) == true
        {
            return nil
        }
        let last = try Int.fetchOne(db, sql: "SELECT MAX(sequence) FROM event WHERE jobID = ?", arguments: [jobID])
        var numbered = event
        numbered.sequence = (last ?? 0) + 1
        let payload = String(decoding: try encode(numbered), as: UTF8.self)
        try db.execute(
            sql: "INSERT INTO event (jobID, sequence, payload, dedupe) VALUES (?, ?, ?, ?)",
            arguments: [jobID, numbered.sequence, payload, dedupe])
        return numbered
    }

    private static func resource(_ id: String, db: Database) throws -> JobResource? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]) else {
            return nil
        }
        let options = try JSONDecoder().decode(JobOptions.self, from: Data((row["options"] as String).utf8))
        let payloads = try String.fetchAll(
            db, sql: "SELECT payload FROM event WHERE jobID = ? AND dedupe LIKE 'artifact:%' ORDER BY sequence",
            arguments: [id])
        let artifacts = try payloads.compactMap {
            try JSONDecoder().decode(JobEvent.self, from: Data($0.utf8)).artifact
        }
        return JobResource(
            id: id, state: JobState(rawValue: row["state"]) ?? .failed, options: options,
            createdAt: row["createdAt"], updatedAt: row["updatedAt"], error: row["error"], artifacts: artifacts)
    }

    /// JSON with sorted keys (the services' one encoding).
    public static func encode<T: Encodable>(_ value: T) throws(ServiceError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(value) } catch {
            throw ServiceError(.internalError, "cannot encode \(T.self)", underlying: error)
        }
    }
}
