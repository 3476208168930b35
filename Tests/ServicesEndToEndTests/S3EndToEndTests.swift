import Foundation
import ServiceSupport
import Testing

extension EndToEnd {
    /// One phantom job through the four services in S3 mode, against the SeaweedFS `scripts/test.sh` starts:
    /// each service has its own cache folder, so every object crosses between them through the bucket.
    @Suite struct S3EndToEndTests {
        @Test func phantomJobStoresItsArtifactsInTheBucket() async throws {
            let s3 = try TestBucket.variables()
            let bucket = try TestBucket.client()
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster(s3: s3)
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query)
            _ = try await cluster.wait(job.id, for: [.done])
            // Every service drops the job from its cache once its task (the gateway: the job) has ended.
            let deadline = Date().addingTimeInterval(10)
            var cached = ["image", "post", "mesh", "gateway"]
            while !cached.isEmpty, Date() < deadline {
                cached.removeAll {
                    !FileManager.default.fileExists(
                        atPath: cluster.folder.appendingPathComponent("cache-\($0)/jobs/\(job.id)").path)
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(cached.isEmpty, "still cached after the job ended by \(cached)")
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

/// The bucket of the SeaweedFS that `scripts/test.sh` starts (ORGANA_TEST_S3_*).
enum TestBucket {
    static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw ClusterError(
                message: "\(name) is not set: run the S3 tests through scripts/test.sh (it starts SeaweedFS)")
        }
        return value
    }

    /// ORGANA_S3_* for the services.
    static func variables() throws -> [String: String] {
        [
            "ORGANA_S3_ENDPOINT": try variable("ORGANA_TEST_S3_ENDPOINT"),
            "ORGANA_S3_BUCKET": try variable("ORGANA_TEST_S3_BUCKET"),
            "ORGANA_S3_ACCESS_KEY_ID": try variable("ORGANA_TEST_S3_ACCESS_KEY_ID"),
            "ORGANA_S3_SECRET_ACCESS_KEY": try variable("ORGANA_TEST_S3_SECRET_ACCESS_KEY"),
        ]
    }

    /// A client of the bucket, for checking what the services stored.
    static func client() throws -> S3Client {
        let s3 = try variables()
        return S3Client(
            configuration: S3Configuration(
                endpoint: URL(string: s3["ORGANA_S3_ENDPOINT"]!)!, bucket: s3["ORGANA_S3_BUCKET"]!,
                accessKeyID: s3["ORGANA_S3_ACCESS_KEY_ID"]!, secretAccessKey: s3["ORGANA_S3_SECRET_ACCESS_KEY"]!))
    }
}
