// A PostgreSQL database of queue mode (design note 0008): the connection pool (postgres-nio's
// `PostgresClient`, run for the database's life by `withRunning`), the settings parsed from
// `postgres://USER@HOST:PORT/DB` (password from the environment, never the URL on a command line) and the
// versioned schema. Migrations are numbered and applied in order, each recorded in `schema_migration`, all in
// one transaction that first takes a transaction-scoped advisory lock: two processes starting at once
// serialise there, and the second finds every version applied.
public import Foundation
public import Logging
public import PostgresNIO
public import ServiceSupport

public final class PostgresBackend: Sendable {
    public let client: PostgresClient
    let logger: Logger
    /// `pg_advisory_xact_lock` key held while migrating (any constant; "organa" in ASCII).
    static let migrationLock: Int64 = 0x6f72_6761_6e61

    /// Parses `url` (`postgres://USER@HOST:PORT/DB`, optionally `?search_path=SCHEMA`); the client connects
    /// lazily once `withRunning` runs it.
    public init(url: String, password: String?, logger: Logger) throws(ServiceError) {
        client = PostgresClient(
            configuration: try Self.configuration(url, password: password), backgroundLogger: logger)
        self.logger = logger
    }

    static func configuration(_ text: String, password: String?) throws(ServiceError) -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw ServiceError(.configuration, "database URL '\(text)' is not postgres://USER@HOST:PORT/DB")
        }
        let database = String(url.path.drop { $0 == "/" })
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: .disable)
        for item in url.queryItems ?? [] {
            guard item.name == "search_path", let value = item.value else {
                throw ServiceError(
                    .configuration, "database URL: unknown parameter '\(item.name)' (known: search_path)")
            }
            configuration.options.additionalStartupParameters.append(("search_path", value))
        }
        configuration.options.maximumConnections = 8
        return configuration
    }

    /// Runs the connection pool, migrates the schema (unless `migrating` is false), then `body`; the pool stops
    /// when `body` returns.
    public func withRunning<T: Sendable>(
        migrating: Bool = true, _ body: @Sendable (PostgresBackend) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await self.client.run()
                return nil
            }
            defer { group.cancelAll() }
            if migrating { try await migrate() }
            return try await body(self)
        }
    }

    /// Applies every migration not yet recorded, in order, in one transaction under the advisory lock.
    public func migrate() async throws(ServiceError) {
        try await transaction("migrate the schema") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: self.logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query(
                "SELECT version FROM schema_migration", logger: self.logger
            ).decode(Int.self) {
                applied.insert(version)
            }
            for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migration (version) VALUES (\(migration.version))", logger: self.logger)
                self.logger.info("database migrated", metadata: ["version": "\(migration.version)"])
            }
        }
    }

    /// Runs `body` in a transaction; any failure becomes a `.database` error naming `what`.
    func transaction<T: Sendable>(
        _ what: String, _ body: (PostgresConnection) async throws -> T
    ) async throws(ServiceError) -> T {
        do {
            return try await client.withConnection { connection in
                try await connection.withTransaction(logger: logger) { try await body($0) }
            }
        } catch {
            throw Self.wrap(error, what)
        }
    }

    /// Runs one statement outside a transaction; returns its rows.
    func rows(_ what: String, _ query: PostgresQuery) async throws(ServiceError) -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in try await client.query(query, logger: logger) { rows.append(row) }
            return rows
        } catch {
            throw Self.wrap(error, what)
        }
    }

    /// A `.database` error naming `what`; `.unavailable` when the connection failed (callers retry those).
    static func wrap(_ error: any Error, _ what: String) -> ServiceError {
        if let error = error as? ServiceError { return error }
        var cause = error
        if let error = error as? PostgresTransactionError {
            if let closure = error.closureError as? ServiceError { return closure }
            cause = error.closureError ?? error.beginError ?? error.commitError ?? error
        }
        let lost: [PSQLError.Code] = [
            .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
        ]
        let code: ServiceError.Code =
            (cause as? PSQLError).map { lost.contains($0.code) } == true ? .unavailable : .database
        return ServiceError(code, "cannot \(what)\(reason(cause))", underlying: cause)
    }

    /// The server's message of a PostgreSQL error (`PSQLError` hides it from its description).
    static func reason(_ error: any Error) -> String {
        (error as? PSQLError)?.serverInfo?[.message].map { ": \($0)" } ?? ""
    }
}
