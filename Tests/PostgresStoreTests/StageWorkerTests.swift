import Foundation
import PostgresStore
import ServiceContracts
import ServiceSupport
import Testing

@Suite struct StageWorkerTests {
    /// Waits (up to 10 s) until the task is no longer running; its status.
    static func ended(_ queue: StageQueue, _ taskID: String) async throws -> TaskStatus {
        for _ in 0..<200 {
            if let status = try await queue.status(taskID), status.state != .running { return status }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw Timeout(taskID: taskID)
    }

    struct Timeout: Error { var taskID: String }

    @Test func aWorkerRunsItsStagesTasksAndRecordsTheirEvents() async throws {
        try await TestDatabase.with { database in
            let queue = StageQueue(database: database, leaseSeconds: 1)
            let worker = StageWorker(
                queue: queue, stages: ["post"], workerID: "w1",
                work: { request, emit, _ in
                    emit(.progress("post", done: 1, total: 2))
                    emit(.artifact(Artifact(kind: "report", key: request.outputPrefix + "report.json")))
                }, logger: TestDatabase.logger)
            let running = Task { await worker.run() }
            defer { running.cancel() }
            try await queue.enqueue("j1-post", stage: "post", request: StageQueueTests.request("j1"))
            try await queue.enqueue("j1-mesh", stage: "mesh", request: StageQueueTests.request("j1"))
            let status = try await Self.ended(queue, "j1-post")
            #expect(status.state == .done && status.events.map(\.type) == ["progress", "artifact"])
            #expect(try await queue.status("j1-mesh")?.state == .running)  // not this worker's stage: still queued
            let runs = try await TestDatabase.strings(
                database, "SELECT task_id || ':' || worker_id || ':' || outcome FROM stage_run")
            #expect(runs == ["j1-post:w1:done"])
        }
    }

    @Test func aCancelRequestStopsTheWorkAtTheNextRenewal() async throws {
        try await TestDatabase.with { database in
            let queue = StageQueue(database: database, leaseSeconds: 0.6)
            let worker = StageWorker(
                queue: queue, stages: ["mesh"], workerID: "w1",
                work: { _, emit, isCancelled in
                    emit(.progress("mesh", done: 0, total: 1))
                    while !isCancelled() { Thread.sleep(forTimeInterval: 0.02) }
                }, logger: TestDatabase.logger)
            let running = Task { await worker.run() }
            defer { running.cancel() }
            try await queue.enqueue("j2-mesh", stage: "mesh", request: StageQueueTests.request("j2"))
            while try await queue.status("j2-mesh")?.events.isEmpty != false {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            try await queue.cancel(jobID: "j2")
            #expect(try await Self.ended(queue, "j2-mesh").state == .cancelled)
            #expect(try await !queue.isRunning(jobID: "j2"))
        }
    }
}
