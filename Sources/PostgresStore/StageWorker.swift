// A replica's worker loop in queue mode: claims tasks of its stages (while it runs fewer than
// `maximumRunning` and the admission closure accepts them), runs each with the same work closure the
// `TaskBoard` runs, on its own thread (long, synchronous, CPU-bound work must not hold a cooperative thread),
// renews the lease every third of it, and ends the attempt done, failed or cancelled. The work's `emit` writes
// the event before it returns (the work thread waits, never a cooperative one); a refused write (the attempt is
// stale: another replica claimed the task after this one's lease expired) makes `isCancelled` answer true, and
// so does a renewal that finds `cancel_requested`. An idle worker looks for work every 0.5–1 × `idlePoll` seconds.
// When the replica shuts down (the worker's task is cancelled), it claims nothing more and hands every running
// task back to the queue (`StageQueue.handBack`): another replica takes it at its next look, not after the
// lease; the stopped work writes nothing more, and its end is not recorded.
import Foundation
public import Logging
public import ServiceContracts
public import ServiceSupport

public final class StageWorker: Sendable {
    let queue: StageQueue
    let stages: [String]
    public let workerID: String
    let maximumRunning: Int
    let admit: StageQueue.Admit
    let work: TaskBoard.CancellableWork
    let logger: Logger
    /// Pause, in seconds, before an idle worker (or one at its limit) looks again.
    let idlePoll = 0.2
    /// The claims running now, by task id, with their stop and hand-back flags.
    private let active = ActiveClaims()

    public init(
        queue: StageQueue, stages: [String], workerID: String, maximumRunning: Int = 2,
        admit: @escaping StageQueue.Admit = { _ in {} }, work: @escaping TaskBoard.CancellableWork, logger: Logger
    ) {
        self.queue = queue
        self.stages = stages
        self.workerID = workerID
        self.maximumRunning = maximumRunning
        self.admit = admit
        self.work = work
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(workerID)"
        self.logger = logger
    }

    /// `hostname-pid`: the default worker id.
    public static var defaultID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Claims and starts tasks until the calling task is cancelled.
    public func run() async {
        logger.info("worker started", metadata: ["stages": "\(stages.joined(separator: ","))"])
        while !Task.isCancelled {
            if active.count < maximumRunning {
                do {
                    if let (claim, release) = try await queue.claim(stages: stages, workerID: workerID, admit: admit) {
                        start(claim, release: release)
                        continue
                    }
                } catch {
                    logger.warning("cannot claim a task: \(error)")
                }
            }
            // Jittered, so that replicas' polls do not keep one phase (the first after an insert wins the task).
            try? await Task.sleep(nanoseconds: UInt64(Double.random(in: 0.5...1) * idlePoll * 1e9))
        }
        await handBackRunning()
    }

    /// Shutting down: stops every running task and gives it back to the queue for another replica. The calling
    /// task is cancelled by then (so would be its queries): the hand-backs run in a task of their own, awaited.
    private func handBackRunning() async {
        await Task { await self.handBack(self.active.all) }.value
    }

    private func handBack(_ claims: [(StageClaim, stop: Flag, handedBack: Flag)]) async {
        for (claim, stop, handedBack) in claims {
            handedBack.set()  // before `stop`: the work's thread then records no end
            stop.set()
            let given = await persistently { try await self.queue.handBack(claim) }
            logger.info(
                given ? "task handed back" : "task not handed back (it ended, or the attempt is stale)",
                metadata: ["job_id": "\(claim.request.jobID)", "task_id": "\(claim.taskID)"])
        }
    }

    /// Runs the claimed task on its own thread, its lease renewed beside it.
    func start(_ claim: StageClaim, release: @escaping @Sendable () -> Void) {
        var logger = logger
        logger[metadataKey: "job_id"] = "\(claim.request.jobID)"
        logger[metadataKey: "task_id"] = "\(claim.taskID)"
        logger.info("task claimed", metadata: ["stage": "\(claim.stage)", "attempt": "\(claim.attempt)"])
        let stop = Flag()
        let handedBack = Flag()
        active.insert(claim, stop: stop, handedBack: handedBack)
        let renewal = Task { await self.renew(claim, stop: stop, logger: logger) }
        let taskLogger = logger
        let thread = Thread { [self] in
            defer {
                renewal.cancel()
                active.remove(claim.taskID)
                release()
            }
            let (state, error, code) = execute(claim, stop: stop)
            if handedBack.isSet { return }  // another replica runs it
            let ended = waitForAsync {
                await self.persistently {
                    try await self.queue.finish(claim, state: state, error: error, errorCode: code)
                }
            }
            taskLogger.info(
                "task \(state.rawValue)\(ended ? "" : " (not recorded: a stale attempt, or no database)")",
                metadata: error.map { ["error": "\($0)"] } ?? [:])
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Runs the work; its end state, error and error code.
    private func execute(_ claim: StageClaim, stop: Flag) -> (TaskState, String?, String?) {
        let emit: @Sendable (TaskEvent) -> Void = { [self, queue] event in
            guard !stop.isSet else { return }
            if !waitForAsync({ await self.persistently { try await queue.record(event, claim: claim) } }) { stop.set() }
        }
        do {
            try work(claim.request, emit, { stop.isSet })
            return stop.isSet ? (.cancelled, nil, nil) : (.done, nil, nil)
        } catch {
            if stop.isSet { return (.cancelled, nil, nil) }
            return (.failed, "\(error)", (error as? ServiceError)?.code == .unprocessable ? "invalidInput" : "failed")
        }
    }

    /// A write of the attempt, tried again while the database does not answer, for up to a lease (by then
    /// another replica may own the task); false when it was refused (a stale attempt) or never went through.
    private func persistently(_ write: @Sendable () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(queue.leaseSeconds * 1000))
        while true {
            do {
                return try await write()
            } catch {
                guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
                logger.warning("database write failed, retrying: \(error)")
                try? await Task.sleep(nanoseconds: UInt64(idlePoll * 1e9))
            }
        }
    }

    /// Renews the lease every third of it until cancelled; sets `stop` when the task is to stop or was lost.
    private func renew(_ claim: StageClaim, stop: Flag, logger: Logger) async {
        let period = UInt64(queue.leaseSeconds / 3 * 1e9)
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: period)
            if Task.isCancelled { return }
            do {
                switch try await queue.renew(claim) {
                case .held(cancelRequested: false): continue
                case .held(cancelRequested: true):
                    logger.info("task cancel requested")
                    stop.set()
                case .lost:
                    logger.warning("task lost (lease expired, claimed again)")
                    stop.set()
                }
            } catch {
                logger.warning("cannot renew the lease: \(error)")
            }
        }
    }
}

/// A flag set once, read from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    var isSet: Bool { lock.withLock { raised } }
    func set() { lock.withLock { raised = true } }
}

/// The claims a worker runs now, with their flags, shared between threads.
final class ActiveClaims: @unchecked Sendable {
    private let lock = NSLock()
    private var claims: [String: (StageClaim, stop: Flag, handedBack: Flag)] = [:]

    var all: [(StageClaim, stop: Flag, handedBack: Flag)] { lock.withLock { Array(claims.values) } }
    var count: Int { lock.withLock { claims.count } }
    func insert(_ claim: StageClaim, stop: Flag, handedBack: Flag) {
        lock.withLock { claims[claim.taskID] = (claim, stop, handedBack) }
    }
    func remove(_ taskID: String) { _ = lock.withLock { claims.removeValue(forKey: taskID) } }
}
