// The versioned schema of queue mode. Version 1 holds the gateway's job records, with the SQLite store's
// tables and meaning (`job`, `event`, `cursor`); version 2 the stage queue (`stage_task`, `stage_run`,
// `stage_task_event`, see StageQueue.swift). A new version is appended, never edited: a database records the
// versions it has (`schema_migration`) and gets the rest, in order.

/// The migrations, in version order.
enum PostgresSchema {
    struct Migration {
        var version: Int
        /// Run one by one (the extended protocol takes one statement at a time).
        var statements: [String]
    }

    static let migrations = [
        Migration(
            version: 1,
            statements: [
                """
                CREATE TABLE job (
                    id TEXT PRIMARY KEY, state TEXT NOT NULL, options TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, error TEXT)
                """,
                """
                CREATE TABLE event (
                    job_id TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE, sequence INTEGER NOT NULL,
                    payload TEXT NOT NULL, dedupe TEXT,
                    PRIMARY KEY (job_id, sequence), UNIQUE (job_id, dedupe))
                """,
                """
                CREATE TABLE cursor (
                    job_id TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE, stage TEXT NOT NULL,
                    consumed INTEGER NOT NULL, PRIMARY KEY (job_id, stage))
                """,
            ]),
        Migration(
            version: 2,
            statements: [
                """
                CREATE TABLE stage_task (
                    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, stage TEXT NOT NULL, request TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'queued', attempt INTEGER NOT NULL DEFAULT 0, worker_id TEXT,
                    lease_until TIMESTAMPTZ, cancel_requested BOOLEAN NOT NULL DEFAULT false,
                    error TEXT, error_code TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())
                """,
                "CREATE INDEX stage_task_open ON stage_task (stage, created_at) WHERE state IN ('queued', 'running')",
                "CREATE INDEX stage_task_job ON stage_task (job_id)",
                """
                CREATE TABLE stage_run (
                    task_id TEXT NOT NULL REFERENCES stage_task(id) ON DELETE CASCADE, attempt INTEGER NOT NULL,
                    worker_id TEXT NOT NULL, started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                    ended_at TIMESTAMPTZ, outcome TEXT, PRIMARY KEY (task_id, attempt))
                """,
                """
                CREATE TABLE stage_task_event (
                    task_id TEXT NOT NULL REFERENCES stage_task(id) ON DELETE CASCADE, attempt INTEGER NOT NULL,
                    sequence INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (task_id, attempt, sequence))
                """,
            ]),
    ]
}
