// Label maps and masks between services are NIfTI-1 `.nii.gz` uint8 (design.md §3). A stage writes one the
// way every object is written: into a temporary file beside the key, renamed into place, so a reader (the
// gateway serving an artifact, the next stage) sees the whole file or none; uploaded in S3 mode; then it
// announces it.
import ArrayCore
import NiftiIO
public import ServiceContracts
public import VolumeCore

extension ObjectStore {
    /// Writes `volume` as NIfTI at `key` (gzip when the key ends in `.gz`) atomically, then announces it
    /// through `emit` as an artifact of `kind` (and `structure`, for a single structure's mask).
    /// - Throws: `.invalidKey` for a bad key, `.storage` when the file cannot be written or renamed (nothing is
    ///   left at `key` then); in S3 mode the upload's errors.
    public func putLabelMap(
        _ volume: Volume<UInt8>, key: String, kind: String, structure: String? = nil,
        emit: (TaskEvent) -> Void
    ) throws(ServiceError) {
        let pending = try beginWrite(key)
        pending.abort()  // only its name is used: NiftiWriter chooses gzip by the file's extension
        let temporary = pending.temporary.appendingPathExtension(key.hasSuffix(".gz") ? "nii.gz" : "nii")
        do {
            try NiftiWriter.write(volume, to: temporary.path)
        } catch {
            throw ServiceError(.storage, "cannot write the label map for key '\(key)'", underlying: error)
        }
        try PendingObject.install(temporary, at: pending.target, key: key)
        try publish(key)
        emit(.artifact(Artifact(kind: kind, structure: structure, key: key)))
    }
}
