// The stage side of the mask-step contract: tasks by id, each run once on its own thread (the work is
// long, synchronous and CPU-bound; it must not hold a cooperative thread), its events kept for the
// gateway to read. A PUT for a known id answers its status and starts nothing (idempotent); a restarted
// service knows no task, so the gateway PUTs again and the task runs again (its writes are idempotent).
import Foundation
public import Hummingbird
public import Logging
public import ServiceContracts

public final class TaskBoard: @unchecked Sendable {
    /// The work of one task: reads inputs by key, writes results, reports through `emit`.
    public typealias Work = @Sendable (TaskRequest, _ emit: @escaping @Sendable (TaskEvent) -> Void) throws -> Void

    private let lock = NSLock()
    private var tasks: [String: TaskStatus] = [:]
    private let work: Work
    /// Refuses a task before it starts (e.g. over the memory budget); returns what to release when it ends.
    private let admit: @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void)

    public init(
        admit: @escaping @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void) = { _ in {} },
        work: @escaping Work
    ) {
        self.admit = admit
        self.work = work
    }

    public func status(_ id: String) -> TaskStatus? {
        lock.withLock { tasks[id] }
    }

    /// Starts the task unless it is known; returns its status.
    public func start(
        _ id: String, request: TaskRequest, logger: Logger = Logger(label: "organa.task")
    ) throws(ServiceError) -> TaskStatus {
        if let known = status(id) { return known }
        let release = try admit(request)
        let fresh = TaskStatus(taskID: id, state: .running)
        let inserted: Bool = lock.withLock {
            if tasks[id] != nil { return false }
            tasks[id] = fresh
            return true
        }
        guard inserted else {
            release()
            return status(id) ?? fresh
        }
        var logger = logger
        logger[metadataKey: "job_id"] = "\(request.jobID)"
        logger[metadataKey: "task_id"] = "\(id)"
        logger.info("task started")
        let taskLogger = logger
        let thread = Thread { [self] in
            defer { release() }
            let started = Date()
            do {
                try work(request) { event in
                    self.lock.withLock { self.tasks[id]?.events.append(event) }
                }
                lock.withLock { tasks[id]?.state = .done }
                taskLogger.info(
                    "task done", metadata: ["seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
            } catch {
                taskLogger.error("task failed: \(error)")
                let code = (error as? ServiceError)?.code == .unprocessable ? "invalidInput" : "failed"
                lock.withLock {
                    tasks[id]?.state = .failed
                    tasks[id]?.error = "\(error)"
                    tasks[id]?.errorCode = code
                }
            }
        }
        thread.stackSize = 16 << 20
        thread.start()
        return fresh
    }

    /// `PUT` and `GET /internal/v1/tasks/{id}` on `router` (put it behind `SignatureMiddleware`).
    public func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>, store: ObjectStore) {
        router.put("tasks/:id") { request, context -> Response in
            var request = request
            let id = try context.parameters.require("id")
            let task = try await request.decodeJSON(TaskRequest.self)
            for key in task.inputs.values { try ObjectStore.validate(key) }
            try ObjectStore.validate(String(task.outputPrefix.trimmingSuffix("/")))
            for (role, key) in task.inputs where !(try store.exists(key)) {
                throw ServiceError(.unprocessable, "input \(role) has no object at key '\(key)'")
            }
            return try JSONResponse.make(try self.start(id, request: task, logger: context.logger), status: .accepted)
        }
        router.get("tasks/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let status = self.status(id) else { throw ServiceError(.notFound, "no task \(id)") }
            return try JSONResponse.make(status)
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : self[...]
    }
}
