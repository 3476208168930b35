import Foundation
import OrganaTestSupport
import ServiceSupport
import Testing

@Suite struct ObjectStoreTests {
    static func store() throws -> (ObjectStore, URL) {
        let folder = try RepositoryPaths.temporaryFolder()
        return (try ObjectStore(root: folder.appendingPathComponent("objects")), folder)
    }

    @Test(arguments: [
        "", "/etc/passwd", "../outside", "jobs/../../outside", "jobs/./x", "jobs//x", "jobs/x/", "jobs/a b",
        "jobs/%2e%2e/x", "jobs/x\u{0}y", String(repeating: "a", count: 513), "jobs/ü",
    ])
    func badKeysAreRefused(_ key: String) throws {
        let (store, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ServiceError.self) { try store.put(key, data: Data("x".utf8)) }
        #expect(throws: ServiceError.self) { _ = try store.url(for: key) }
        // Nothing escaped the root.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("outside").path))
    }

    @Test func goodKeysRoundTripAndStayUnderTheRoot() throws {
        let (store, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "jobs/0b8c/masks/kidney.nii.gz"
        try store.put(key, data: Data("first".utf8))
        #expect(try store.read(key) == Data("first".utf8))
        #expect(try store.url(for: key).path.hasPrefix(store.root.path + "/"))
        // Idempotent per key: writing again replaces the object whole.
        try store.put(key, data: Data("second".utf8))
        #expect(try store.read(key) == Data("second".utf8))
        try store.removeAll(under: "jobs/0b8c")
        #expect(try !store.exists(key))
    }

    /// A write that fails leaves the old object and no temporary file behind.
    @Test func aFailedWriteLeavesTheOldObject() throws {
        let (store, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "jobs/a/labels.nii.gz"
        try store.put(key, data: Data("old".utf8))
        #expect(throws: ServiceError.self) {
            try store.write(key) { (handle: FileHandle) throws(ServiceError) in
                try? handle.write(contentsOf: Data("half of the ne".utf8))
                throw ServiceError(.storage, "disk on fire")
            }
        }
        #expect(try store.read(key) == Data("old".utf8))
        let siblings = try FileManager.default.contentsOfDirectory(
            atPath: store.root.appendingPathComponent("jobs/a").path)
        #expect(siblings == ["labels.nii.gz"])
    }

    /// Readers never see a partial object: while a writer keeps replacing a key, every read is one whole version.
    @Test func readersSeeWholeObjectsOnly() async throws {
        let (store, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "jobs/a/mesh.obj"
        let versions = (0..<20).map { Data(repeating: UInt8($0), count: 200_000) }
        try store.put(key, data: versions[0])
        let writer = Task.detached {
            for version in versions { try store.put(key, data: version) }
        }
        var reads = 0
        while reads < 200 {
            let data = try store.read(key)
            #expect(data.count == 200_000 && Set(data).count == 1)
            reads += 1
        }
        try await writer.value
    }
}
