import Foundation
import OrganaTestSupport
import ServiceContracts
import Testing

/// SIGTERM to the gateway while a client follows a job's event stream: the gateway ends the stream (clients
/// resume with Last-Event-ID) and exits by itself instead of waiting for the job or for SIGKILL.
extension EndToEnd {
    @Suite struct GracefulShutdownTests {
        @Test func sigtermEndsOpenEventStreams() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query)
            let gateway = try #require(cluster.services["gateway"])
            let streamed = cluster.folder.appendingPathComponent("events.txt")
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            curl.arguments = [
                "curl", "-s", "-N", "-o", streamed.path, "-H", "Authorization: Bearer \(ServiceCluster.apiKey)",
                gateway.url.absoluteString + "/v1/jobs/\(job.id)/events",
            ]
            try curl.run()
            defer { if curl.isRunning { curl.terminate() } }
            // The stream is open and the job still runs.
            let opened = Date().addingTimeInterval(60)
            while Date() < opened, (try? String(contentsOf: streamed, encoding: .utf8))?.contains("segmenting") != true
            {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(try String(contentsOf: streamed, encoding: .utf8).contains("segmenting"))
            #expect(try await cluster.job(job.id).state.isTerminal == false, "the job ended before the SIGTERM")
            gateway.process.terminate()
            let deadline = Date().addingTimeInterval(8)
            while (gateway.process.isRunning || curl.isRunning), Date() < deadline {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(!gateway.process.isRunning, "the gateway still runs 8 s after SIGTERM")
            #expect(!curl.isRunning, "the event stream stayed open 8 s after SIGTERM")
            if !gateway.process.isRunning { #expect(gateway.process.terminationReason == .exit) }
        }
    }
}
