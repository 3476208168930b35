import Foundation
import ServiceContracts
import ServiceSupport
import Testing

/// Long-polled task status (`TaskBoard.status(_:after:wait:)`) and the `ChangeSignal` under it: an answer the
/// moment there is news, none before, and the wait's end otherwise. Waits are long (60 s) and the bounds on
/// the answer's time far below them (30 s): other suites running beside these may hold the cooperative threads
/// for seconds, but only a reader that slept through its news waits the whole minute.
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
        var status: TaskStatus?
        let elapsed = await Self.seconds { status = await board.status("t", after: 0, wait: 60) }
        #expect(status?.events.count == 1)
        #expect(elapsed < 30, "a reader with news waited \(elapsed) s")
        script.finish.signal()
    }

    @Test func answersTheMomentAnEventArrives() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { script.emitNext.signal() }
        var status: TaskStatus?
        let elapsed = await Self.seconds { status = await board.status("t", after: 0, wait: 60) }
        #expect(status?.events.count == 1 && status?.state == .running)
        #expect(elapsed >= 0.25, "answered after \(elapsed) s, before the event")
        #expect(elapsed < 30, "answered \(elapsed) s after a 0.3 s event")
        script.finish.signal()
    }

    @Test func answersTheMomentTheTaskEnds() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { script.finish.signal() }
        var status: TaskStatus?
        let elapsed = await Self.seconds { status = await board.status("t", after: 0, wait: 60) }
        #expect(status?.state == .done && status?.events.isEmpty == true)
        #expect(elapsed >= 0.25 && elapsed < 30, "answered after \(elapsed) s for an end at 0.3 s")
    }

    @Test func answersWhenTheWaitEndsWithoutNews() async throws {
        let script = Script()
        let board = Self.board(script)
        _ = try board.start("t", request: TaskBoardTests.request)
        var status: TaskStatus?
        let elapsed = await Self.seconds { status = await board.status("t", after: 0, wait: 0.4) }
        #expect(status?.state == .running && status?.events.isEmpty == true)
        #expect(elapsed >= 0.35 && elapsed < 30, "a 0.4 s wait took \(elapsed) s")
        #expect(await board.status("unknown", after: 0, wait: 5) == nil)
        script.finish.signal()
    }

    @Test func aSignalBeforeTheWaitIsNotLost() async {
        let signal = ChangeSignal()
        let generation = signal.generation("job")
        signal.signal("job")
        #expect(signal.generation("job") == generation + 1)
        let elapsed = await Self.seconds { await signal.wait("job", since: generation, until: .now + .seconds(60)) }
        #expect(elapsed < 30, "a change before the wait was missed: waited \(elapsed) s")
    }

    @Test func aCancelledWaiterReturns() async {
        let signal = ChangeSignal()
        let waiter = Task { await signal.wait("job", since: 0, until: .now + .seconds(60)) }
        let elapsed = await Self.seconds {
            try? await Task.sleep(nanoseconds: 100_000_000)
            waiter.cancel()
            await waiter.value
        }
        #expect(elapsed < 30, "a cancelled waiter slept on for \(elapsed) s")
    }
}
