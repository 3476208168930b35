import Foundation
import OrganaTestSupport
import ServiceContracts
import Testing

/// The phantom CT every end-to-end job uses and what `organa run` makes of it (computed once per test run).
enum Reference {
    static let query = "structures=kidney,tumor&mirroring=false"
    /// Files a job must produce byte-identical to `organa run` (relative to the job / run folder).
    static let files = [
        "labels.nii.gz", "fat_candidate.nii.gz", "preview_labels.nii.gz", "masks/kidney.nii.gz", "masks/tumor.nii.gz",
        "post/labels_corrected.nii.gz", "post/perirenal_fat.nii.gz", "meshes/kidney.obj", "meshes/tumor.obj",
    ]

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: URL?

    /// Folder with `ct.nii.gz` (128×128×60 at 3×3×5 mm) and `run/`, the output of `organa run` on it; the test
    /// process deletes it when it exits.
    static func folder() throws -> URL {
        try lock.withLock {
            if let cached { return cached }
            let folder = try RepositoryPaths.temporaryFolder()
            try organa([
                "phantom", "--size", "128,128,60", "--spacing", "3,3,5", "--seed", "9002", "--out", folder.path,
            ])
            try organa([
                "run", folder.appendingPathComponent("ct.nii.gz").path, "--out",
                folder.appendingPathComponent("run").path, "--catalog", ServiceCluster.catalog,
                "--structures", "kidney,tumor", "--no-mirroring",
            ])
            cached = folder
            atexit { if let folder = Reference.cached { try? FileManager.default.removeItem(at: folder) } }
            return folder
        }
    }

    static func organa(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = ServiceCluster.executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterError(message: "organa \(arguments.joined(separator: " ")) failed")
        }
    }

    /// Every reference file equals the job's artifact fetched through the gateway.
    static func expectIdentical(_ cluster: ServiceCluster, job id: String) async throws {
        let run = try folder().appendingPathComponent("run")
        for file in files {
            let (status, body) = try await cluster.request("GET", "/v1/jobs/\(id)/artifacts/\(file)")
            #expect(status == 200, "\(file): HTTP \(status)")
            #expect(body == (try Data(contentsOf: run.appendingPathComponent(file))), "\(file) differs from organa run")
        }
    }
}

/// Real processes on loopback: `organa serve image|post|mesh|gateway`, each its own process.
/// Every end-to-end suite runs one after the other (each starts four processes and runs a job).
@Suite(.serialized) enum EndToEnd {}

extension EndToEnd {
    @Suite struct ServicesEndToEndTests {
        /// Where jobs and objects live: the defaults, or design 0008's scale-out backends.
        enum Backends: String, CaseIterable {
            case sqliteAndFolder, postgresAndS3
        }

        @Test(arguments: Backends.allCases)
        func jobStreamsEventsInOrderAndMatchesOrganaRun(_ backends: Backends) async throws {
            switch backends {
            case .sqliteAndFolder:
                let cluster = try ServiceCluster()
                defer { cluster.stop() }
                try await Self.streamsEventsInOrderAndMatchesOrganaRun(cluster, image: "image")
            case .postgresAndS3:
                try await QueueDatabase.with { database in
                    var setup = EndToEnd.QueueModeTests.setup(database)
                    setup.replicas = ["image": 1, "post": 1, "mesh": 1]
                    let cluster = try ServiceCluster(s3: try TestBucket.variables(), queue: setup)
                    defer { cluster.stop() }
                    try await Self.streamsEventsInOrderAndMatchesOrganaRun(cluster, image: "image-1")
                }
            }
        }

        /// One job: its events in order, its artifacts equal to `organa run`'s, resumable events, DELETE.
        static func streamsEventsInOrderAndMatchesOrganaRun(_ cluster: ServiceCluster, image: String) async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let job = try await cluster.submit(ct, query: Reference.query)
            #expect(job.state == .queued)
            #expect(job.options.structures == ["kidney", "tumor"] && !job.options.mirroring)
            let events = try await cluster.events(job.id)
            #expect(events.map(\.sequence) == Array(1...events.count))
            let states = events.compactMap(\.state)
            #expect(states == [.queued, .segmenting, .postprocessing, .meshing, .done])
            // Every mask exists before post-processing starts; every mesh is announced while meshing, before done.
            let index = { (state: JobState) in events.firstIndex { $0.state == state } ?? -1 }
            let artifacts = events.enumerated().compactMap { item in item.element.artifact.map { (item.offset, $0) } }
            for (offset, artifact) in artifacts where artifact.kind == "mask" {
                #expect(offset > index(.segmenting) && offset < index(.postprocessing))
            }
            let meshes = artifacts.filter { $0.1.kind == "mesh" }
            #expect(Set(meshes.compactMap(\.1.structure)) == ["kidney", "tumor"])
            for (offset, _) in meshes { #expect(offset > index(.meshing) && offset < index(.done)) }
            #expect(events.contains { $0.type == "progress" && $0.stage == "kidney-tumor-v1" })
            // The model's masks are announced the moment it ends, before the image job stores its label map.
            let labelsIndex = artifacts.first { $0.1.kind == "labels" }?.0 ?? -1
            for (offset, artifact) in artifacts where artifact.kind == "mask" {
                #expect(offset < labelsIndex, "mask \(artifact.structure ?? "") announced after the label map")
            }
            // The image service read each model's checkpoints once, at start-up, none for the job.
            let counts = try await cluster.imageModelCounts(service: image)
            let bundled = try ServiceCluster.catalogModelCount()
            #expect(counts.loaded == Double(bundled) && counts.reads == counts.loaded, "\(counts)")
            let done = try await cluster.job(job.id)
            #expect(done.state == .done)
            #expect(Set(done.artifacts) == Set(artifacts.map(\.1)))
            try await Reference.expectIdentical(cluster, job: job.id)
            // Resume: after Last-Event-ID k, exactly the events after k.
            let resumed = try await cluster.events(job.id, lastEventID: 5)
            #expect(resumed == Array(events.dropFirst(5)))
            // DELETE removes the record and the stored objects.
            #expect(try await cluster.request("DELETE", "/v1/jobs/\(job.id)").status == 204)
            #expect(try await cluster.request("GET", "/v1/jobs/\(job.id)").status == 404)
            if cluster.s3.isEmpty {
                let folder = cluster.store.appendingPathComponent("jobs/\(job.id)")
                #expect(!FileManager.default.fileExists(atPath: folder.path))
            } else {
                #expect(try await TestBucket.client().keys(under: "jobs/\(job.id)/").isEmpty)
            }
        }

        /// The mesh service dies before the job reaches it; the job waits in `meshing` and completes once the
        /// service is back (on its port), with the same meshes.
        @Test func jobCompletesAfterTheMeshServiceRestarts() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query)
            _ = try await cluster.wait(job.id, for: [.segmenting])
            cluster.services["mesh"]!.kill()
            _ = try await cluster.wait(job.id, for: [.meshing])
            try await Task.sleep(nanoseconds: 1_500_000_000)
            #expect(try await cluster.job(job.id).state == .meshing)
            try cluster.start("mesh")
            let done = try await cluster.wait(job.id, for: [.done], timeout: 60)
            #expect(done.artifacts.filter { $0.kind == "mesh" }.count == 2)
            try await Reference.expectIdentical(cluster, job: job.id)
        }

        /// The gateway is killed (SIGKILL) while the image service segments; the restarted gateway finds the job
        /// in its store and drives it to the end, announcing nothing twice.
        @Test func jobCompletesAfterTheGatewayRestarts() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query)
            _ = try await cluster.wait(job.id, for: [.segmenting])
            try await Task.sleep(nanoseconds: 2_000_000_000)
            try await cluster.restartGatewayAndFollow(job.id)
            try await Reference.expectIdentical(cluster, job: job.id)
            // Structured logs: the job id follows the job into every service's JSON log lines.
            let gatewayLog = try cluster.logLines("gateway")
            #expect(gatewayLog.contains { $0["job_id"] == job.id && $0["message"] == "job is done" })
            for stage in ["image", "post", "mesh"] {
                let lines = try cluster.logLines(stage)
                #expect(lines.contains { $0["job_id"] == job.id && $0["message"] == "task done" }, "\(stage)")
            }
        }
    }
}
