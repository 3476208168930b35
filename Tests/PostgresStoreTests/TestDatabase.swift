import Foundation
import Logging
import PostgresNIO
import PostgresStore
import Testing

/// The test PostgreSQL (`scripts/test.sh` starts one and sets ORGANA_TEST_DATABASE_URL); every test gets a new,
/// empty schema of its own, so tests never see each other's rows.
enum TestDatabase {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "ORGANA_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh (it starts PostgreSQL), or "
                + "eval \"$(scripts/start-postgres.sh)\" first"
        }
    }

    static let logger = Logger(label: "test.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    static func baseURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["ORGANA_TEST_DATABASE_URL"], !url.isEmpty else {
            throw Missing()
        }
        return url
    }

    /// A URL whose connections see only a new, empty schema.
    static func freshSchema() async throws -> String {
        let base = try baseURL()
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresBackend(url: base, password: nil, logger: logger)
        _ = try await admin.withRunning(migrating: false) { database in
            try await database.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
        }
        return base + "?search_path=" + schema
    }

    /// Runs `body` on a running database (migrated unless `migrating` is false) on a fresh schema.
    static func with<T: Sendable>(
        migrating: Bool = true, _ body: @Sendable (PostgresBackend) async throws -> T
    ) async throws -> T {
        let database = try PostgresBackend(url: try await freshSchema(), password: nil, logger: logger)
        return try await database.withRunning(migrating: migrating, body)
    }

    /// The rows of a query as strings (test checks read `stage_run` and friends this way).
    static func strings(_ database: PostgresBackend, _ sql: String) async throws -> [String] {
        var values: [String] = []
        for try await value in try await database.client.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) {
            values.append(value)
        }
        return values
    }
}
