import Foundation
import OrganaTestSupport
import Testing

/// `organa serve`'s S3 settings (design note 0008): flags over ORGANA_S3_*, credentials from the environment
/// only, and every problem listed at start-up.
@Suite struct ServeS3ConfigurationTests {
    static func serve(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = InfoCommandTests.executable
        process.arguments = ["serve"] + arguments
        process.environment = ["ORGANA_INTERNAL_SECRET": "test-secret-0123456789"].merging(environment) { $1 }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    @Test func everyS3ProblemIsListedAtStartUp() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Self.serve(
            ["post", "--store", folder.path, "--s3-bucket", "Not_A_Bucket", "--s3-addressing", "sideways"],
            environment: ["ORGANA_S3_REGION": "eu-west-1"])
        #expect(result.status != 0)
        for problem in [
            "no S3 endpoint", "'Not_A_Bucket' is not a bucket name", "'sideways' is not path or virtual-host",
            "ORGANA_S3_ACCESS_KEY_ID", "ORGANA_S3_SECRET_ACCESS_KEY",
        ] {
            #expect(result.stderr.contains(problem), "missing '\(problem)' in: \(result.stderr)")
        }
    }

    @Test func anEndpointWithoutABucketIsAProblem() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Self.serve(
            ["mesh", "--store", folder.path], environment: ["ORGANA_S3_ENDPOINT": "http://127.0.0.1:1"])
        #expect(result.status != 0 && result.stderr.contains("no bucket"), "\(result.stderr)")
    }
}
