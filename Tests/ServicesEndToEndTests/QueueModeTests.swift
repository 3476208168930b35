import Foundation
import Logging
import PostgresNIO
import PostgresStore
import ServiceContracts
import Testing

/// Queue mode's test database: a new schema on the PostgreSQL that scripts/test.sh starts
/// (ORGANA_TEST_DATABASE_URL); the processes get its URL, the test reads `stage_run` from it.
struct QueueDatabase {
    let url: String
    let database: PostgresBackend

    static let logger = Logger(label: "test.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a fresh schema (the processes create the tables when they start).
    static func with(_ body: @Sendable (QueueDatabase) async throws -> Void) async throws {
        guard let base = ProcessInfo.processInfo.environment["ORGANA_TEST_DATABASE_URL"], !base.isEmpty else {
            throw ClusterError(
                message: "ORGANA_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh (it starts "
                    + "PostgreSQL), or eval \"$(scripts/start-postgres.sh)\" first")
        }
        let schema = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let url = base + "?search_path=" + schema
        let database = try PostgresBackend(url: url, password: nil, logger: logger)
        try await database.withRunning(migrating: false) { database in
            try await database.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            try await body(QueueDatabase(url: url, database: database))
        }
    }

    /// One string per row.
    func strings(_ sql: String) async throws -> [String] {
        var values: [String] = []
        for try await value in try await database.client.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) {
            values.append(value)
        }
        return values
    }

    /// `task_id|attempt|worker_id|outcome` of every attempt, in order.
    func runs() async throws -> [String] {
        try await strings(
            "SELECT task_id || '|' || attempt || '|' || worker_id || '|' || COALESCE(outcome, '') FROM stage_run "
                + "ORDER BY task_id, attempt")
    }
}

extension ServiceProcess {
    /// Peak resident memory (VmHWM), in bytes; nil when the process is gone.
    var peakResidentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }
}

extension EndToEnd {
    /// Queue mode (design note 0008) with the S3 store: the gateway, two image replicas, two mesh replicas and a
    /// post replica, each its own process with its own cache folder, sharing one PostgreSQL job store and stage
    /// queue and one bucket (SeaweedFS).
    @Suite struct QueueModeTests {
        static let budgetGiB = 2.0

        static func setup(_ database: QueueDatabase) -> QueueSetup {
            QueueSetup(
                databaseURL: database.url, replicas: ["image": 2, "mesh": 2, "post": 1], leaseSeconds: 3,
                imageMemoryBudget: budgetGiB)
        }

        @Test func eightConcurrentJobsCompleteAndEveryTaskRunsOnce() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            try await QueueDatabase.with { database in
                let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: Self.setup(database))
                defer { cluster.stop() }
                let started = Date()
                let jobs = try await withThrowingTaskGroup(of: JobResource.self) { group in
                    for _ in 0..<8 { group.addTask { try await cluster.submit(ct, query: Reference.query) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for job in jobs {
                    let done = try await cluster.wait(job.id, for: [.done], timeout: 900)
                    let meshes = done.artifacts.filter { $0.kind == "mesh" }.map(\.key).sorted()
                    #expect(meshes == ["jobs/\(job.id)/meshes/kidney.obj", "jobs/\(job.id)/meshes/tumor.obj"])
                }
                let seconds = Date().timeIntervalSince(started)
                try await Reference.expectIdentical(cluster, job: jobs[0].id)
                let runs = try await database.runs()
                let tasks = Set(runs.map { $0.split(separator: "|")[0] })
                #expect(tasks.count == 8 * 3, "image, post and mesh of 8 jobs: \(tasks.count) tasks")
                #expect(runs.count == tasks.count, "a task ran more than once: \(runs)")
                #expect(runs.allSatisfy { $0.hasSuffix("|1|\($0.split(separator: "|")[2])|done") })
                // Both image replicas share the long image tasks (mesh tasks are short and arrive one at a time, so
                // either mesh replica may take them all; the report shows how they split).
                let imageWorkers = Set(runs.filter { $0.contains("-image|") }.map { $0.split(separator: "|")[2] })
                #expect(imageWorkers.count == 2, "both image replicas took tasks: \(imageWorkers.sorted())")
                try Self.reportPeakMemory(cluster, runs: runs, seconds: seconds)
            }
        }

        /// Prints each replica's peak RSS and task count; an image replica stays within its memory budget.
        static func reportPeakMemory(_ cluster: ServiceCluster, runs: [String], seconds: Double) throws {
            var lines = ["queue mode: 8 jobs in \(String(format: "%.1f", seconds)) s"]
            for name in (cluster.queue?.replicaNames ?? []) + ["gateway"] {
                let peak = try #require(cluster.services[name]?.peakResidentBytes, "\(name) has no /proc status")
                let count = runs.filter { $0.split(separator: "|")[2] == name }.count
                lines.append("  \(name): peak RSS \(peak >> 20) MiB, \(count) tasks")
                if name.hasPrefix("image") {
                    #expect(Double(peak) < budgetGiB * 1_073_741_824, "\(name) peak RSS \(peak) over its budget")
                }
            }
            print(lines.joined(separator: "\n"))
        }

        /// Deleted while an image replica segments: the replica sees `cancel_requested` at its next lease renewal
        /// (every second here), its task ends `cancelled`, and only then does the gateway remove the queue rows,
        /// the record and the objects; nothing is written after.
        @Test func deletingARunningJobCancelsItsClaimedTask() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            try await QueueDatabase.with { database in
                let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: Self.setup(database))
                defer { cluster.stop() }
                let job = try await cluster.submit(ct, query: Reference.query)
                let worker = try await Self.workerMidTask("\(job.id)-image", database: database)
                let started = Date()
                #expect(try await cluster.request("DELETE", "/v1/jobs/\(job.id)").status == 204)
                let seconds = Date().timeIntervalSince(started)
                #expect(seconds < 10, "DELETE took \(seconds) s")
                let log = try cluster.logLines(worker)
                #expect(log.contains { $0["job_id"] == job.id && $0["message"] == "task cancelled" }, "\(worker)")
                let rows = try await database.strings(
                    "SELECT count(*)::text FROM stage_task WHERE job_id = '\(job.id)'")
                #expect(rows == ["0"])
                #expect(try await cluster.request("GET", "/v1/jobs/\(job.id)").status == 404)
                try await Task.sleep(nanoseconds: 2_000_000_000)
                let left = try await TestBucket.client().keys(under: "jobs/\(job.id)/")
                #expect(left.isEmpty, "the stopped task wrote after DELETE: \(left)")
                print("queue mode: DELETE of a running job answered in \(String(format: "%.2f", seconds)) s")
            }
        }

        /// A job planned above an image replica's whole memory budget fails with the reason (it would never be
        /// admitted); the replica stays free for the next.
        @Test func aJobAboveTheWholeBudgetFailsClearly() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            try await QueueDatabase.with { database in
                var setup = Self.setup(database)
                setup.replicas = ["image": 1, "mesh": 1, "post": 1]
                setup.imageMemoryBudget = 0.001
                let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: setup)
                defer { cluster.stop() }
                let job = try await cluster.submit(ct, query: Reference.query)
                let failed = try await cluster.wait(job.id, for: [.failed], timeout: 120)
                #expect(failed.error?.contains("more than the image service's whole memory budget") == true)
                #expect(try await database.runs().isEmpty, "the task was never claimed")
            }
        }

        /// The gateway is killed (SIGKILL) while an image replica segments; the restarted gateway finds the job in
        /// PostgreSQL and drives it on from its cursors: every state once, no artifact announced twice, each task
        /// run once.
        @Test func jobCompletesAfterTheGatewayRestarts() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            try await QueueDatabase.with { database in
                let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: Self.setup(database))
                defer { cluster.stop() }
                let job = try await cluster.submit(ct, query: Reference.query)
                _ = try await Self.workerMidTask("\(job.id)-image", database: database)
                try await cluster.restartGatewayAndFollow(job.id)
                let runs = try await database.runs()
                #expect(runs.count == 3 && runs.allSatisfy { $0.hasSuffix("|done") }, "\(runs)")
                try await Reference.expectIdentical(cluster, job: job.id)
            }
        }

        /// The worker id of the replica running `task`'s first attempt, once that attempt has reported progress.
        static func workerMidTask(_ task: String, database: QueueDatabase) async throws -> String {
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let worker = try await database.strings(
                    """
                    SELECT t.worker_id FROM stage_task t WHERE t.id = '\(task)' AND t.state = 'running'
                    AND EXISTS (SELECT 1 FROM stage_task_event e WHERE e.task_id = t.id AND e.attempt = 1)
                    """
                ).first
                if let worker { return worker }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            throw ClusterError(message: "no replica got going on \(task)")
        }

        /// An image replica stopped gracefully (SIGTERM, as a rolling update does) mid-task hands its task back:
        /// the other replica starts it at once, long before the (here 30 s) lease would have expired.
        @Test func aStoppedImageReplicaHandsItsTaskBack() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            try await QueueDatabase.with { database in
                var setup = Self.setup(database)
                setup.leaseSeconds = 30
                let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: setup)
                defer { cluster.stop() }
                let job = try await cluster.submit(ct, query: Reference.query)
                let task = "\(job.id)-image"
                let victim = try await Self.workerMidTask(task, database: database)
                let stopped = Date().timeIntervalSince1970
                try #require(cluster.services[victim], "no replica \(victim)").stop()
                let done = try await cluster.wait(job.id, for: [.done], timeout: 300)
                #expect(done.artifacts.contains { $0.key == "jobs/\(job.id)/meshes/kidney.obj" })
                let image = try await database.runs().filter { $0.hasPrefix(task + "|") }
                let survivor = victim == "image-1" ? "image-2" : "image-1"
                #expect(image == ["\(task)|1|\(victim)|handed-back", "\(task)|2|\(survivor)|done"])
                let start = try await database.strings(
                    "SELECT extract(epoch FROM started_at)::text FROM stage_run WHERE task_id = '\(task)' AND attempt = 2"
                )
                let seconds = try #require(start.first.flatMap(Double.init), "no second attempt: \(start)") - stopped
                #expect(seconds < 10, "the second attempt started \(seconds) s after SIGTERM (lease 30 s)")
                print("queue mode: \(victim) stopped mid-task; \(survivor) started \(task) \(seconds) s after SIGTERM")
                try await Reference.expectIdentical(cluster, job: job.id)
            }
        }

        @Test func aKilledImageReplicasTaskIsRetriedByTheOther() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            try await QueueDatabase.with { database in
                let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: Self.setup(database))
                defer { cluster.stop() }
                let job = try await cluster.submit(ct, query: Reference.query)
                let task = "\(job.id)-image"
                // Mid-task: the first attempt has claimed the task and reported progress.
                let victim = try await Self.workerMidTask(task, database: database)
                let killed = Date()
                try #require(cluster.services[victim], "no replica \(victim)").kill()
                let done = try await cluster.wait(job.id, for: [.done], timeout: 600)
                let seconds = String(format: "%.1f", Date().timeIntervalSince(killed))
                #expect(done.artifacts.contains { $0.key == "jobs/\(job.id)/meshes/kidney.obj" })
                let image = try await database.runs().filter { $0.hasPrefix(task + "|") }
                #expect(image.count == 2, "\(image)")
                #expect(image.first == "\(task)|1|\(victim)|expired")
                let survivor = victim == "image-1" ? "image-2" : "image-1"
                #expect(image.last == "\(task)|2|\(survivor)|done")
                print(
                    "queue mode: \(victim) killed mid-task; \(survivor) ran \(task) again (attempt 2), job done \(seconds) s later"
                )
                try await Reference.expectIdentical(cluster, job: job.id)
            }
        }
    }
}
