import Foundation
import OrganaTestSupport
import ServiceContracts
import ServiceSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// DELETE of a running job stops its stage task (real processes on loopback).
extension EndToEnd {
    @Suite struct CancellationTests {
        /// Deleted while the image service segments: the gateway tells the image service, whose task ends
        /// `cancelled` within seconds; the job and its objects are gone and nothing more is written. The
        /// service then runs the next job to the end without reading a checkpoint again.
        @Test func deletingARunningJobStopsItsImageTask() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query)
            let client = InternalClient(signer: RequestSigner(secret: ServiceCluster.secret))
            let image = cluster.services["image"]!.url
            let path = "\(TaskRoutes.tasks)/\(job.id)-image"
            // Mid-segmentation: the image task has finished a tile of a model.
            let deadline = Date().addingTimeInterval(120)
            var running: TaskStatus?
            while Date() < deadline, running == nil {
                let (status, body) = try await client.send("GET", base: image, path: path)
                if status == 200, let task = try? JSONDecoder().decode(TaskStatus.self, from: body),
                    task.events.contains(where: { $0.type == "progress" && $0.stage != "segmenting" && $0.done! > 0 })
                {
                    running = task
                }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            #expect(running?.state == .running, "the image task never got going: \(String(describing: running))")
            let started = Date()
            #expect(try await cluster.request("DELETE", "/v1/jobs/\(job.id)").status == 204)
            let seconds = Date().timeIntervalSince(started)
            #expect(seconds < 10, "DELETE took \(seconds) s")
            let (status, body) = try await client.send("GET", base: image, path: path)
            #expect(status == 200)
            let problems = OpenAPIDocument.maskStep.problems(
                body, path: "/internal/v1/tasks/{taskId}", method: "get", status: 200)
            #expect(problems.isEmpty, "\(problems)")
            let task = try JSONDecoder().decode(TaskStatus.self, from: body)
            #expect(task.state == .cancelled)
            #expect(!task.events.contains { $0.artifact?.kind == "labels" }, "the job ran to its end")
            let log = try cluster.logLines("image")
            #expect(log.contains { $0["job_id"] == job.id && $0["message"] == "task cancelled" })
            #expect(try await cluster.request("GET", "/v1/jobs/\(job.id)").status == 404)
            // Nothing is written after the DELETE answered.
            try await Task.sleep(nanoseconds: 2_000_000_000)
            let folder = cluster.store.appendingPathComponent("jobs/\(job.id)")
            #expect(!FileManager.default.fileExists(atPath: folder.path), "the stopped task wrote after DELETE")
            // A signed DELETE of an unknown task is a 404 JSON error, as the contract says.
            let (unknown, error) = try await client.send("DELETE", base: image, path: "\(TaskRoutes.tasks)/nope")
            #expect(unknown == 404)
            #expect(
                OpenAPIDocument.maskStep.problems(
                    error, path: "/internal/v1/tasks/{taskId}", method: "delete", status: 404
                ).isEmpty)
            // The service goes on: the next job completes, and no job read a checkpoint.
            let next = try await cluster.submit(ct, query: Reference.query)
            _ = try await cluster.wait(next.id, for: [.done])
            try await Reference.expectIdentical(cluster, job: next.id)
            let counts = try await cluster.imageModelCounts()
            let bundled = try ServiceCluster.catalogModelCount()
            #expect(counts.loaded == Double(bundled) && counts.reads == counts.loaded, "\(counts)")
        }
    }
}
