import Foundation
import PostgresStore
import ServiceContracts
import ServiceSupport
import Testing

@Suite struct MigrationTests {
    @Test func migrationsApplyOnceWhenRunTwiceAndConcurrently() async throws {
        try await TestDatabase.with(migrating: false) { database in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await database.migrate() } }
                try await group.waitForAll()
            }
            try await database.migrate()
            let versions = try await TestDatabase.strings(
                database, "SELECT version::text FROM schema_migration ORDER BY version")
            #expect(versions == ["1", "2"])
            let tables = try await TestDatabase.strings(
                database,
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() "
                    + "ORDER BY table_name")
            #expect(
                tables == ["cursor", "event", "job", "schema_migration", "stage_run", "stage_task", "stage_task_event"])
        }
    }
}

@Suite struct StageQueueTests {
    static func request(_ job: String) -> TaskRequest {
        TaskRequest(
            jobID: job, inputs: ["labels": "jobs/\(job)/labels.nii.gz"], outputPrefix: "jobs/\(job)/",
            options: JobOptions())
    }

    /// Queues `count` mesh tasks of distinct jobs; their ids.
    static func enqueue(_ queue: StageQueue, count: Int) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let job = "job\(index)"
            try await queue.enqueue("\(job)-mesh", stage: "mesh", request: request(job))
            try await queue.enqueue("\(job)-mesh", stage: "mesh", request: request(job))  // idempotent
            ids.append("\(job)-mesh")
        }
        return ids
    }

    @Test func twoClaimersNeverTakeTheSameTask() async throws {
        try await TestDatabase.with { database in
            let queue = StageQueue(database: database)
            let ids = try await Self.enqueue(queue, count: 12)
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in ["a", "b"] {
                    group.addTask {
                        var mine: [String] = []
                        while let (claim, release) = try await queue.claim(
                            stages: ["mesh"], workerID: worker, admit: { _ in {} })
                        {
                            release()
                            mine.append(claim.taskID)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.sorted() == ids.sorted())
            let runs = try await TestDatabase.strings(
                database, "SELECT count(*)::text FROM stage_run WHERE attempt = 1")
            #expect(runs == ["12"])
        }
    }

    @Test func anExpiredLeaseIsClaimedAgainAndTheStaleAttemptIsRefused() async throws {
        try await TestDatabase.with { database in
            let queue = StageQueue(database: database, leaseSeconds: 0.5)
            _ = try await Self.enqueue(queue, count: 1)
            let first = try #require(try await queue.claim(stages: ["mesh"], workerID: "a", admit: { _ in {} })).claim
            #expect(first.attempt == 1)
            #expect(try await queue.record(.progress("mesh", done: 1, total: 2), claim: first))
            #expect(try await queue.claim(stages: ["mesh"], workerID: "b", admit: { _ in {} }) == nil)
            try await Task.sleep(nanoseconds: 700_000_000)
            let second = try #require(try await queue.claim(stages: ["mesh"], workerID: "b", admit: { _ in {} })).claim
            #expect(second.attempt == 2 && second.taskID == first.taskID)
            // The new attempt starts from no events; the stale one can write nothing more.
            #expect(try await queue.status(first.taskID)?.events.isEmpty == true)
            #expect(try await !queue.record(.progress("mesh", done: 2, total: 2), claim: first))
            #expect(try await queue.renew(first) == .lost)
            #expect(try await !queue.finish(first, state: .done))
            #expect(try await queue.finish(second, state: .done))
            let status = try #require(try await queue.status(first.taskID))
            #expect(status.state == .done && status.events.isEmpty)
            let runs = try await TestDatabase.strings(
                database, "SELECT attempt || ':' || worker_id || ':' || outcome FROM stage_run ORDER BY attempt")
            #expect(runs == ["1:a:expired", "2:b:done"])
        }
    }

    @Test func cancelIsSeenAtRenewal() async throws {
        try await TestDatabase.with { database in
            let queue = StageQueue(database: database)
            _ = try await Self.enqueue(queue, count: 2)
            let claim = try #require(try await queue.claim(stages: ["mesh"], workerID: "a", admit: { _ in {} })).claim
            #expect(try await queue.renew(claim) == .held(cancelRequested: false))
            #expect(try await queue.isRunning(jobID: claim.request.jobID))
            try await queue.cancel(jobID: claim.request.jobID)
            try await queue.cancel(jobID: "job1")
            #expect(try await queue.renew(claim) == .held(cancelRequested: true))
            // A queued task of a cancelled job ends at once and is never claimed.
            #expect(try await queue.status("job1-mesh")?.state == .cancelled)
            #expect(try await queue.claim(stages: ["mesh"], workerID: "b", admit: { _ in {} }) == nil)
            #expect(try await queue.finish(claim, state: .cancelled))
            #expect(try await !queue.isRunning(jobID: claim.request.jobID))
            try await queue.remove(jobID: claim.request.jobID)
            #expect(try await queue.status(claim.taskID) == nil)
        }
    }

    @Test func aTaskNotAdmittedNowStaysQueuedAndOneRefusedForGoodFails() async throws {
        try await TestDatabase.with { database in
            let queue = StageQueue(database: database)
            _ = try await Self.enqueue(queue, count: 1)
            let busy = try await queue.claim(stages: ["mesh"], workerID: "a") { _ throws(ServiceError) in
                throw ServiceError(.unavailable, "memory budget full")
            }
            #expect(busy == nil)
            #expect(
                try await TestDatabase.strings(database, "SELECT state || ':' || attempt FROM stage_task") == [
                    "queued:0"
                ])
            let refused = try await queue.claim(stages: ["mesh"], workerID: "a") { _ throws(ServiceError) in
                throw ServiceError(.unprocessable, "the CT is not a volume")
            }
            #expect(refused == nil)
            let status = try #require(try await queue.status("job0-mesh"))
            #expect(status.state == .failed && status.errorCode == "invalidInput")
            #expect(status.error == "the CT is not a volume")
        }
    }
}
