import Foundation
import ServiceContracts
import ServiceSupport
import Testing

/// The stage side of the mask-step contract: a cancelled task stops, ends `cancelled` and reports nothing more.
@Suite struct TaskBoardTests {
    static let request = TaskRequest(jobID: "job", inputs: [:], outputPrefix: "jobs/job/", options: JobOptions())

    /// Waits (up to 10 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !condition(), Date() < deadline { try await Task.sleep(nanoseconds: 5_000_000) }
        return condition()
    }

    @Test func aCancelledTaskStopsAndReportsNothingMore() async throws {
        let steps = Counter()
        let board = TaskBoard(cancellable: { _, emit, isCancelled in
            // One "tile" per millisecond until told to stop; an event after the stop must be dropped.
            while !isCancelled() {
                steps.increment()
                emit(.progress("model", done: steps.value, total: 1_000_000))
                Thread.sleep(forTimeInterval: 0.001)
            }
            emit(.artifact(Artifact(kind: "mask", structure: "kidney", key: "jobs/job/masks/kidney.nii.gz")))
        })
        #expect(try board.start("job-image", request: Self.request).state == .running)
        #expect(try await Self.eventually { steps.value >= 3 })
        let asked = try #require(board.cancel("job-image"))
        #expect(asked.state == .running)
        #expect(try await Self.eventually { !board.isActive("job-image") })
        let status = try #require(board.status("job-image"))
        #expect(status.state == .cancelled)
        #expect(status.events.allSatisfy { $0.type == "progress" }, "an event after the cancel was kept")
        let ended = steps.value
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(steps.value == ended, "the work went on after it ended")
        #expect(board.cancel("unknown") == nil)
    }

    @Test func cancellingAFinishedTaskLeavesIt() async throws {
        let board = TaskBoard { _, emit in emit(.progress("m", done: 1, total: 1)) }
        _ = try board.start("t", request: Self.request)
        #expect(try await Self.eventually { board.status("t")?.state == .done })
        #expect(board.cancel("t")?.state == .done)
        #expect(board.status("t")?.state == .done && board.status("t")?.events.count == 1)
        #expect(!board.isCancelled("t"))
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
