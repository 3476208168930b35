import Foundation

/// Runs `operation` on the cooperative pool and waits for its answer on this thread. Only for threads outside the
/// pool (stage work on its own `Thread`): blocking a pool thread could starve the very task it waits for.
public func waitForAsync<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
    let box = AnswerBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.answer = await operation()
        done.signal()
    }
    done.wait()
    return box.answer!  // set before the signal
}

/// An answer handed from its task to the waiting thread (the semaphore orders the accesses).
private final class AnswerBox<T: Sendable>: @unchecked Sendable {
    var answer: T?
}
