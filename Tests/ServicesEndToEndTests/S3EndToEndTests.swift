import Foundation
import ServiceSupport
import Testing

extension EndToEnd {
    /// One phantom job through the four services in S3 mode, against the SeaweedFS `scripts/test.sh` starts:
    /// each service has its own cache folder, so every object crosses between them through the bucket.
    @Suite struct S3EndToEndTests {
        static func variable(_ name: String) throws -> String {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw ClusterError(
                    message: "\(name) is not set: run the S3 tests through scripts/test.sh (it starts SeaweedFS)")
            }
            return value
        }

        @Test func phantomJobStoresItsArtifactsInTheBucket() async throws {
            let s3 = [
                "ORGANA_S3_ENDPOINT": try Self.variable("ORGANA_TEST_S3_ENDPOINT"),
                "ORGANA_S3_BUCKET": try Self.variable("ORGANA_TEST_S3_BUCKET"),
                "ORGANA_S3_ACCESS_KEY_ID": try Self.variable("ORGANA_TEST_S3_ACCESS_KEY_ID"),
                "ORGANA_S3_SECRET_ACCESS_KEY": try Self.variable("ORGANA_TEST_S3_SECRET_ACCESS_KEY"),
            ]
            let bucket = S3Client(
                configuration: S3Configuration(
                    endpoint: URL(string: s3["ORGANA_S3_ENDPOINT"]!)!, bucket: s3["ORGANA_S3_BUCKET"]!,
                    accessKeyID: s3["ORGANA_S3_ACCESS_KEY_ID"]!, secretAccessKey: s3["ORGANA_S3_SECRET_ACCESS_KEY"]!))
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster(s3: s3)
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query)
            _ = try await cluster.wait(job.id, for: [.done])
            let keys = Set(try await bucket.keys(under: "jobs/\(job.id)/"))
            for file in Reference.files + ["input/ct.nii.gz"] {
                #expect(keys.contains("jobs/\(job.id)/\(file)"), "the bucket has no \(file): \(keys.sorted())")
            }
            // The meshes (and every other artifact) download through the gateway, equal to `organa run`'s.
            try await Reference.expectIdentical(cluster, job: job.id)
            #expect(try await cluster.request("GET", "/v1/jobs/\(job.id)/input").status == 200)
            #expect(try await cluster.request("DELETE", "/v1/jobs/\(job.id)").status == 204)
            #expect(try await bucket.keys(under: "jobs/\(job.id)/").isEmpty)
        }
    }
}
