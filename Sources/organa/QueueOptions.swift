import ArgumentParser
import Foundation
import Logging
import PostgresStore
import ServiceSupport

/// Queue mode's settings (design note 0008): PostgreSQL for jobs and stage tasks. Flags win over the
/// environment; the password is read from the environment only (flags show in `ps`).
struct QueueOptions: ParsableArguments {
    @Option(
        help:
            "PostgreSQL postgres://USER@HOST:PORT/DB: queue mode (default $ORGANA_DATABASE_URL; password in $ORGANA_DATABASE_PASSWORD)."
    )
    var databaseURL: String?

    @Option(help: "This replica's id in the queue (default $ORGANA_WORKER_ID, else hostname-pid).")
    var workerID: String?

    @Option(help: "Seconds a claimed task is held without renewal; renewed every third of it.")
    var leaseSeconds = 30.0

    /// The database in queue mode, nil otherwise.
    func database(logger: Logger) throws -> PostgresBackend? {
        guard let url = databaseURL ?? ServiceEnvironment.databaseURL.value else { return nil }
        guard leaseSeconds >= 0.3, leaseSeconds.isFinite else {
            throw ValidationError("--lease-seconds \(leaseSeconds) must be at least 0.3")
        }
        return try PostgresBackend(url: url, password: ServiceEnvironment.databasePassword.value, logger: logger)
    }

    /// `--check-configuration`: the queue settings as the report shows them (the URL parsed, never connected).
    func checkedSettings(logger: Logger) throws -> [String: String] {
        guard try database(logger: logger) != nil else { return [:] }
        return [
            "database-url": databaseURL ?? ServiceEnvironment.databaseURL.value ?? "",
            "worker-id": resolvedWorkerID, "lease-seconds": "\(leaseSeconds)",
        ]
    }

    var resolvedWorkerID: String {
        workerID ?? ServiceEnvironment.workerID.value ?? StageWorker.defaultID
    }

    /// Runs `serve` (the stage's HTTP service) and, in queue mode, a worker taking the role's stages from the
    /// queue beside it; the worker stops when the service does.
    func serveStage(
        _ role: StageRole, logger: Logger, serve: @escaping @Sendable () async throws -> Void
    ) async throws {
        guard let database = try database(logger: logger) else { return try await serve() }
        let leaseSeconds = leaseSeconds
        let workerID = resolvedWorkerID
        try await database.withRunning { database in
            let worker = StageWorker(
                queue: StageQueue(database: database, leaseSeconds: leaseSeconds), stages: role.stages,
                workerID: workerID, admit: role.admit, work: role.work, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await worker.run() }
                try await serve()
                group.cancelAll()
            }
        }
    }
}

/// What a stage service does in queue mode: the stages it takes, its admission and its work.
struct StageRole: Sendable {
    var stages: [String]
    var admit: StageQueue.Admit = { _ in {} }
    var work: TaskBoard.CancellableWork

    init(stages: [String], admit: @escaping StageQueue.Admit, work: @escaping TaskBoard.CancellableWork) {
        self.stages = stages
        self.admit = admit
        self.work = work
    }

    init(stages: [String], work: @escaping TaskBoard.Work) {
        self.stages = stages
        self.work = { request, emit, _ in try work(request, emit) }
    }
}
