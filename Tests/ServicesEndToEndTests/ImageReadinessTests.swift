import Foundation
import ImageServiceApp
import Logging
import OrganaTestSupport
import ServiceContracts
import ServiceSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The image service in this process on a loopback port, its model loading started by the test: not ready
/// and refusing tasks before, ready after, each model's checkpoints read once.
extension EndToEnd {
    @Suite struct ImageReadinessTests {
        actor Port {
            var value: Int?
            func set(_ port: Int) { value = port }
        }

        @Test func readyOnlyOnceTheModelsAreLoaded() async throws {
            let folder = try RepositoryPaths.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let configuration = ServiceConfiguration(
                host: "127.0.0.1", port: 0, storeRoot: folder, secret: ServiceCluster.secret)
            let service = try ImageService(
                configuration: .init(service: configuration, catalogPath: ServiceCluster.catalog))
            let logger = Logger(label: "test.image")
            let port = Port()
            let server = Task {
                try await ServiceHost.run(
                    router: service.router(logger: logger), name: "image", configuration: configuration,
                    logger: logger
                ) { await port.set($0) }
            }
            defer { server.cancel() }
            var bound: Int?
            for _ in 0..<500 where bound == nil {
                bound = await port.value
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            let listening = try #require(bound)
            let base = try #require(URL(string: "http://127.0.0.1:\(listening)"))
            func get(_ path: String) async throws -> (Int, String) {
                let (body, response) = try await URLSession.shared.data(from: base.appendingPathComponent(path))
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: body, as: UTF8.self))
            }
            // Before loading: alive, not ready, a task is refused with 503 (the gateway retries).
            #expect(try await get("health").0 == 200)
            #expect(try await get("ready").0 == 503)
            #expect(try await get("metrics").1.contains("organa_checkpoint_reads_total 0"))
            try ObjectStore(root: folder).put("jobs/x/input/ct.nii.gz", data: Data("x".utf8))
            let client = InternalClient(signer: RequestSigner(secret: ServiceCluster.secret))
            let request = TaskRequest(
                jobID: "x", inputs: ["ct": "jobs/x/input/ct.nii.gz"], outputPrefix: "jobs/x/", options: JobOptions())
            let (refused, body) = try await client.send(
                "PUT", base: base, path: "\(TaskRoutes.tasks)/x-image", body: try JSONEncoder().encode(request))
            #expect(refused == 503, "\(String(decoding: body, as: UTF8.self))")
            #expect(String(decoding: body, as: UTF8.self).contains("not loaded"))
            // Loading flips readiness; each available model's checkpoints were read once.
            service.loadModels(logger: logger)
            #expect(try await get("ready").0 == 200)
            let metrics = try await get("metrics").1
            let bundled = try ServiceCluster.catalogModelCount()
            #expect(metrics.contains("organa_checkpoint_reads_total \(bundled)"), "\(metrics)")
            #expect(metrics.contains("organa_models_loaded \(bundled)"), "\(metrics)")
        }
    }
}
