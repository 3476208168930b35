// The object store's S3 mode (see ObjectStore.swift's header): local files for keys (downloaded into the cache
// folder on first use, temporary file + rename, so a reader never sees a part), uploads of files written into
// the folder, and the bridge that lets stage threads wait on the async client.
public import Foundation

extension ObjectStore {
    /// A local file holding the object at `key`: the file itself in filesystem mode; in S3 mode the cached copy,
    /// downloaded first when it is not cached (blocking; stage threads only). Throws `.notFound` in S3 mode
    /// when the bucket has no such object.
    public func localFile(for key: String) throws(ServiceError) -> URL {
        let file = try url(for: key)
        guard let remote, !FileManager.default.fileExists(atPath: file.path) else { return file }
        try Self.blocking { () async throws(ServiceError) in try await Self.fetch(key, into: file, from: remote) }
        return file
    }

    /// A local file holding the object at `key`, downloaded into the cache first in S3 mode.
    public func localFile(for key: String) async throws(ServiceError) -> URL {
        let file = try url(for: key)
        guard let remote, !FileManager.default.fileExists(atPath: file.path) else { return file }
        try await Self.fetch(key, into: file, from: remote)
        return file
    }

    /// Whether an object is stored at `key`; in S3 mode it is downloaded into the cache on the way, so the
    /// blocking reads of a task's inputs (`localFile`) find them local. For route handlers checking inputs.
    public func prefetch(_ key: String) async throws(ServiceError) -> Bool {
        guard remote != nil else { return try await exists(key) }
        do {
            _ = try await localFile(for: key)
            return true
        } catch  where error.code == .notFound {
            return false
        }
    }

    /// In S3 mode, uploads the file written at `key`'s place in the folder (blocking); nothing in filesystem
    /// mode. For results written straight into the folder (the mesh service's OBJ files).
    public func publish(_ key: String) throws(ServiceError) {
        let file = try url(for: key)
        guard let remote else { return }
        try Self.blocking { () async throws(ServiceError) in try await remote.upload(file, as: key) }
    }

    /// Downloads `key` to a temporary file beside `file`, then renames it into place.
    static func fetch(_ key: String, into file: URL, from remote: S3Client) async throws(ServiceError) {
        let folder = file.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString).partial")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ServiceError(.storage, "cannot create the cache folder for key '\(key)'", underlying: error)
        }
        do {
            try await remote.download(key, to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try PendingObject.install(temporary, at: file, key: key)
    }

    /// Deletes every object of the bucket at `prefix` or under `prefix/`.
    static func removeRemote(under prefix: String, in remote: S3Client) async throws(ServiceError) {
        for key in try await remote.keys(under: prefix) where key == prefix || key.hasPrefix(prefix + "/") {
            try await remote.delete(key)
        }
    }

    /// `waitForAsync` for the store's throwing S3 calls (stage threads only).
    static func blocking<T: Sendable>(
        _ operation: @escaping @Sendable () async throws(ServiceError) -> T
    ) throws(ServiceError) -> T {
        try waitForAsync { () async -> Result<T, ServiceError> in
            do throws(ServiceError) {
                return .success(try await operation())
            } catch {
                return .failure(error)
            }
        }.get()
    }
}
