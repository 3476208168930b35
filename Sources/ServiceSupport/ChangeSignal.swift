// An event count per key for long-polling readers: a reader notes the key's generation, checks its condition,
// and waits for the generation to move on (or a deadline); a writer changes its data, then signals the key.
// A change between the reader's check and its wait is not lost: the wait returns at once when the generation
// it noted is no longer the current one. Waiters sleep on continuations (no polling, no thread held).
import Foundation

/// Wakes async waiters when something named by a key changes (see the file header).
public final class ChangeSignal: @unchecked Sendable {
    /// Why a wait returned.
    public enum Wake: Sendable, Equatable {
        /// The key moved past the generation the waiter noted (before or during the wait).
        case changed
        /// The deadline passed first.
        case deadline
        /// The waiting task was cancelled.
        case cancelled
    }

    private let lock = NSLock()
    private var generations: [String: UInt64] = [:]
    private var waiters: [String: [UUID: CheckedContinuation<Wake, Never>]] = [:]

    public init() {}

    /// The key's current generation (0 before its first change).
    public func generation(_ key: String) -> UInt64 {
        lock.withLock { generations[key, default: 0] }
    }

    /// Records a change of `key` and wakes everyone waiting on it.
    public func signal(_ key: String) {
        let waiting = lock.withLock {
            generations[key, default: 0] &+= 1
            return waiters.removeValue(forKey: key) ?? [:]
        }
        for continuation in waiting.values { continuation.resume(returning: .changed) }
    }

    /// Forgets a key that will not change again (a deleted job), after waking its waiters.
    public func forget(_ key: String) {
        signal(key)
        _ = lock.withLock { generations.removeValue(forKey: key) }
    }

    /// Returns once `key` has moved past `generation`, at `deadline`, or when the caller is cancelled, saying
    /// which.
    @discardableResult
    public func wait(_ key: String, since generation: UInt64, until deadline: ContinuousClock.Instant) async -> Wake {
        let token = UUID()
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.wake(key, token: token, .deadline)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let early: Wake? = lock.withLock {
                    if generations[key, default: 0] != generation { return .changed }
                    if Task.isCancelled { return .cancelled }
                    waiters[key, default: [:]][token] = continuation
                    return nil
                }
                if let early { continuation.resume(returning: early) }
            }
        } onCancel: {
            wake(key, token: token, .cancelled)
        }
    }

    /// Resumes one waiter (its deadline passed or its caller went away).
    private func wake(_ key: String, token: UUID, _ reason: Wake) {
        let continuation = lock.withLock { waiters[key]?.removeValue(forKey: token) }
        continuation?.resume(returning: reason)
    }
}
