import Dispatch
import Foundation
import Synchronization

/// Splits `0..<count` into contiguous chunks and runs `body` on them concurrently.
///
/// Chunks are disjoint, so a body that writes only the elements of its own range needs no locking.
/// With fewer than two chunks of `minimumChunk` items the work runs on the calling thread.
public func concurrentChunks(count: Int, minimumChunk: Int = 1, body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let workers = min(ParallelSettings.workerCount, max(1, count / max(1, minimumChunk)))
    if workers <= 1 {
        body(0..<count)
        return
    }
    let chunk = (count + workers - 1) / workers
    // The body is not `@Sendable` so that kernels can capture buffer pointers; chunks are disjoint and
    // `concurrentPerform` returns only after every chunk has run, so the closure never outlives this call.
    withoutActuallyEscaping(body) { escapable in
        let shared = UncheckedSendable(escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = worker * chunk
            let end = min(count, start + chunk)
            if start < end { shared.value(start..<end) }
        }
    }
}

/// Carries a value into a concurrent closure whose safety the caller guarantees (disjoint writes).
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

/// Process-wide thread count for `concurrentChunks`.
public enum ParallelSettings {
    private static let configured = Atomic<Int>(0)

    /// Threads that kernels may use: the active processor count unless set (e.g. from a command-line flag).
    public static var workerCount: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            return value > 0 ? value : ProcessInfo.processInfo.activeProcessorCount
        }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }
}
