// How the driver reaches a stage's task. Over HTTP (the mask-step contract): a long-polled GET, and a PUT when
// the service does not know the task. Through the queue (queue mode, built-in stages): the task's row in
// `stage_task`, inserted when missing; the driver asks again after `pollInterval` when nothing is new (short
// polling, ≤ 100 ms by default). Both answer the same `TaskStatus`, so `JobDriver.runStage` keeps one logic:
// cursor, copied events, failure → job failed.
import Foundation
import PostgresStore
import ServiceContracts
import ServiceSupport

/// What one status request brought.
enum StagePoll: Sendable {
    /// The task's status.
    case status(TaskStatus)
    /// The stage did not know the task and has taken it now: ask again at once.
    case started
    /// The stage cannot take the task now (the reason, for the log): ask again after a backoff.
    case busy(String)
}

protocol StageTransport: Sendable {
    /// The task's status past `after` events (long-polled where the stage can), starting it when unknown.
    /// Throws `JobDriver.StageFailure` when the stage refuses the task for good.
    func poll(_ taskID: String, request: TaskRequest, after: Int) async throws -> StagePoll
}

/// A stage service on the mask-step contract (`/internal/v1/tasks/{id}`, signed requests).
struct HTTPStageTransport: StageTransport {
    let step: StepEndpoint
    let client: InternalClient
    /// How long the stage may hold a status request, in seconds (`wait`).
    let statusWait: Double

    func poll(_ taskID: String, request: TaskRequest, after: Int) async throws -> StagePoll {
        let path = "\(TaskRoutes.tasks)/\(taskID)"
        let poll = "\(path)?after=\(after)&wait=\(statusWait)"
        let (status, data) = try await client.send("GET", base: step.url, path: poll, jobID: request.jobID)
        switch status {
        case 200:
            return .status(try JSONDecoder().decode(TaskStatus.self, from: data))
        case 404:
            let body = try JobStore.encode(request)
            let (put, answer) = try await client.send(
                "PUT", base: step.url, path: path, body: body, jobID: request.jobID)
            if put == 202 || put == 200 { return .started }
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: answer))?.error.message
            if (400..<500).contains(put) {
                throw JobDriver.StageFailure(message: "\(step.name) refused the task: \(message ?? "HTTP \(put)")")
            }
            return .busy("busy (HTTP \(put)): \(message ?? "")")
        default:
            return .busy("answered HTTP \(status)")
        }
    }

    /// Asks the service to stop the task (`DELETE`; it answers once the task has ended). An unknown task (404)
    /// or an unreachable service is skipped: a service that is down runs nothing.
    func stop(_ taskID: String, jobID: String) async -> Bool {
        let path = "\(TaskRoutes.tasks)/\(taskID)"
        let status = try? await client.send("DELETE", base: step.url, path: path, jobID: jobID).status
        return status == 200 || status == 202
    }
}

/// A built-in stage taken by replicas from the PostgreSQL queue.
struct QueueStageTransport: StageTransport {
    let stage: String
    let queue: StageQueue

    func poll(_ taskID: String, request: TaskRequest, after: Int) async throws -> StagePoll {
        guard let status = try await queue.status(taskID) else {
            try await queue.enqueue(taskID, stage: stage, request: request)
            return .started
        }
        return .status(status)
    }
}
