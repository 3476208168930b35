// Filesystem object store: keys are relative paths under one root (`jobs/{id}/masks/kidney.nii.gz`).
// Every key is validated (segments of [A-Za-z0-9._-], no `.`/`..`, no leading `/`, at most 512 bytes), so
// no key can leave the root. Writes go to a temporary file in the same folder and are renamed into place:
// a reader sees the old object or the whole new one, never a part, and writing a key again replaces it.
public import Foundation

public struct ObjectStore: Sendable {
    public let root: URL

    public init(root: URL) throws(ServiceError) {
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

    /// The file of a (validated) key.
    public func url(for key: String) throws(ServiceError) -> URL {
        try Self.validate(key)
        return root.appendingPathComponent(key)
    }

    public func exists(_ key: String) throws(ServiceError) -> Bool {
        FileManager.default.fileExists(atPath: try url(for: key).path)
    }

    public func read(_ key: String) throws(ServiceError) -> Data {
        let file = try url(for: key)
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
                handle: try FileHandle(forWritingTo: temporary))
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

    /// Copies a local file in as `key` (atomically).
    public func putFile(_ key: String, from file: URL) throws(ServiceError) {
        let pending = try beginWrite(key)
        pending.abort()
        do {
            try FileManager.default.copyItem(at: file, to: pending.temporary)
        } catch {
            throw ServiceError(.storage, "cannot copy \(file.path) to key '\(key)'", underlying: error)
        }
        try pending.install()
    }

    /// Removes every object under `prefix` (a key or folder); missing is fine.
    public func removeAll(under prefix: String) throws(ServiceError) {
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

    /// Closes, syncs and renames the temporary file over the key.
    public func commit() throws(ServiceError) {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            abort()
            throw ServiceError(.storage, "cannot finish key '\(key)'", underlying: error)
        }
        try install()
    }

    func install() throws(ServiceError) {
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
