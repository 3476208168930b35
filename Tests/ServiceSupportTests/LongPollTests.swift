import Foundation
import ServiceContracts
import Testing

@testable import ServiceSupport

/// Long-polled task status (`TaskBoard.status(_:after:wait:)`) and the `ChangeSignal` under it. Whether a wait
/// was woken by news, its deadline or cancellation is read from the wait's own answer (`ChangeSignal.Wake`), not
/// from the clock: other suites running beside these can hold the two cooperative threads for minutes on a
/// loaded 2-core machine (seen in CI: 150 s), so a wall-clock upper bound cannot tell a missed wake-up from a
/// slow machine. Clock bounds are only lower bounds (nothing answers before its news).
@Suite struct LongPollTests {
    /// A task that emits one event whenever `emitNext` is signalled, and ends when `finish` is.
    final class Script: @unchecked Sendable {
        let emitNext = DispatchSemaphore(value: 0)
        let finish = DispatchSemaphore(value: 0)
    }

    static func board(_ script: Script) -> TaskBoard {
        TaskBoard { _, emit in
            while script.finish.wait(timeout: .now() + 0.001) == .timedOut {
                if script.emitNext.wait(timeout: .now() + 0.001) == .success {
                    emit(.progress("model", done: 1, total: 2))
                }
            }
        }
    }

    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func answersAtOnceWhenTheReaderIsBehind() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        script.emitNext.signal()
        #expect(try await TaskBoardTests.eventually { board.status("t")?.events.count == 1 })
        let generation = board.changes.generation("t")
        let status = await board.status("t", after: 0, wait: 30)
        #expect(status?.events.count == 1)
        #expect(board.changes.generation("t") == generation, "nothing changed while it answered")
        script.finish.signal()
    }

    /// An event wakes a waiting reader (the board signals it); the reader then sees the event.
    @Test func anEventWakesTheReader() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        let generation = board.changes.generation("t")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { script.emitNext.signal() }
        let wake = await board.changes.wait("t", since: generation, until: .now + .seconds(600))
        #expect(wake == .changed)
        let status = await board.status("t", after: 0, wait: 30)
        #expect(status?.events.count == 1 && status?.state == .running)
        script.finish.signal()
    }

    /// The task's end wakes a waiting reader, and the status says done.
    @Test func theTasksEndWakesTheReader() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        let generation = board.changes.generation("t")
        let started = ContinuousClock.now
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { script.finish.signal() }
        let wake = await board.changes.wait("t", since: generation, until: .now + .seconds(600))
        #expect(wake == .changed)
        #expect(ContinuousClock.now - started >= .milliseconds(250), "woke before the task ended")
        let status = await board.status("t", after: 0, wait: 30)
        #expect(status?.state == .done && status?.events.isEmpty == true)
    }

    @Test func answersWhenTheWaitEndsWithoutNews() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        var status: TaskStatus?
        let elapsed = await Self.seconds { status = await board.status("t", after: 0, wait: 0.4) }
        #expect(status?.state == .running && status?.events.isEmpty == true)
        #expect(elapsed >= 0.35, "a 0.4 s wait took \(elapsed) s")
        #expect(await board.status("unknown", after: 0, wait: 5) == nil)
        let deadline = await board.changes.wait(
            "t", since: board.changes.generation("t"), until: .now + .milliseconds(50))
        #expect(deadline == .deadline)
        script.finish.signal()
    }

    @Test func aSignalBeforeTheWaitIsNotLost() async {
        let signal = ChangeSignal()
        let generation = signal.generation("job")
        signal.signal("job")
        #expect(signal.generation("job") == generation + 1)
        #expect(await signal.wait("job", since: generation, until: .now + .seconds(600)) == .changed)
    }

    @Test func aCancelledWaiterReturns() async {
        let signal = ChangeSignal()
        let waiter = Task { await signal.wait("job", since: 0, until: .now + .seconds(600)) }
        try? await Task.sleep(nanoseconds: 100_000_000)
        waiter.cancel()
        #expect(await waiter.value == .cancelled)
    }
}
