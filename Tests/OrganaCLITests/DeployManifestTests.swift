import Foundation
import OrganaTestSupport
import Testing

/// The deployment files (`deploy/`: Dockerfiles, compose.yaml, Kubernetes manifests) against `organa serve`:
/// `tools/deploy/check_deploy.py` runs every command line they hold through `--check-configuration` with the
/// environment they give it, and checks ports and variables (there is no Docker engine or cluster here).
@Suite struct DeployManifestTests {
    /// `organa` and the checker run from the repository root (the files' relative paths).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try InfoCommandTests.run(executable, arguments, environment: environment, in: RepositoryPaths.root)
    }

    static func check(_ arguments: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        let script = RepositoryPaths.root.appendingPathComponent("tools/deploy/check_deploy.py").path
        return try run(
            try ReferencePython.interpreter(),
            [script, "--organa", InfoCommandTests.executable.path] + arguments)
    }

    static let organa = InfoCommandTests.executable.path

    @Test func deploymentFilesAgreeWithOrganaServe() throws {
        let result = try Self.check()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("ok: 4 compose and 4 Kubernetes organa containers"), "\(result.stdout)")
    }

    /// One mistake per fixture folder (tools/deploy/fixtures/README.md); the message must name it.
    @Test(arguments: [
        ("wrong-flag", "Unknown option '--prot'"),
        ("missing-secret", "(ORGANA_INTERNAL_SECRET)"),
        ("unknown-variable", "ORGANA_STOER is set but `organa serve post` does not read it"),
        ("port-mismatch", "container port 8083 is not --port 8084"),
        ("memory-below-budget", "memory limit 4Gi is below --memory-budget (4096 MiB)"),
    ])
    func aMistakeIsRefusedByName(fixture: String, message: String) throws {
        let folder = RepositoryPaths.root.appendingPathComponent("tools/deploy/fixtures/\(fixture)").path
        let result = try Self.check(["--deploy", folder])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// `--check-configuration` lists every problem of the environment and exits without serving.
    @Test func checkConfigurationListsEveryProblem() throws {
        let result = try Self.run(
            Self.organa, ["serve", "post", "--port", "8082", "--log-format", "xml", "--check-configuration"],
            environment: [:])
        #expect(result.status != 0)
        for problem in ["no object store: set --store or ORGANA_STORE", "--log-format xml", "ORGANA_INTERNAL_SECRET"] {
            #expect(result.stderr.contains(problem), "\(result.stderr)")
        }
    }

    /// A usable configuration: the report names the settings and the variables read; no port is bound (it
    /// returns), and nothing is written (the gateway's built-in phantom is not generated into the store).
    @Test func checkConfigurationReportsWithoutServing() throws {
        let store = try RepositoryPaths.temporaryFolder().appendingPathComponent("store")
        defer { try? FileManager.default.removeItem(at: store.deletingLastPathComponent()) }
        let result = try Self.run(
            Self.organa,
            [
                "serve", "gateway", "--host", "0.0.0.0", "--port", "8080", "--image-url", "http://image:8081",
                "--post-url", "http://post:8082", "--mesh-url", "http://mesh:8083", "--check-configuration",
            ],
            environment: [
                "ORGANA_STORE": store.path, "ORGANA_INTERNAL_SECRET": "0123456789abcdef0123",
                "ORGANA_API_KEYS": "key-0123456789abcdef",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        struct Report: Decodable {
            var service: String
            var host: String
            var port: Int
            var environment: [String]
            var environmentSet: [String]
            var settings: [String: String]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        #expect(report.service == "gateway" && report.host == "0.0.0.0" && report.port == 8080)
        #expect(
            Set(report.environment)
                == [
                    "ORGANA_STORE", "ORGANA_INTERNAL_SECRET", "ORGANA_API_KEYS", "ORGANA_JWT_SECRET",
                    "ORGANA_DATABASE_URL", "ORGANA_DATABASE_PASSWORD", "ORGANA_S3_ENDPOINT", "ORGANA_S3_BUCKET",
                    "ORGANA_S3_REGION", "ORGANA_S3_ADDRESSING", "ORGANA_S3_ACCESS_KEY_ID",
                    "ORGANA_S3_SECRET_ACCESS_KEY",
                ])
        #expect(Set(report.environmentSet) == ["ORGANA_STORE", "ORGANA_INTERNAL_SECRET", "ORGANA_API_KEYS"])
        #expect(report.settings["image-url"] == "http://image:8081")
        #expect(!FileManager.default.fileExists(atPath: store.path), "the check wrote into the store")
        #expect(!result.stdout.contains("listening"))
    }
}
