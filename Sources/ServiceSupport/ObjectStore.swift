// Filesystem object store: keys are relative paths under one root (`jobs/{id}/masks/kidney.nii.gz`).
// Every key is validated (segments of [A-Za-z0-9._-], no `.`/`..`, no leading `/`, at most 512 bytes), so
// no key can leave the root. Writes go to a temporary file in the same folder and are renamed into place:
// a reader sees the old object or the whole new one, never a part, and writing a key again replaces it.
// In S3 mode (`remote` set, design note 0008) the bucket holds the objects of record under the same keys and
// the folder is a scratch and read cache: a write lands in the folder as above, then is uploaded; a read of a
// key not cached downloads it first (`localFile`); `exists` asks S3 (HEAD); `removeAll` deletes in both.
// The blocking forms wait on S3 from the calling thread: stage work (TaskBoard's threads) only; code on
// Swift's cooperative pool (route handlers, the gateway) uses the `async` forms.
public import Foundation

public struct ObjectStore: Sendable {
    public let root: URL
    /// The bucket of record in S3 mode; nil for the filesystem store.
    public let remote: S3Client?

    /// The filesystem store at `root`, or in S3 mode (`remote`) its scratch and read cache.
    public init(root: URL, remote: S3Client? = nil) throws(ServiceError) {
        self.remote = remote
        self.root = root.standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        } catch {
            throw ServiceError(.storage, "cannot create the object store at \(root.path)", underlying: error)
        }
    }

    /// Throws `.invalidKey` unless `key` is a safe relative path.
    public static func validate(_ key: String) throws(ServiceError) {
        guard !key.isEmpty, key.utf8.count <= 512, !key.hasPrefix("/"), !key.hasSuffix("/") else {
            throw ServiceError(.invalidKey, "storage key '\(key)' is empty, too long or not relative")
        }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            guard !segment.isEmpty, segment != ".", segment != "..",
                segment.utf8.allSatisfy({ Self.allowed($0) })
            else {
                throw ServiceError(.invalidKey, "storage key '\(key)' has an invalid segment '\(segment)'")
            }
        }
    }

    private static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The file of a (validated) key in the folder; in S3 mode its place in the cache, which may not hold it yet
    /// (read through `localFile(for:)`).
    public func url(for key: String) throws(ServiceError) -> URL {
        try Self.validate(key)
        return root.appendingPathComponent(key)
    }

    /// The store a service's configuration names: S3 mode when it has an `s3` section.
    public init(configuration: ServiceConfiguration) throws(ServiceError) {
        try self.init(root: configuration.storeRoot, remote: configuration.s3.map { S3Client(configuration: $0) })
    }

    /// Whether an object is stored at `key` (in S3 mode: HEAD, blocking; see the file's header).
    public func exists(_ key: String) throws(ServiceError) -> Bool {
        let file = try url(for: key)
        guard let remote else { return FileManager.default.fileExists(atPath: file.path) }
        return try Self.blocking { () async throws(ServiceError) in try await remote.exists(key) }
    }

    /// Whether an object is stored at `key` (in S3 mode: HEAD).
    public func exists(_ key: String) async throws(ServiceError) -> Bool {
        let file = try url(for: key)
        guard let remote else { return FileManager.default.fileExists(atPath: file.path) }
        return try await remote.exists(key)
    }

    public func read(_ key: String) throws(ServiceError) -> Data {
        let file = try localFile(for: key)
        do {
            return try Data(contentsOf: file)
        } catch {
            throw ServiceError(.notFound, "no object at key '\(key)'", underlying: error)
        }
    }

    /// Writes `data` at `key` atomically (temporary file + rename); writing the same key again replaces it.
    public func put(_ key: String, data: Data) throws(ServiceError) {
        try write(key) { (handle: FileHandle) throws(ServiceError) in
            do { try handle.write(contentsOf: data) } catch {
                throw ServiceError(.storage, "cannot write key '\(key)'", underlying: error)
            }
        }
    }

    /// A file for writing the object at `key`; `commit` renames it into place. Used by streamed writes.
    public func beginWrite(_ key: String) throws(ServiceError) -> PendingObject {
        let target = try url(for: key)
        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).partial")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
            return PendingObject(
                key: key, target: target, temporary: temporary,
                handle: try FileHandle(forWritingTo: temporary), remote: remote)
        } catch {
            throw ServiceError(.storage, "cannot open a temporary file for key '\(key)'", underlying: error)
        }
    }

    /// Writes through `body` into a temporary file, then renames it to `key`; removes it when `body` throws.
    public func write(_ key: String, body: (FileHandle) throws(ServiceError) -> Void) throws(ServiceError) {
        let pending = try beginWrite(key)
        do {
            try body(pending.handle)
        } catch {
            pending.abort()
            throw error
        }
        try pending.commit()
    }

    /// Copies a local file in as `key` (atomically; uploaded in S3 mode).
    public func putFile(_ key: String, from file: URL) async throws(ServiceError) {
        try copyIn(key, from: file)
        try await remote?.upload(try url(for: key), as: key)
    }

    func copyIn(_ key: String, from file: URL) throws(ServiceError) {
        let pending = try beginWrite(key)
        pending.abort()
        do {
            try FileManager.default.copyItem(at: file, to: pending.temporary)
        } catch {
            throw ServiceError(.storage, "cannot copy \(file.path) to key '\(key)'", underlying: error)
        }
        try pending.install()
    }

    /// Removes every object under `prefix` (a key or folder); missing is fine. Blocking in S3 mode.
    public func removeAll(under prefix: String) throws(ServiceError) {
        try removeLocal(under: prefix)
        guard let remote else { return }
        try Self.blocking { () async throws(ServiceError) in try await Self.removeRemote(under: prefix, in: remote) }
    }

    /// Removes every object under `prefix` (a key or folder), in the bucket too in S3 mode; missing is fine.
    public func removeAll(under prefix: String) async throws(ServiceError) {
        try removeLocal(under: prefix)
        if let remote { try await Self.removeRemote(under: prefix, in: remote) }
    }

    /// In S3 mode, drops the cached copies under `prefix` (the bucket keeps the objects; a later read downloads
    /// them again); nothing in filesystem mode, where the folder is the store. Services call it for a job's
    /// prefix once their task on it has ended, so a replica's cache holds only the jobs it is working on.
    public func dropCached(under prefix: String) {
        guard remote != nil else { return }
        try? removeLocal(under: prefix)
    }

    func removeLocal(under prefix: String) throws(ServiceError) {
        let target = try url(for: prefix)
        if FileManager.default.fileExists(atPath: target.path) {
            do { try FileManager.default.removeItem(at: target) } catch {
                throw ServiceError(.storage, "cannot remove '\(prefix)'", underlying: error)
            }
        }
    }
}

/// A write in progress: a temporary file beside the target.
public struct PendingObject: Sendable {
    public let key: String
    public let target: URL
    public let temporary: URL
    public let handle: FileHandle
    /// The bucket the object is uploaded to on commit (S3 mode).
    var remote: S3Client? = nil

    /// Closes, syncs and renames the temporary file over the key; in S3 mode uploads it (blocking).
    public func commit() throws(ServiceError) {
        try finish()
        guard let remote else { return }
        try ObjectStore.blocking { () async throws(ServiceError) in try await remote.upload(target, as: key) }
    }

    /// Closes, syncs and renames the temporary file over the key; in S3 mode uploads it.
    public func commit() async throws(ServiceError) {
        try finish()
        try await remote?.upload(target, as: key)
    }

    func finish() throws(ServiceError) {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            abort()
            throw ServiceError(.storage, "cannot finish key '\(key)'", underlying: error)
        }
        try install()
    }

    func install() throws(ServiceError) { try Self.install(temporary, at: target, key: key) }

    /// Renames `temporary` over `target` (removing it on a failure).
    static func install(_ temporary: URL, at target: URL, key: String) throws(ServiceError) {
        if rename(temporary.path, target.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw ServiceError(.storage, "cannot rename into key '\(key)' (errno \(code))")
        }
    }

    /// Drops the temporary file.
    public func abort() {
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }
}
