import Foundation
import Segmentation

/// The loaded models, once they are, and how many models' checkpoints were read.
final class ModelShelf: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: LoadedModels?
    private var failed: String?
    private var reads = 0

    var loaded: LoadedModels? { lock.withLock { stored } }
    var failure: String? { lock.withLock { failed } }
    var checkpointReads: Int { lock.withLock { reads } }

    func set(_ models: LoadedModels) { lock.withLock { stored = models } }
    func fail(_ reason: String) { lock.withLock { failed = reason } }
    func countCheckpointRead() { lock.withLock { reads += 1 } }
}
