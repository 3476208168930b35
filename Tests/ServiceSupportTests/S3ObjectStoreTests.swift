import AsyncHTTPClient
import Foundation
import OrganaTestSupport
import Testing

@testable import ServiceSupport

/// The object store's S3 mode and its client against a real SeaweedFS (`scripts/test.sh` starts one).
@Suite struct S3ObjectStoreTests {
    /// A store in S3 mode on a fresh cache folder.
    static func store(_ configuration: S3Configuration? = nil) throws -> (ObjectStore, URL) {
        let folder = try RepositoryPaths.temporaryFolder()
        let remote = S3Client(configuration: try configuration ?? S3TestEnvironment.configuration())
        return (try ObjectStore(root: folder.appendingPathComponent("cache"), remote: remote), folder)
    }

    /// A file of `bytes` seeded pseudo-random bytes.
    static func randomFile(_ bytes: Int, in folder: URL) throws -> URL {
        var generator = SeededGenerator(seed: 10)
        var data = Data(count: bytes)
        data.withUnsafeMutableBytes { buffer in
            for offset in stride(from: 0, to: bytes - 7, by: 8) {
                buffer.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            }
        }
        let file = folder.appendingPathComponent("random.bin")
        try data.write(to: file)
        return file
    }

    @Test func smallObjectsRoundTripThroughTheBucket() async throws {
        let (writer, folder) = try Self.store()
        let (reader, readerFolder) = try Self.store()
        defer { for f in [folder, readerFolder] { try? FileManager.default.removeItem(at: f) } }
        let key = S3TestEnvironment.prefix() + "/masks/kidney.nii.gz"
        try await S3TestEnvironment.onThread { try writer.put(key, data: Data("first".utf8)) }
        // Another store (an empty cache) downloads it; the blocking and async forms agree.
        #expect(try await S3TestEnvironment.onThread { try reader.read(key) } == Data("first".utf8))
        #expect(try await reader.exists(key))
        #expect(try await S3TestEnvironment.onThread { try reader.exists(key + ".missing") } == false)
        await #expect(throws: ServiceError.self) { _ = try await reader.localFile(for: key + ".missing") }
        let present = try await reader.prefetch(key)
        let absent = try await reader.prefetch(key + ".missing")
        #expect(present && !absent)
        try await writer.removeAll(under: key)
        #expect(try await !writer.exists(key))
    }

    /// 20 MiB forces a multipart upload (parts of 8 MiB); both ways stream, and the bytes come back equal.
    @Test func largeObjectsUploadInPartsAndStreamBack() async throws {
        let (_, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let client = S3Client(configuration: try S3TestEnvironment.configuration())
        let file = try Self.randomFile(20 << 20, in: folder)
        let key = S3TestEnvironment.prefix() + "/large.bin"
        try await client.upload(file, as: key)
        let back = folder.appendingPathComponent("back.bin")
        try await client.download(key, to: back)
        #expect(
            RequestSigner.sha256Hex(try Data(contentsOf: back)) == RequestSigner.sha256Hex(try Data(contentsOf: file)))
        // A multipart object's ETag ends in -{parts}.
        let head = try await client.send(.HEAD, key: key)
        #expect(head.headers.first(name: "etag")?.hasSuffix("-3\"") == true, "\(head.headers)")
        try await client.delete(key)
    }

    /// Every character the store allows in a key, and in the client any byte S3 takes (encoded once).
    @Test func keysWithEveryAllowedCharacterRoundTrip() async throws {
        let client = S3Client(configuration: try S3TestEnvironment.configuration())
        let (_, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let prefix = S3TestEnvironment.prefix()
        let keys = [
            prefix + "/ABCDEFGHIJKLMNOPQRSTUVWXYZ/abcdefghijklmnopqrstuvwxyz/0123456789._-",
            prefix + "/case 001/ct+mask #1:a=b&c;d,e@f$g'h(i)j*k!l~m%n.bin",
        ]
        let file = folder.appendingPathComponent("small.txt")
        for key in keys {
            try Data(key.utf8).write(to: file)
            try await client.upload(file, as: key)
            let back = folder.appendingPathComponent("back.txt")
            try await client.download(key, to: back)
            #expect(try Data(contentsOf: back) == Data(key.utf8))
        }
        let listed = try await client.keys(under: prefix + "/")
        #expect(Set(listed) == Set(keys), "\(listed)")
        for key in keys { try await client.delete(key) }
    }

    /// `removeAll(under:)` pages through the listing (2 keys a page here) and keeps a sibling prefix.
    @Test func removeAllPagesThroughTheListing() async throws {
        var configuration = try S3TestEnvironment.configuration()
        configuration.listPageSize = 2
        let (store, folder) = try Self.store(configuration)
        defer { try? FileManager.default.removeItem(at: folder) }
        let prefix = S3TestEnvironment.prefix()
        let keys = (0..<5).map { "\(prefix)/job/part\($0).txt" } + [prefix + "/job/deep/x.txt"]
        for key in keys + [prefix + "/jobx/kept.txt"] {
            try await S3TestEnvironment.onThread { try store.put(key, data: Data(key.utf8)) }
        }
        let page = try await store.remote!.list(prefix: prefix + "/", maxKeys: 2)
        #expect(page.keys.count == 2 && page.next != nil)
        try await store.removeAll(under: prefix + "/job")
        #expect(try await store.remote!.keys(under: prefix + "/") == [prefix + "/jobx/kept.txt"])
        #expect(!FileManager.default.fileExists(atPath: try store.url(for: prefix + "/job").path))
        try await store.removeAll(under: prefix)
    }

    @Test func aWrongSecretIsAClearErrorNamingTheKey() async throws {
        var configuration = try S3TestEnvironment.configuration()
        configuration.secretAccessKey += "-wrong"
        let (store, folder) = try Self.store(configuration)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = S3TestEnvironment.prefix() + "/denied.txt"
        let error = await #expect(throws: ServiceError.self) {
            try await S3TestEnvironment.onThread { try store.put(key, data: Data("x".utf8)) }
        }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("'\(key)'") == true && error?.message.contains("SignatureDoesNotMatch") == true)
    }

    /// Nothing listens: each try fails to connect; after `attempts` tries (with backoff) the error is
    /// `.unavailable`.
    @Test func aStoppedEndpointIsRetriedThenUnavailable() async throws {
        var configuration = try S3TestEnvironment.configuration()
        configuration.endpoint = URL(string: "http://127.0.0.1:\(try Self.unusedPort())")!
        configuration.attempts = 3
        let client = S3Client(configuration: configuration)
        let started = Date()
        let error = await #expect(throws: ServiceError.self) { _ = try await client.exists("jobs/x/ct.nii.gz") }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("after 3 tries") == true && error?.message.contains("jobs/x/ct.nii.gz") == true)
        #expect(Date().timeIntervalSince(started) >= 0.15)  // waits of 0.05 s and 0.1 s between the tries
    }

    /// Virtual-host addressing: `bucket.s3.organa.test:port` (SeaweedFS runs with `-s3.domainName`), resolved
    /// to loopback by the HTTP client's DNS override.
    @Test func virtualHostAddressingRoundTrips() async throws {
        var configuration = try S3TestEnvironment.configuration(addressing: .virtualHost)
        let port = configuration.endpoint.port ?? 80
        let domain = try S3TestEnvironment.value("ORGANA_TEST_S3_DOMAIN")
        configuration.endpoint = URL(string: "http://\(domain):\(port)")!
        var settings = HTTPClient.Configuration()
        settings.dnsOverride = ["\(configuration.bucket).\(domain)": "127.0.0.1"]
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        let client = S3Client(configuration: configuration, http: http)
        let (_, folder) = try Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = S3TestEnvironment.prefix() + "/virtual host.txt"
        let file = folder.appendingPathComponent("v.txt")
        try Data("virtual".utf8).write(to: file)
        do {
            try await client.upload(file, as: key)
            #expect(try await client.exists(key))
            let back = folder.appendingPathComponent("v-back.txt")
            try await client.download(key, to: back)
            #expect(try Data(contentsOf: back) == Data("virtual".utf8))
            try await client.delete(key)
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// A loopback port nobody listens on (bound, then released).
    static func unusedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw S3TestEnvironment.Missing(description: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
