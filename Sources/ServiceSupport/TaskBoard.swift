// The stage side of the mask-step contract: tasks by id, each run once on its own thread (the work is
// long, synchronous and CPU-bound; it must not hold a cooperative thread), its events kept for the
// gateway to read. A PUT for a known id answers its status and starts nothing (idempotent); a restarted
// service knows no task, so the gateway PUTs again and the task runs again (its writes are idempotent).
// A DELETE cancels a running task: its work is told through `isCancelled` (checked between its steps), events
// it emits from then on are dropped, and the DELETE answers once the task's thread has ended (or after
// `cancelWait` seconds) with the state `cancelled`, so that the caller may remove the task's outputs.
// A GET may long-poll (`?after=SEQ&wait=SECONDS`): it answers as soon as the task has more than SEQ events or is
// no longer running, or when the wait ends; it sleeps on a `ChangeSignal` that every new event and state change
// of the task signals (no polling).
import Foundation
public import Hummingbird
public import Logging
public import ServiceContracts

public final class TaskBoard: @unchecked Sendable {
    /// The work of one task: reads inputs by key, writes results, reports through `emit`.
    public typealias Work = @Sendable (TaskRequest, _ emit: @escaping @Sendable (TaskEvent) -> Void) throws -> Void
    /// Work that stops early when `isCancelled` answers true.
    public typealias CancellableWork =
        @Sendable (
            TaskRequest, _ emit: @escaping @Sendable (TaskEvent) -> Void, _ isCancelled: @escaping @Sendable () -> Bool
        ) throws -> Void

    private let lock = NSLock()
    private var tasks: [String: TaskStatus] = [:]
    /// Signalled on every new event and state change of a task (long-polling GETs wait on it).
    /// Signalled (key: task id) on each event and when a task ends; long-polling readers wait on it.
    let changes = ChangeSignal()
    /// Tasks asked to stop.
    private var cancelled: Set<String> = []
    /// Tasks whose thread has not ended.
    private var active: Set<String> = []
    private let work: CancellableWork
    /// How long a DELETE waits for the task's thread to end, in seconds.
    public var cancelWait: Double = 20
    /// The longest long-poll a GET may ask for (`wait`), in seconds; longer asks are cut to it.
    public static let maximumWait: Double = 30
    /// Refuses a task before it starts (e.g. over the memory budget); returns what to release when it ends.
    private let admit: @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void)

    public init(
        admit: @escaping @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void) = { _ in {} },
        work: @escaping Work
    ) {
        self.admit = admit
        self.work = { request, emit, _ in try work(request, emit) }
    }

    /// A board whose work checks `isCancelled` between its steps.
    public init(
        admit: @escaping @Sendable (TaskRequest) throws(ServiceError) -> (@Sendable () -> Void) = { _ in {} },
        cancellable work: @escaping CancellableWork
    ) {
        self.admit = admit
        self.work = work
    }

    /// Whether `id` was asked to stop.
    public func isCancelled(_ id: String) -> Bool {
        lock.withLock { cancelled.contains(id) }
    }

    /// Asks a running task to stop; returns its status (nil for an unknown task). A finished task is left as
    /// it is.
    public func cancel(_ id: String) -> TaskStatus? {
        lock.withLock {
            guard let task = tasks[id] else { return nil }
            if active.contains(id) { cancelled.insert(id) }
            return task
        }
    }

    /// Whether the task's thread is still running.
    public func isActive(_ id: String) -> Bool {
        lock.withLock { active.contains(id) }
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
            active.insert(id)
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
            defer {
                release()
                _ = lock.withLock { active.remove(id) }
            }
            let started = Date()
            do {
                try work(request, { event in self.record(event, task: id) }, { self.isCancelled(id) })
                if endCancelled(id, logger: taskLogger, since: started) { return }
                update(id) { $0.state = .done }
                taskLogger.info(
                    "task done", metadata: ["seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
            } catch {
                if endCancelled(id, logger: taskLogger, since: started) { return }
                taskLogger.error("task failed: \(error)")
                let code = (error as? ServiceError)?.code == .unprocessable ? "invalidInput" : "failed"
                update(id) {
                    $0.state = .failed
                    $0.error = "\(error)"
                    $0.errorCode = code
                }
            }
        }
        thread.stackSize = 16 << 20
        thread.start()
        return fresh
    }

    /// Keeps an event of a task that was not cancelled.
    private func record(_ event: TaskEvent, task id: String) {
        let kept = lock.withLock {
            guard !cancelled.contains(id) else { return false }
            tasks[id]?.events.append(event)
            return true
        }
        if kept { changes.signal(id) }
    }

    /// Changes a task's status and wakes its long-polling readers.
    private func update(_ id: String, _ change: (inout TaskStatus) -> Void) {
        lock.withLock {
            guard var task = tasks[id] else { return }
            change(&task)
            tasks[id] = task
        }
        changes.signal(id)
    }

    /// Marks a cancelled task's end; false when it was not cancelled.
    private func endCancelled(_ id: String, logger: Logger, since started: Date) -> Bool {
        guard isCancelled(id) else { return false }
        update(id) { $0.state = .cancelled }
        logger.info(
            "task cancelled", metadata: ["seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
        return true
    }

    // MARK: Long-polling

    /// Whether a reader that has seen `after` events has something new: more events, or an end.
    private static func hasNews(_ task: TaskStatus, after: Int) -> Bool {
        task.state != .running || task.events.count > after
    }

    /// The task's status as soon as it has more than `after` events or is no longer running, or once `wait`
    /// seconds have passed (or the caller is cancelled); nil for an unknown task.
    public func status(_ id: String, after: Int, wait: Double) async -> TaskStatus? {
        let deadline = ContinuousClock.now + .milliseconds(Int(min(max(wait, 0), Self.maximumWait) * 1000))
        while true {
            let generation = changes.generation(id)
            guard let task = status(id) else { return nil }
            if Self.hasNews(task, after: after) || ContinuousClock.now >= deadline || Task.isCancelled { return task }
            await changes.wait(id, since: generation, until: deadline)
        }
    }

    /// Cancels the task and waits (up to `cancelWait` seconds) for its thread to end.
    func cancelAndWait(_ id: String) async throws -> TaskStatus? {
        guard cancel(id) != nil else { return nil }
        let deadline = Date().addingTimeInterval(cancelWait)
        while isActive(id), Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        return status(id)
    }

    /// `PUT`, `GET` and `DELETE /internal/v1/tasks/{id}` on `router` (put it behind `SignatureMiddleware`).
    public func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>, store: ObjectStore) {
        router.put("tasks/:id") { request, context -> Response in
            var request = request
            let id = try context.parameters.require("id")
            let task = try await request.decodeJSON(TaskRequest.self)
            for key in task.inputs.values { try ObjectStore.validate(key) }
            try ObjectStore.validate(String(task.outputPrefix.trimmingSuffix("/")))
            for (role, key) in task.inputs where !(try await store.prefetch(key)) {
                throw ServiceError(.unprocessable, "input \(role) has no object at key '\(key)'")
            }
            return try JSONResponse.make(try self.start(id, request: task, logger: context.logger), status: .accepted)
        }
        router.get("tasks/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            let poll = try Self.longPoll(request.uri.queryParameters)
            let status =
                if let poll { await self.status(id, after: poll.after, wait: poll.wait) } else { self.status(id) }
            guard let status else { throw ServiceError(.notFound, "no task \(id)") }
            return try JSONResponse.make(status)
        }
        router.delete("tasks/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let status = try await self.cancelAndWait(id) else { throw ServiceError(.notFound, "no task \(id)") }
            return try JSONResponse.make(status, status: status.state == .running ? .accepted : .ok)
        }
    }
}

extension TaskBoard {
    /// A GET's long-poll parameters: `after` (events the reader has, default 0) and `wait` (seconds, cut to
    /// `maximumWait`); nil without `wait` (answer at once). A malformed value is a `.badRequest` naming it.
    static func longPoll(_ query: Parameters) throws(ServiceError) -> (after: Int, wait: Double)? {
        guard let waitText = query.get("wait") else { return nil }
        guard let wait = Double(waitText), wait.isFinite, wait >= 0 else {
            throw ServiceError(.badRequest, "wait='\(waitText)' is not a number of seconds ≥ 0")
        }
        let afterText = query.get("after") ?? "0"
        guard let after = Int(afterText), after >= 0 else {
            throw ServiceError(.badRequest, "after='\(afterText)' is not an event count ≥ 0")
        }
        return (after, min(wait, maximumWait))
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : self[...]
    }
}
